"""People: sharing agreements, partners' records about people, pseudonyms and linkage (DESIGN.md §6.6)."""
