"""The inequality gradient of an indicator across deprivation deciles (or quintiles) in one area and period.

Fingertips publishes rows by deprivation decile as categories ("Most deprived decile (IMD2015)", "Second most
deprived decile", ..., "Least deprived decile"); each is placed in order, its population taken from the
denominator and its standard error from its 95% interval, and the slope and relative index of inequality and
the gap between the extremes are calculated (``stats.slope_index``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from totalplace.engines.outcomes import stats
from totalplace.engines.outcomes.benchmark import ENGLAND, benchmark
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


def inequality(
    place: Place, indicator: str, *, area: str = ENGLAND, period: str | None = None
) -> dict[str, Any]:
    """SII, RII and gap for ``indicator`` in ``area`` (England by default) in the latest period with deciles.

    Where several deprivation breakdowns are published (county and district deciles), the first by name is
    used and the others are listed.
    """
    rows = [
        r
        for r in benchmark(place, indicator=indicator, areas=[area]).rows()
        if "deprivation" in (r["breakdown"].get("category_type") or "").casefold() and r["value"] is not None
    ]
    kinds = sorted({r["breakdown"]["category_type"] for r in rows})
    rows = [r for r in rows if kinds and r["breakdown"]["category_type"] == kinds[0]]
    periods = sorted({r["period"] for r in rows})
    if not rows or (period is not None and period not in periods):
        raise NotFoundError(
            f"no deprivation breakdown of {indicator} for {area}" + (f" in {period}" if period else "")
        )
    chosen = period or periods[-1]
    quantiles = sorted(
        ((decile_rank(r["breakdown"]["category"]), r) for r in rows if r["period"] == chosen),
        key=lambda pair: pair[0] or 0,
    )
    usable = [
        (rank, r)
        for rank, r in quantiles
        if rank is not None and r["denominator"] and r["lower95"] is not None
    ]
    z = stats.z_value(0.95)
    result = stats.slope_index(
        [r["value"] for _, r in usable],
        [r["denominator"] for _, r in usable],
        [(r["upper95"] - r["lower95"]) / (2 * z) for _, r in usable],
        0.95,
    )
    return {
        "indicator": indicator,
        "area": area,
        "period": chosen,
        "breakdown": kinds[0],
        "other_breakdowns": kinds[1:],
        "quantiles": [
            {
                "rank": rank,
                "category": r["breakdown"]["category"],
                "value": r["value"],
                "lower95": r["lower95"],
                "upper95": r["upper95"],
            }
            for rank, r in usable
        ],
        **result.__dict__,
    }
