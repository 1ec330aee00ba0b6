"""The place spending map (DESIGN.md §6.1): classification rules as data, and the map they produce.

The map and its rows are typed (:mod:`totalplace.engines.spendmap.results`); what a person reads of them is
in :mod:`totalplace.reports.spend`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from totalplace.engines.spendmap.results import SpendMap
from totalplace.engines.spendmap.rules import RuleSet, load_rules

if TYPE_CHECKING:
    from totalplace.engines.spendmap.map import build_spend_map

__all__ = ["RuleSet", "SpendMap", "build_spend_map", "load_rules"]


def __getattr__(name: str) -> Any:
    """``build_spend_map`` loads PyArrow, so it is imported on first use: listing rules stays light."""
    if name == "build_spend_map":
        from totalplace.engines.spendmap.map import build_spend_map

        return build_spend_map
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
