"""The place spending map (DESIGN.md §6.1): classification rules as data, and the map they produce."""

from totalplace.engines.spendmap.map import SpendMap, build_spend_map
from totalplace.engines.spendmap.rules import RuleSet, load_rules

__all__ = ["RuleSet", "SpendMap", "build_spend_map", "load_rules"]
