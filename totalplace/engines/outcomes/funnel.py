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
    import pyarrow as pa

    from totalplace.place import Place

Statistic = Literal["proportion", "rate", "ratio"]
AxisName = Literal["", "population_", "expected_"]
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


@dataclass(frozen=True, slots=True)
class LimitLine:
    """The control limits at one point of the axis. For rates, ``on_axis`` holds the populations (per year)
    at which that many events sit on each limit; for ratios, the expected counts; for proportions nothing
    (the limits are drawn at the denominator ``x`` itself)."""

    x: int
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    on_axis: tuple[float, float, float, float] | None = None
    axis_name: AxisName = ""

    def limit(self, side: str, label: str) -> float:
        """The ``side`` ("lower", "upper") limit at ``label`` ("95", "998")."""
        return float(getattr(self, f"{side}{label}"))

    def x_of(self, side: str, label: str) -> float:
        """Where the ``side`` limit at ``label`` is drawn on the chart's x axis."""
        if self.on_axis is None:
            return self.x  # the denominator itself, a whole number (so the chart's spec keeps it one)
        return self.on_axis[("lower", "upper").index(side) + (2 if label == "998" else 0)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: for each level its axis values (rates and ratios) then its limits."""
        out: dict[str, Any] = {"x": self.x}
        for i, (_tail, label) in enumerate(TAILS):
            if self.on_axis is not None:
                out[f"{self.axis_name}lower{label}"] = self.on_axis[2 * i]
                out[f"{self.axis_name}upper{label}"] = self.on_axis[2 * i + 1]
            out[f"lower{label}"] = self.limit("lower", label)
            out[f"upper{label}"] = self.limit("upper", label)
        return out


def limit_lines(
    statistic: Statistic, xs: list[int], average: float, *, multiplier: float, years: int = 1
) -> list[LimitLine]:
    """The limits along the axis, one line per x value: for rates the populations (per year) at which that
    many events sit on each limit are kept too; for ratios the expected counts."""
    x = np.asarray(xs, dtype=np.float64)
    columns: dict[str, FloatArray] = {}
    for tail, label in TAILS:
        if statistic == "proportion":
            low, high = stats.funnel_limits_proportion(average, x, tail, multiplier)
        else:
            on_lower, on_upper = stats.funnel_expected_events(x, tail)
            if statistic == "rate":
                columns[f"axis_lower{label}"] = on_lower / average / years
                columns[f"axis_upper{label}"] = on_upper / average / years
                low, high = x * average / on_lower * multiplier, x * average / on_upper * multiplier
            else:
                columns[f"axis_lower{label}"], columns[f"axis_upper{label}"] = on_lower, on_upper
                low, high = x / on_lower * multiplier, x / on_upper * multiplier
        columns[f"lower{label}"], columns[f"upper{label}"] = low, high
    axis_name = _AXIS_NAMES[statistic]
    return [_line(xs, i, columns, axis_name) for i in range(len(xs))]


_AXIS_NAMES: Final[dict[Statistic, AxisName]] = {
    "proportion": "",
    "rate": "population_",
    "ratio": "expected_",
}


def _line(xs: list[int], i: int, columns: dict[str, FloatArray], axis_name: AxisName) -> LimitLine:
    def at(name: str) -> float:
        return float(columns[name][i])

    on_axis = (
        (at("axis_lower95"), at("axis_upper95"), at("axis_lower998"), at("axis_upper998"))
        if axis_name
        else None
    )
    return LimitLine(
        int(xs[i]), at("lower95"), at("upper95"), at("lower998"), at("upper998"), on_axis, axis_name
    )


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


@dataclass(frozen=True, slots=True)
class FunnelPoint:
    """One area on the funnel: its count over its denominator, where it sits on the x axis, its value, and
    its significance against the average (and what that means with the indicator's polarity)."""

    area_code: str
    area_name: str
    count: float
    denominator: float
    x: float
    value: float | None
    significance: str
    comparison: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "area_code": self.area_code,
            "area_name": self.area_name,
            "count": self.count,
            "denominator": self.denominator,
            "x": self.x,
            "value": self.value,
            "significance": self.significance,
            "comparison": self.comparison,
        }


@dataclass(frozen=True, slots=True)
class ChartLine:
    """A point of one of the four limit lines on the chart's axes (``limit`` such as "95% lower")."""

    limit: str
    level: str
    x: float
    y: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"limit": self.limit, "level": self.level, "x": self.x, "y": self.y}


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
    lines: list[LimitLine] = field(default_factory=list)
    points: list[FunnelPoint] = field(default_factory=list)

    @property
    def baseline(self) -> float:
        """The average in the indicator's units."""
        return self.average * (self.multiplier or 1.0)

    def chart_lines(self) -> list[ChartLine]:
        """The four limits on the chart's axes (x: denominator, population per year or expected count), cut
        where they leave twice the highest value plotted."""
        values = [p.value for p in self.points if p.value is not None]
        ceiling = 2 * max([self.baseline, *values])
        out = []
        for line in self.lines:
            for side in ("lower", "upper"):
                for _tail, label in TAILS:
                    x, y = line.x_of(side, label), line.limit(side, label)
                    if 0 <= y <= ceiling and np.isfinite(x):
                        level = "95%" if label == "95" else "99.8%"
                        out.append(ChartLine(f"{level} {side}", level, x, y))
        return out

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
            "lines": [line.to_dict() for line in self.lines],
            "areas": [p.to_dict() for p in self.points],
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


