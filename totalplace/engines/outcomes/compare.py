"""Comparing an area's value with a benchmark by its confidence interval, and the significance of a trend.

As the public-health profiles do: an area is *similar* to its benchmark when the benchmark's value lies
within the area's interval, otherwise *higher* or *lower*; with the indicator's polarity, higher or lower
becomes *better* or *worse*. Without an interval or a benchmark the result is *not compared*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from totalplace.engines.outcomes.stats import z_value

Polarity = Literal["high_is_good", "low_is_good", "no_judgement"]
POLARITIES: Final = ("high_is_good", "low_is_good", "no_judgement")
TREND_POINTS: Final = 5  # the profiles test the trend of the five most recent points
TREND_CONFIDENCE: Final = 0.998


def compare(
    lower: npt.ArrayLike, upper: npt.ArrayLike, benchmark: npt.ArrayLike, polarity: Polarity
) -> npt.NDArray[np.str_]:
    """better / similar / worse (or higher / similar / lower without judgement; "not compared" if unknown)."""
    low, high, bench = (np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (lower, upper, benchmark))
    above = bench < low
    below = bench > high
    unknown = np.isnan(low) | np.isnan(high) | np.isnan(bench)
    up, down = {"high_is_good": ("better", "worse"), "low_is_good": ("worse", "better")}.get(
        polarity, ("higher", "lower")
    )
    result = np.where(above, up, np.where(below, down, "similar"))
    return np.where(unknown, "not compared", result)


@dataclass(frozen=True, slots=True)
class Trend:
    """The trend of a series' last five points: its direction, and the slope where it was calculated (with
    its standard error and the points used), or why it was not."""

    direction: str
    slope: float | None = None
    slope_se: float | None = None
    points: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``reason`` when not calculated, else the slope's standard error and points."""
        if self.reason is not None:
            return {"direction": self.direction, "reason": self.reason, "slope": self.slope}
        return {
            "direction": self.direction,
            "slope": self.slope,
            "slope_se": self.slope_se,
            "points": self.points,
        }


def _direction(slope: float, significant: bool, polarity: Polarity) -> str:
    if not significant:
        return "no significant change"
    rising = "increasing" if slope > 0 else "decreasing"
    if polarity == "no_judgement":
        return rising
    improving = (slope > 0) == (polarity == "high_is_good")
    return rising + (" and getting better" if improving else " and getting worse")


def trend(
    periods: list[float], values: list[float], lowers: list[float], uppers: list[float], polarity: Polarity
) -> Trend:
    """The trend of the last five points: weighted least squares slope, tested at 99.8%.

    Each point is weighted by the inverse of its variance, taken from its 95% interval (half-width / 1.96,
    squared). Fewer than five points, or points without intervals, give "not calculated".
    """
    points = sorted(zip(periods, values, lowers, uppers, strict=True))[-TREND_POINTS:]
    usable = [p for p in points if not any(np.isnan(v) for v in p[1:])]
    if len(points) < TREND_POINTS or len(usable) < TREND_POINTS:
        return Trend("not calculated", reason=f"{len(usable)} of {TREND_POINTS} points")
    x = np.array([p[0] for p in usable])
    y = np.array([p[1] for p in usable])
    se = (np.array([p[3] for p in usable]) - np.array([p[2] for p in usable])) / (2 * z_value(0.95))
    weights = 1 / np.maximum(se, 1e-12) ** 2
    xm = np.average(x, weights=weights)
    ym = np.average(y, weights=weights)
    sxx = float((weights * (x - xm) ** 2).sum())
    slope = float((weights * (x - xm) * (y - ym)).sum() / sxx)
    slope_se = float(np.sqrt(1 / sxx))
    significant = abs(slope / slope_se) > z_value(TREND_CONFIDENCE)
    return Trend(_direction(slope, significant, polarity), slope, slope_se, len(usable))


def trends(
    series: npt.NDArray[np.int64],
    periods: npt.ArrayLike,
    values: npt.ArrayLike,
    lowers: npt.ArrayLike,
    uppers: npt.ArrayLike,
    polarity: npt.NDArray[np.str_],
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.float64]]:
    """:func:`trend` for many series at once: each row's series id, its period, value and 95% limits.

    Returns, per series id (0 to max), the direction and the slope (NaN when not calculated), by weighted
    least squares over each series' last five points, with sums gathered by ``np.bincount``.
    """
    t, y, low, high = (np.asarray(a, dtype=np.float64) for a in (periods, values, lowers, uppers))
    groups = int(series.max()) + 1 if len(series) else 0
    order = np.lexsort((-t, series))  # by series, latest period first
    ranked = np.empty(len(series), dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(series[order])) + 1]
    ranked[order] = np.arange(len(series)) - np.repeat(starts, np.diff(np.r_[starts, len(series)]))
    keep = ranked < TREND_POINTS
    usable = keep & ~(np.isnan(y) | np.isnan(low) | np.isnan(high))
    points = np.bincount(series[keep], minlength=groups)
    good = np.bincount(series[usable], minlength=groups)
    se = (high - low) / (2 * z_value(0.95))
    w = np.where(usable, 1 / np.maximum(np.nan_to_num(se, nan=1.0), 1e-12) ** 2, 0.0)
    tu, yu = np.where(usable, t, 0.0), np.where(usable, y, 0.0)

    def total(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.bincount(series, weights=weights, minlength=groups).astype(np.float64)

    sw, swt, swy = total(w), total(w * tu), total(w * yu)
    swtt, swty = total(w * tu * tu), total(w * tu * yu)
    with np.errstate(invalid="ignore", divide="ignore"):
        sxx = swtt - swt**2 / sw
        slope = (swty - swt * swy / sw) / sxx
        z_score = slope / np.sqrt(1 / sxx)
    enough = (points >= TREND_POINTS) & (good >= TREND_POINTS)
    significant = enough & (np.abs(z_score) > z_value(TREND_CONFIDENCE))
    rising = slope > 0
    judged = polarity != "no_judgement"
    better = rising == (polarity == "high_is_good")
    direction = np.where(rising, "increasing", "decreasing").astype("<U40")
    direction = np.where(
        judged,
        np.char.add(direction, np.where(better, " and getting better", " and getting worse")),
        direction,
    )
    direction = np.where(significant, direction, "no significant change")
    direction = np.where(enough, direction, "not calculated")
    return direction, np.where(enough, slope, np.nan)
