"""The framework at a glance: each indicator's latest headline value for the place with its red, amber or
green status, and the spine chart's rows (the basket of indicators against the comparator set).

**Status.** Red when the latest value is outside the indicator's tolerance band or worse than England at 95%
confidence, green when better, amber when similar (or not compared); grey when there is no value.

**Spine.** Each indicator's latest value placed between the comparators' worst and best in the same period,
on a 0 (worst) to 1 (best) scale whichever way is better for it; the comparators' middle half and England on
the same scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from totalplace.engines.outcomes.benchmark import BenchmarkRow, benchmark, headline, latest_by_indicator
from totalplace.engines.outcomes.comparators import current_set
from totalplace.engines.outcomes.framework import Framework, Indicator, Tolerance, current_framework
from totalplace.errors import NotFoundError

if TYPE_CHECKING:
    from totalplace.place import Place

Rag = Literal["red", "amber", "green", "grey"]


def latest_headlines(place: Place) -> dict[str, BenchmarkRow]:
    """Each indicator's latest headline row for the place, from one benchmark of them all (one per indicator
    had taken three seconds for the demo's 26)."""
    try:
        rows = benchmark(place, areas=[place.config.code or ""]).rows()
    except NotFoundError:
        return {}
    return latest_by_indicator(rows)


def rag_status(row: BenchmarkRow | None, band: Tolerance | None) -> Rag:
    """Red when outside the tolerance band or worse than England, green when better, amber otherwise (grey
    without a value)."""
    if row is None or row.value is None:
        return "grey"
    lower, upper = (band.lower, band.upper) if band else (None, None)
    if (lower is not None and row.value < lower) or (upper is not None and row.value > upper):
        return "red"
    if row.comparison95 == "worse":
        return "red"
    return "green" if row.comparison95 == "better" else "amber"


@dataclass(frozen=True, slots=True)
class IndicatorStatus:
    """An indicator with its latest headline row for the place and its status."""

    indicator: Indicator
    latest: BenchmarkRow | None
    status: Rag

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "indicator": self.indicator.model_dump(mode="json"),
            "latest": None if self.latest is None else self.latest.to_dict(),
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class OutcomeStatus:
    """An outcome and the status of each of its indicators."""

    name: str
    title: str
    indicators: list[IndicatorStatus]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"name": self.name, "title": self.title, "indicators": [i.to_dict() for i in self.indicators]}


def framework_status(
    framework: Framework | None, headlines: Mapping[str, BenchmarkRow]
) -> list[OutcomeStatus]:
    """The framework as a tree: each outcome's indicators with their latest value and status."""
    if framework is None:
        return []
    return [
        OutcomeStatus(
            outcome.name,
            outcome.title,
            [
                IndicatorStatus(
                    indicator,
                    headlines.get(indicator.id),
                    rag_status(headlines.get(indicator.id), indicator.tolerance),
                )
                for indicator in outcome.indicators
            ],
        )
        for outcome in framework.outcomes
    ]


@dataclass(frozen=True, slots=True)
class SpineRow:
    """One indicator on the spine: the place's latest value and where it, England and the comparators'
    middle half sit between the comparators' worst (0) and best (1)."""

    indicator: str
    id: str
    period: str
    value: float | None
    comparators: int
    q1: float
    q3: float
    england: float | None
    place: float | None
    comparison: str
    low: float = 0.0
    high: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "indicator": self.indicator,
            "id": self.id,
            "period": self.period,
            "value": self.value,
            "comparators": self.comparators,
            "low": self.low,
            "high": self.high,
            "q1": self.q1,
            "q3": self.q3,
            "england": self.england,
            "place": self.place,
            "comparison": self.comparison,
        }


@dataclass(frozen=True, slots=True)
class Spine:
    """The framework's basket against the comparator set."""

    framework: str
    comparator_set: str
    rows: list[SpineRow]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "framework": self.framework,
            "comparator_set": self.comparator_set,
            "rows": [r.to_dict() for r in self.rows],
        }


def scale(value: float | None, low: float, high: float, *, flip: bool) -> float | None:
    """``value`` between ``low`` (0) and ``high`` (1), turned round when low is good; None without a value or
    a range."""
    if value is None or high == low:
        return None
    position = (value - low) / (high - low)
    return round(1 - position if flip else position, 4)


def spine_row(indicator: Indicator, latest: BenchmarkRow, peers: list[float]) -> SpineRow | None:
    """The indicator's spine row from the place's latest headline row and the comparators' values in the same
    period (None with fewer than two comparators)."""
    if latest.value is None or len(peers) < 2:
        return None
    low, q1, q3, high = (float(v) for v in np.percentile(peers, [0, 25, 75, 100]))
    flip = indicator.polarity == "low_is_good"
    ends = sorted([scale(q1, low, high, flip=flip) or 0.0, scale(q3, low, high, flip=flip) or 0.0])
    return SpineRow(
        indicator=indicator.title,
        id=indicator.id,
        period=latest.period,
        value=latest.value,
        comparators=len(peers),
        q1=ends[0],
        q3=ends[1],
        england=scale(latest.benchmark, low, high, flip=flip),
        place=scale(latest.value, low, high, flip=flip),
        comparison=latest.comparison95,
    )


def spine(place: Place, headlines: Mapping[str, BenchmarkRow] | None = None) -> Spine:
    """The spine of the framework in force against the latest comparator set (``headlines``: the place's
    latest headline rows when already at hand, else read)."""
    with place.read() as conn:
        framework = current_framework(conn)
        found = current_set(conn)
    if framework is None or found is None:
        raise NotFoundError(
            "the spine chart needs a framework and a comparator set",
            hint="totalplace outcomes framework set FILE; totalplace outcomes comparators ... --save NAME",
        )
    latest = latest_headlines(place) if headlines is None else headlines
    comparators: dict[str, list[BenchmarkRow]] = {}
    try:
        for r in benchmark(place, areas=found.codes()).rows():
            comparators.setdefault(r.indicator, []).append(r)
    except NotFoundError:
        pass
    rows = []
    for _outcome, indicator in framework.indicators().values():
        own = latest.get(indicator.id)
        if own is None:
            continue
        same_period = [r for r in comparators.get(indicator.id, []) if r.period == own.period]
        peers = [r.value for r in headline(same_period) if r.value is not None]
        row = spine_row(indicator, own, peers)
        if row is not None:
            rows.append(row)
    return Spine(framework.title, found.name, rows)
