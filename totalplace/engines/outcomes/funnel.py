"""Funnel plots: one indicator in one period across areas of one type, against the areas' pooled average.

The control limits and each area's significance follow the public-health profiles' method as implemented by
PHEindicatormethods (``calculate_funnel_limits`` / ``assign_funnel_significance``): limits at the 0.025 and
0.001 tails (about two and three standard deviations) drawn along 100 points of the x axis, the axis chosen
from the areas' smallest and largest denominators; proportions by the normal approximation around the
average, rates and ratios by the exact Poisson distribution of the count. An area is significantly high or
low when its own interval (Wilson, or Byar's / exact Poisson) excludes the average; the indicator's polarity
turns that into better or worse.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt

from totalplace.datasets.observations import area_entities, period_start
from totalplace.engines.outcomes import stats
from totalplace.engines.outcomes.benchmark import ENGLAND, indicator_of, latest_observations
from totalplace.engines.outcomes.compare import Polarity
from totalplace.engines.outcomes.framework import Indicator, current_framework
from totalplace.errors import InvalidInputError, NotFoundError
from totalplace.store.areas import list_areas

if TYPE_CHECKING:
    from totalplace.place import Place
    from totalplace.reports.charts import RenderedChart

Statistic = Literal["proportion", "rate", "ratio"]
FloatArray = npt.NDArray[np.float64]
# (tail, label): the profiles' 95% and 99.8% control limits
TAILS: Final = ((0.025, "95"), (0.001, "998"))
POINTS: Final = 100
_YEARS = re.compile(r"^\s*(\d{4})(?:/\d{2,4})?\s*-\s*(\d{4}|\d{2})\b")


def _floor_significant(x: float, share: float = 0.95) -> float:
    """``x * share`` rounded down to its leading digit (the axis minimum)."""
    if x == 0:
        return 0.0
    digits = len(str(math.floor(x * share))) - 1
    return float(math.floor(x * share / 10**digits) * 10**digits)


def _ceil_significant(x: float, share: float = 1.05) -> float:
    """``x * share`` rounded up to its two leading digits (the axis maximum)."""
    if x == 0:
        return 0.0
    digits = len(str(math.ceil(x * share))) - 2
    return float(math.ceil(x * share / 10**digits) * 10**digits)


def axis(
    smallest: float, largest: float, statistic: Statistic, *, average: float = 1.0, years: int = 1
) -> list[int]:
    """The 100 x values the limits are drawn at: denominators for proportions, observed counts for ratios
    and event counts for rates, spaced geometrically from the axis minimum to its maximum (zero when the
    largest denominator is over twice the smallest)."""
    per_year = years if statistic == "rate" else 1
    low = 0.0 if largest > 2 * smallest else _floor_significant(smallest / per_year) * per_year
    high = _ceil_significant(largest / per_year) * per_year
    if statistic == "rate":
        low, high = math.floor(low * average), math.ceil(high * average)
    values = [max(1, int(low))]
    for j in range(2, POINTS + 1):
        steps = POINTS + 1 - (j - 1 if statistic == "ratio" else j)
        values.append(max(round((high / values[-1]) ** (1 / steps) * values[-1]), values[-1] + 1))
    return values


def limit_lines(
    statistic: Statistic, xs: list[int], average: float, *, multiplier: float, years: int = 1
) -> list[dict[str, Any]]:
    """The limits along the axis, one row per x value: for rates ``population_lower95`` etc. are the
    populations (per year) at which that many events sit on each limit; for ratios ``expected_lower95`` etc.
    are the expected counts."""
    x = np.asarray(xs, dtype=np.float64)
    columns: dict[str, FloatArray] = {}
    for tail, label in TAILS:
        if statistic == "proportion":
            low, high = stats.funnel_limits_proportion(average, x, tail, multiplier)
        else:
            on_lower, on_upper = stats.funnel_expected_events(x, tail)
            if statistic == "rate":
                columns[f"population_lower{label}"] = on_lower / average / years
                columns[f"population_upper{label}"] = on_upper / average / years
                low, high = x * average / on_lower * multiplier, x * average / on_upper * multiplier
            else:
                columns[f"expected_lower{label}"], columns[f"expected_upper{label}"] = on_lower, on_upper
                low, high = x / on_lower * multiplier, x / on_upper * multiplier
        columns[f"lower{label}"], columns[f"upper{label}"] = low, high
    return [
        {"x": int(xs[i]), **{name: float(values[i]) for name, values in columns.items()}}
        for i in range(len(xs))
    ]


def significance(
    statistic: Statistic,
    count: Any,
    denominator: Any,
    average: float,
    *,
    standardised: bool = False,
) -> list[str]:
    """Each area against the funnel: "High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)" or
    "Not significant". For proportions, the area's proportion against the limits at its denominator; for
    rates and ratios, the area's Poisson interval (exact below 10 events, else Byar's) over its denominator
    (the population, or the expected count) against the average. Directly standardised rates with fewer than
    10 events are not assessed, as in the profiles."""
    x, n = np.asarray(count, dtype=np.float64), np.asarray(denominator, dtype=np.float64)
    verdicts = np.full(len(x), "Not significant", dtype="<U64")
    with np.errstate(divide="ignore", invalid="ignore"):
        for tail, _label in TAILS:  # the wider 0.025 first, so 0.001 overrides it
            if statistic == "proportion":
                low, high = stats.funnel_limits_proportion(average, n, tail, 1.0)
                value = x / n
                is_low, is_high = value < low, value > high
            else:
                lower, upper, _ = stats.poisson_limits(x, 1 - 2 * tail)
                is_high, is_low = lower / n > average, upper / n < average
            verdicts = np.where(is_high, f"High ({tail:g})", np.where(is_low, f"Low ({tail:g})", verdicts))
    if standardised:
        verdicts = np.where(
            x < stats.SMALL_COUNT, "Not applicable for events less than 10 for dsrs", verdicts
        )
    return [str(v) for v in verdicts]


def judged(verdict: str, polarity: Polarity) -> str:
    """A significance label as better / worse (or higher / lower without judgement) / similar."""
    if verdict.startswith(("High", "Low")):
        up, down = {"high_is_good": ("better", "worse"), "low_is_good": ("worse", "better")}.get(
            polarity, ("higher", "lower")
        )
        return up if verdict.startswith("High") else down
    return "similar" if verdict == "Not significant" else "not compared"


def years_of(period: str) -> int:
    """How many years a period spans: ``2015 - 17`` is 3; a year, financial year or quarter is 1."""
    match = _YEARS.match(period)
    if match is None:
        return 1
    start, end = int(match.group(1)), match.group(2)
    end_year = int(end) if len(end) == 4 else start // 100 * 100 + int(end)
    return max(1, end_year - start + 1)


def statistic_of(indicator: Indicator) -> Statistic:
    """The funnel an indicator's value type is drawn on; counts and means have none."""
    if indicator.value_type == "proportion":
        return "proportion"
    if indicator.value_type in ("crude_rate", "dsr"):
        return "rate"
    if indicator.value_type == "isr":
        return "ratio"
    raise InvalidInputError(
        f"indicator {indicator.id} is a {indicator.value_type}: funnel plots are drawn for proportions, "
        "rates and ratios",
        hint="choose a proportion, rate or ratio indicator",
    )


