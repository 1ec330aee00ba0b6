"""Cost-benefit analysis by agency, with uncertainty, and the wrong-pocket settlement (DESIGN.md §6.3)."""
