"""The place spending map (DESIGN.md §6.1): classification rules as data, and the map they produce.

The map and its rows are typed (:mod:`totalplace.engines.spendmap.results`); what a person reads of them is
in :mod:`totalplace.reports.spend`.
"""

from totalplace.engines.spendmap.map import build_spend_map
from totalplace.engines.spendmap.results import SpendMap
from totalplace.engines.spendmap.rules import RuleSet, load_rules

__all__ = ["RuleSet", "SpendMap", "build_spend_map", "load_rules"]
