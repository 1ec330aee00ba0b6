"""Counts of an indicator by area and period as they may be published: small counts suppressed, the rest
rounded, and enough other cells withheld that no suppressed count can be worked out from the totals
(``governance.disclosure``).

The table is the headline series (persons, no category) of the place's own areas (or the place itself when
it has none), at all ages where published, else the first age group by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from totalplace.datasets.observations import period_start
from totalplace.engines.outcomes.benchmark import benchmark
from totalplace.errors import NotFoundError
from totalplace.governance.disclosure import Disclosed, disclose
from totalplace.store.areas import list_areas

if TYPE_CHECKING:
    from totalplace.place import Place


@dataclass(frozen=True, slots=True)
class PublishedCounts:
    """The disclosure-controlled table: one row per area, one column per period, for one age group."""

    indicator: str
    areas: list[str]
    periods: list[str]
    age: str
    table: Disclosed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "indicator": self.indicator,
            "areas": list(self.areas),
            "periods": list(self.periods),
            "age": self.age,
            "table": self.table.to_dict(),
        }


def _counts(place: Place, indicator_id: str) -> list[dict[str, Any]]:
    """The indicator's rows with a count, persons and no category, for the place's areas (or the place)."""
    with place.read() as conn:
        small = [a.code for a in list_areas(conn)]
    everything = benchmark(
        place, indicator=indicator_id, areas=small or [place.config.code or ""]
    ).table.to_pylist()
    rows = [
        r
        for r in everything
        if r["count"] is not None and not r.get("category") and r.get("sex") in (None, "Persons")
    ]
    if not rows:
        raise NotFoundError(f"no counts of {indicator_id} for the place's areas")
    return rows


def published_counts(place: Place, indicator_id: str) -> PublishedCounts:
    """The counts of ``indicator_id`` by area and period, through disclosure control."""
    rows = _counts(place, indicator_id)
    areas = sorted({r["area_code"] for r in rows})
    periods = sorted({r["period"] for r in rows}, key=lambda p: period_start(p) or 0.0)
    ages = {r.get("age") for r in rows}
    age = "All ages" if "All ages" in ages else sorted(a or "" for a in ages)[0]
    counts = {
        (r["area_code"], r["period"]): int(r["count"]) for r in rows if (r.get("age") or "") == (age or "")
    }
    table = [[counts.get((a, p), 0) for p in periods] for a in areas]
    return PublishedCounts(indicator_id, areas, periods, age, disclose(table))
