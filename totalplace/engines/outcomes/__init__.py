"""Shared outcomes and accountability (DESIGN.md §6.4): indicators, their statistics and comparisons."""
