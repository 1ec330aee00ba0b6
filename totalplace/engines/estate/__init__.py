"""The public estate (DESIGN.md §6.5): partners' sites, access from each small area, and candidates to share
or release buildings."""