@dataclass(frozen=True)
class Funnel:
    """One indicator's funnel for one period and area type: the average, the limit lines and the areas."""

    indicator: str
    title: str
    period: str
    area_type: str
    statistic: Statistic
    polarity: Polarity
    multiplier: float
    years: int
    average: float
    lines: list[dict[str, Any]] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)

    @property
    def baseline(self) -> float:
        """The average in the indicator's units."""
        return self.average * (self.multiplier or 1.0)

    def chart_lines(self) -> list[dict[str, Any]]:
        """The four limits as ``{"limit", "level", "x", "y"}`` rows on the chart's axes (x: denominator,
        population per year or expected count), cut where they leave twice the highest value plotted."""
        prefix = {"proportion": "", "rate": "population_", "ratio": "expected_"}[self.statistic]
        values = [p["value"] for p in self.points if p["value"] is not None]
        ceiling = 2 * max([self.baseline, *values])
        out = []
        for line in self.lines:
            for side in ("lower", "upper"):
                for _tail, label in TAILS:
                    x, y = line[f"{prefix}{side}{label}"] if prefix else line["x"], line[f"{side}{label}"]
                    if 0 <= y <= ceiling and np.isfinite(x):
                        level = "95%" if label == "95" else "99.8%"
                        out.append({"limit": f"{level} {side}", "level": level, "x": x, "y": y})
        return out

    def chart(self) -> RenderedChart:
        """The funnel plot."""
        from totalplace.reports.charts import funnel_chart

        x_title = {"proportion": "denominator", "rate": "population (per year)", "ratio": "expected count"}
        return funnel_chart(
            self.chart_lines(),
            self.points,
            baseline=self.baseline,
            title=f"{self.title}, {self.period} ({self.area_type or 'areas'})",
            x_title=x_title[self.statistic],
            y_title="value",
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "indicator": self.indicator,
            "title": self.title,
            "period": self.period,
            "area_type": self.area_type,
            "statistic": self.statistic,
            "polarity": self.polarity,
            "multiplier": self.multiplier,
            "years": self.years,
            "baseline": self.baseline,
            "lines": self.lines,
            "areas": self.points,
        }


_NATIONAL: Final = ("E92", "E12", "E40")  # England, its regions and NHS regions: benchmarks, not peers


