"""One indicator for the place, everything known of it at once: every period and breakdown benchmarked, the
inequality gradient across deprivation deciles, the comparator set's values and the funnel across areas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from totalplace.engines.outcomes.benchmark import (
    ENGLAND,
    Against,
    BenchmarkRow,
    benchmark,
    by_period,
    headline,
)
from totalplace.engines.outcomes.comparators import current_set
from totalplace.engines.outcomes.funnel import Funnel, funnel
from totalplace.engines.outcomes.inequality import InequalityResult, inequality
from totalplace.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from totalplace.place import Place


@dataclass(frozen=True, slots=True)
class ComparatorValue:
    """A member of the comparator set: its value of the indicator with 95% limits, and its distance."""

    code: str
    name: str
    value: float | None
    lower95: float | None
    upper95: float | None
    distance: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "code": self.code,
            "name": self.name,
            "value": self.value,
            "lower95": self.lower95,
            "upper95": self.upper95,
            "distance": self.distance,
        }


@dataclass(frozen=True, slots=True)
class IndicatorContext:
    """The indicator's inequality gradient (None where no deprivation breakdown is published) and the
    comparators' values, nearest first."""

    inequality: InequalityResult | None
    comparators: list[ComparatorValue]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "inequality": None if self.inequality is None else self.inequality.to_dict(),
            "comparators": [c.to_dict() for c in self.comparators],
        }


def _gradient(place: Place, indicator_id: str) -> InequalityResult | None:
    """The gradient across the place's own deciles, else England's."""
    for area in (place.config.code or "", ENGLAND):
        try:
            return inequality(place, indicator_id, area=area)
        except NotFoundError:
            continue
    return None


def gradient_and_comparators(place: Place, indicator_id: str, period: str | None) -> IndicatorContext:
    """The inequality gradient (the place's deciles, else England's) and the comparator set's values in
    ``period``."""
    gradient = _gradient(place, indicator_id)
    with place.read() as conn:
        found = current_set(conn)
    if found is None or period is None:
        return IndicatorContext(gradient, [])
    members = {m.code: m for m in found.members}
    rows = benchmark(place, indicator=indicator_id, areas=list(members), period=period).rows()
    comparators = [
        ComparatorValue(
            r.area_code,
            members[r.area_code].name,
            r.value,
            r.lower95,
            r.upper95,
            members[r.area_code].distance,
        )
        for r in headline(rows)
    ]
    return IndicatorContext(gradient, sorted(comparators, key=lambda c: c.distance))


def funnel_or_none(place: Place, indicator_id: str) -> Funnel | None:
    """The indicator's funnel across areas, where it has one (a proportion, rate or ratio published with
    counts for two or more areas of a kind)."""
    try:
        return funnel(place, indicator_id)
    except (NotFoundError, InvalidInputError):
        return None


@dataclass(frozen=True, slots=True)
class IndicatorReport:
    """The indicator for the place: its rows against ``against``, the headline series in time order, the
    gradient and comparators of its latest period, and its funnel."""

    indicator: str
    against: str
    rows: list[BenchmarkRow]
    series: list[BenchmarkRow]
    context: IndicatorContext
    funnel: Funnel | None

    @property
    def title(self) -> str:
        """The indicator's title (its id when it has no rows)."""
        return self.rows[0].title if self.rows else self.indicator

    @property
    def value_type(self) -> str:
        """The indicator's value type ("" when it has no rows)."""
        return self.rows[0].value_type if self.rows else ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what the indicator's page shows."""
        return {
            "indicator": self.indicator,
            "funnel": None if self.funnel is None else self.funnel.to_dict(),
            "title": self.title,
            "against": self.against,
            "rows": [r.to_dict() for r in self.rows],
            **self.context.to_dict(),
        }


def indicator_report(place: Place, indicator_id: str, *, against: Against = "england") -> IndicatorReport:
    """Everything the place knows of ``indicator_id``: its own rows benchmarked against ``against``, the
    gradient and comparators of the latest period, and the funnel across areas."""
    rows = benchmark(place, indicator=indicator_id, against=against, areas=[place.config.code or ""]).rows()
    series = by_period(headline(rows))
    context = gradient_and_comparators(place, indicator_id, series[-1].period if series else None)
    return IndicatorReport(indicator_id, against, rows, series, context, funnel_or_none(place, indicator_id))
