"""The inequality gradient of an indicator across deprivation deciles (or quintiles) in one area and period.

Fingertips publishes rows by deprivation decile as categories ("Most deprived decile (IMD2015)", "Second most
deprived decile", ..., "Least deprived decile"); each is placed in order, its population taken from the
denominator and its standard error from its 95% interval, and the slope and relative index of inequality and
the gap between the extremes are calculated (``stats.slope_index``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from totalplace.engines.outcomes import stats
from totalplace.engines.outcomes.benchmark import ENGLAND, BenchmarkRow, benchmark
from totalplace.errors import NotFoundError

if TYPE_CHECKING:
    from totalplace.place import Place

_ORDER: Final = (
    ("second most", 2),
    ("third more", 3),
    ("fourth more", 4),
    ("fifth more", 5),
    ("fifth less", 6),
    ("fourth less", 7),
    ("third less", 8),
    ("second least", 9),
    ("most deprived", 1),
    ("least deprived", 10),
)


def decile_rank(category: str) -> int | None:
    """1 for the most deprived decile to 10 for the least, from the profiles' labels (or "Decile 3")."""
    text = category.casefold()
    for words, rank in _ORDER:
        if words in text:
            return rank
    found = re.search(r"\b(\d{1,2})\b", text)
    return int(found.group(1)) if found else None


@dataclass(frozen=True, slots=True)
class Quantile:
    """One deprivation quantile's value and 95% limits (rank 1 is the most deprived)."""

    rank: int
    category: str
    value: float
    lower95: float
    upper95: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "rank": self.rank,
            "category": self.category,
            "value": self.value,
            "lower95": self.lower95,
            "upper95": self.upper95,
        }


@dataclass(frozen=True, slots=True)
class InequalityResult:
    """The gradient of an indicator across deprivation quantiles in one area and period: the quantiles used,
    and the slope and relative index of inequality and the gap (``index``)."""

    indicator: str
    area: str
    period: str
    breakdown: str
    other_breakdowns: list[str]
    quantiles: list[Quantile]
    index: stats.Inequality

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the index's figures (``sii``, ``sii_lower``, ...) beside the quantiles."""
        return {
            "indicator": self.indicator,
            "area": self.area,
            "period": self.period,
            "breakdown": self.breakdown,
            "other_breakdowns": list(self.other_breakdowns),
            "quantiles": [q.to_dict() for q in self.quantiles],
            **dataclasses.asdict(self.index),
        }


def _deprivation_rows(place: Place, indicator: str, area: str) -> tuple[list[BenchmarkRow], list[str]]:
    """The rows of the first deprivation breakdown by name (with a value), and every such breakdown's name."""
    rows = [
        r
        for r in benchmark(place, indicator=indicator, areas=[area]).rows()
        if "deprivation" in (r.breakdown.get("category_type") or "").casefold() and r.value is not None
    ]
    kinds = sorted({r.breakdown["category_type"] for r in rows})
    return [r for r in rows if kinds and r.breakdown["category_type"] == kinds[0]], kinds


def _quantiles(rows: list[BenchmarkRow]) -> list[tuple[Quantile, float]]:
    """The rows that place as a quantile and have a population and interval, most deprived first, each with
    its population (the denominator)."""
    ranked = sorted(((decile_rank(r.breakdown["category"]), r) for r in rows), key=lambda pair: pair[0] or 0)
    return [
        (Quantile(rank, r.breakdown["category"], r.value, r.lower95, r.upper95), r.denominator)
        for rank, r in ranked
        if rank is not None
        and r.denominator
        and r.value is not None
        and r.lower95 is not None
        and r.upper95 is not None
    ]


def inequality(
    place: Place, indicator: str, *, area: str = ENGLAND, period: str | None = None
) -> InequalityResult:
    """SII, RII and gap for ``indicator`` in ``area`` (England by default) in the latest period with deciles.

    Where several deprivation breakdowns are published (county and district deciles), the first by name is
    used and the others are listed.
    """
    rows, kinds = _deprivation_rows(place, indicator, area)
    periods = sorted({r.period for r in rows})
    if not rows or (period is not None and period not in periods):
        raise NotFoundError(
            f"no deprivation breakdown of {indicator} for {area}" + (f" in {period}" if period else "")
        )
    chosen = period or periods[-1]
    usable = _quantiles([r for r in rows if r.period == chosen])
    z = stats.z_value(0.95)
    index = stats.slope_index(
        [q.value for q, _ in usable],
        [population for _, population in usable],
        [(q.upper95 - q.lower95) / (2 * z) for q, _ in usable],
        0.95,
    )
    return InequalityResult(indicator, area, chosen, kinds[0], kinds[1:], [q for q, _ in usable], index)