def _kind(row: dict[str, Any]) -> str:
    """The area type as published, else the kind of area its GSS code names."""
    return str(row.get("area_type") or area_entities().get(str(row["area_code"])[:3], ""))


def _headline(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Persons, no category, all ages where published (else the commonest age)."""
    persons = [r for r in rows if not r.get("category") and (r.get("sex") or "Persons") == "Persons"]
    ages = [r.get("age") or "" for r in persons]
    if not ages:
        return []
    age = "All ages" if "All ages" in ages else max(set(ages), key=ages.count)
    return [r for r in persons if (r.get("age") or "") == age]


def funnel(
    place: Place, indicator_id: str, *, period: str | None = None, area_type: str | None = None
) -> Funnel:
    """The funnel of ``indicator_id`` in ``period`` (default: the latest with areas to compare) across the
    areas of ``area_type`` (default: the kind of the place's own areas, such as its wards, where they have
    counts; else the type with the most areas, England and regions aside)."""
    with place.read() as conn:
        framework = current_framework(conn)
        areas = list_areas(conn)
    table = latest_observations(place, indicator_id)
    indicator = indicator_of(framework, table, indicator_id)
    rows = _headline(
        [
            r
            for r in table.to_pylist()
            if r["count"] is not None
            and r["denominator"]
            and r["area_code"] != ENGLAND
            and (period is None or r["period"] == period)
        ]
    )
    if not rows:
        raise NotFoundError(
            f"no counts and denominators by area for indicator {indicator_id}"
            + (f" in {period}" if period else ""),
            hint="a funnel needs each area's count and denominator",
        )
    statistic = statistic_of(indicator)
    kinds = [_kind(r) for r in rows]
    own = {a.code for a in areas}
    types: dict[str, int] = {}
    for r, kind in zip(rows, kinds, strict=True):
        if kind not in ("Country", "Region") and r["area_code"][:3] not in _NATIONAL:
            # the place's own areas first: a funnel of its wards rather than of England's authorities
            types[kind] = types.get(kind, 0) + (1_000_000 if r["area_code"] in own else 1)
    chosen_type = area_type if area_type is not None else max(types, key=lambda k: types[k], default="")
    rows = [r for r, kind in zip(rows, kinds, strict=True) if kind == chosen_type]
    if period is None:
        latest = max((r["period"] for r in rows), key=lambda p: period_start(p) or 0.0, default=None)
        rows = [r for r in rows if r["period"] == latest]
    if len(rows) < 2:
        raise NotFoundError(
            f"fewer than two {chosen_type or 'areas'} with counts for indicator {indicator_id}"
            + (f" in {period}" if period else ""),
            hint="choose another period or area type (--area-type)",
        )
    chosen_period = rows[0]["period"]
    years = years_of(chosen_period)
    count = np.array([float(r["count"]) for r in rows])
    denominator = np.array([float(r["denominator"]) for r in rows])
    multiplier = float(indicator.multiplier)
    published = np.array([np.nan if r["value"] is None else float(r["value"]) for r in rows])
    # areas published without a value (the place's own wards, say) get it from their count: every value
    # type but a standardised rate is the count over the denominator times the multiplier
    calculable = indicator.value_type != "dsr"
    value = np.where(np.isnan(published) & calculable, count / denominator * multiplier, published)
    if statistic == "rate" and indicator.value_type == "dsr":
        # a standardised rate's own population is not its denominator: the one that gives the rate is derived
        with np.errstate(divide="ignore", invalid="ignore"):
            denominator = np.where(count > 0, multiplier * count / value, np.nan)
    average = float(np.nansum(count[~np.isnan(denominator)]) / np.nansum(denominator))
    xs = axis(
        float(np.nanmin(denominator)), float(np.nanmax(denominator)), statistic, average=average, years=years
    )
    verdicts = significance(
        statistic, count, denominator, average, standardised=indicator.value_type == "dsr"
    )
    points = [
        {
            "area_code": r["area_code"],
            "area_name": r.get("area_name") or r["area_code"],
            "count": r["count"],
            "denominator": r["denominator"],
            "x": float(denominator[i] / years) if statistic == "rate" else float(denominator[i]),
            "value": None if np.isnan(value[i]) else float(value[i]),
            "significance": verdicts[i],
            "comparison": judged(verdicts[i], indicator.polarity),
        }
        for i, r in enumerate(rows)
    ]
    return Funnel(
        indicator=indicator_id,
        title=indicator.title,
        period=chosen_period,
        area_type=chosen_type,
        statistic=statistic,
        polarity=indicator.polarity,
        multiplier=multiplier,
        years=years,
        average=average,
        lines=limit_lines(statistic, xs, average, multiplier=multiplier, years=years),
        points=sorted(points, key=lambda p: p["x"]),
    )