def _counted_rows(table: pa.Table, indicator_id: str, period: str | None) -> list[dict[str, Any]]:
    """The headline rows with a count and denominator (England aside), of ``period`` if given."""
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
    return rows


def _of_area_type(
    rows: list[dict[str, Any]], own: set[str], area_type: str | None, period: str | None, indicator_id: str
) -> tuple[list[dict[str, Any]], str]:
    """The rows of ``area_type`` (default: the kind of the place's own areas where they have counts, else
    the type with the most areas, England and regions aside) in the period (default: the latest), and the
    type chosen."""
    kinds = [_kind(r) for r in rows]
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
    return rows, chosen_type


def _values(
    indicator: Indicator, statistic: Statistic, rows: list[dict[str, Any]]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each area's count, denominator (for a standardised rate, the population that gives its rate) and
    value (calculated from the count where none was published)."""
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
    return count, denominator, value


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
    rows = _counted_rows(table, indicator_id, period)
    statistic = statistic_of(indicator)
    rows, chosen_type = _of_area_type(rows, {a.code for a in areas}, area_type, period, indicator_id)
    chosen_period = rows[0]["period"]
    years = years_of(chosen_period)
    count, denominator, value = _values(indicator, statistic, rows)
    average = float(np.nansum(count[~np.isnan(denominator)]) / np.nansum(denominator))
    xs = axis(
        float(np.nanmin(denominator)), float(np.nanmax(denominator)), statistic, average=average, years=years
    )
    verdicts = significance(
        statistic, count, denominator, average, standardised=indicator.value_type == "dsr"
    )
    points = [
        FunnelPoint(
            area_code=r["area_code"],
            area_name=r.get("area_name") or r["area_code"],
            count=r["count"],
            denominator=r["denominator"],
            x=float(denominator[i] / years) if statistic == "rate" else float(denominator[i]),
            value=None if np.isnan(value[i]) else float(value[i]),
            significance=verdicts[i],
            comparison=judged(verdicts[i], indicator.polarity),
        )
        for i, r in enumerate(rows)
    ]
    return Funnel(
        indicator=indicator_id,
        title=indicator.title,
        period=chosen_period,
        area_type=chosen_type,
        statistic=statistic,
        polarity=indicator.polarity,
        multiplier=float(indicator.multiplier),
        years=years,
        average=average,
        lines=limit_lines(statistic, xs, average, multiplier=float(indicator.multiplier), years=years),
        points=sorted(points, key=lambda p: p.x),
    )
