"""Confidence intervals by the methods of the public-health profiles (Fingertips), vectorised with numpy.

The formulas are those of the Public Health England "Technical Guide: Confidence Intervals" and of the
PHEindicatormethods R package (UKHSA) that implements them; the package's own test fixtures are reproduced
in ``tests/realdata/test_outcome_methods.py``.

- proportions: Wilson score interval;
- counts and crude rates: Byar's approximation to the Poisson, exact (chi-squared) limits below 10 events;
- directly standardised rates: Dobson's method, not calculated when the total count is under 10;
- indirectly standardised ratios and rates: Byar's on the observed count (exact below 10), over the expected;
- means: Student's t.

Those are the defaults. An indicator may name another method for its counts, as Fingertips' metadata names
them (``parameters/outcomes/confidence_interval_methods.yaml``): "Byar's method (no small number
correction)" (Byar's at every count, as Fingertips published some indicators) or "Exact Poisson method".

Confidence is a fraction: 0.95 or 0.998 (the profiles' 95% and 99.8%, about 2 and 3 standard deviations).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@functools.cache
def _distributions() -> Any:
    """scipy.stats (normal, chi-squared, Student's t), imported on first use: it takes a second to load."""
    import scipy.stats

    return scipy.stats


SMALL_COUNT = 10  # below this, exact Poisson limits (rates, ratios) and no DSR (PHE technical guide)


def _array(values: Any) -> FloatArray:
    return np.atleast_1d(np.asarray(values, dtype=np.float64))


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for a confidence level (0.95 gives 1.95996...).

    >>> round(z_value(0.95), 4), round(z_value(0.998), 4)
    (1.96, 3.0902)
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence is a fraction between 0 and 1, e.g. 0.95")
    return float(_distributions().norm.ppf(0.5 + confidence / 2))


def wilson(x: Any, n: Any, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Wilson score limits of the proportion x/n (as proportions of 1).

    8 of 10 at 95%, and the limits stay inside 0..1 even at none and all:

    >>> lower, upper = wilson([8, 0, 10], [10, 10, 10], 0.95)
    >>> [round(float(v), 4) for v in lower], [round(float(v), 4) for v in upper]
    ([0.4902, 0.0, 0.7225], [0.9433, 0.2775, 1.0])
    """
    x, n = _array(x), _array(n)
    z = z_value(confidence)
    p = x / n
    root = z * np.sqrt(z**2 + 4 * x * (1 - p))
    denominator = 2 * (n + z**2)
    return (2 * x + z**2 - root) / denominator, (2 * x + z**2 + root) / denominator


def byars(x: Any, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Byar's approximate Poisson limits of a count; a lower limit below zero is not defined (NaN).

    >>> lower, upper = byars(10, 0.95)
    >>> round(float(lower[0]), 3), round(float(upper[0]), 3)
    (4.787, 18.391)
    """
    x = _array(x)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    return np.where(lower >= 0, lower, np.nan), upper


def exact_poisson(x: Any, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Exact Poisson limits of a count from the chi-squared distribution (lower 0 for no events)."""
    x = _array(x)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, _distributions().chi2.ppf(alpha / 2, 2 * x) / 2, 0.0)
    upper = _distributions().chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    return lower, upper


def byars_every_count(x: Any, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Byar's limits at every count, small ones too; a lower limit Byar's leaves undefined (no events, or a
    high confidence on a few) is 0, the least a count can be.

    >>> lower, upper = byars_every_count([0, 3], 0.95)
    >>> [round(float(v), 3) for v in lower], [round(float(v), 3) for v in upper]
    ([0.0, 0.603], [3.668, 8.765])
    """
    lower, upper = byars(x, confidence)
    return np.nan_to_num(lower, nan=0.0), upper


def poisson_limits(x: Any, confidence: float) -> tuple[FloatArray, FloatArray, npt.NDArray[np.str_]]:
    """Limits of a count: exact below 10 events, Byar's from 10; and which method each row used.

    >>> lower, upper, method = poisson_limits([3, 25], 0.95)
    >>> [round(float(v), 3) for v in lower], [round(float(v), 3) for v in upper], method.tolist()
    ([0.619, 16.174], [8.767, 36.906], ['Exact', 'Byars'])
    """
    x = _array(x)
    small = x < SMALL_COUNT
    exact_low, exact_high = exact_poisson(np.where(small, x, 0), confidence)
    byars_low, byars_high = byars(np.where(small, SMALL_COUNT, x), confidence)
    method = np.where(small, "Exact", "Byars")
    return np.where(small, exact_low, byars_low), np.where(small, exact_high, byars_high), method


def count_limits(
    x: Any, confidence: float, method: str = "byars"
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.str_]]:
    """Limits of a count by an interval method's key (``byars``: exact below 10, Byar's from 10;
    ``byars_no_small_number_correction``: Byar's at every count; ``exact_poisson``), and each row's method.

    >>> [round(float(v), 3) for v in count_limits([3, 25], 0.95, "byars_no_small_number_correction")[0]]
    [0.603, 16.174]
    >>> count_limits([3, 25], 0.95, "exact_poisson")[2].tolist()
    ['Exact', 'Exact']
    """
    x = _array(x)
    if method == "byars":
        return poisson_limits(x, confidence)
    if method == "byars_no_small_number_correction":
        lower, upper = byars_every_count(x, confidence)
        return lower, upper, np.full(x.shape, "Byars")
    if method == "exact_poisson":
        lower, upper = exact_poisson(x, confidence)
        return lower, upper, np.full(x.shape, "Exact")
    raise ValueError(f"{method!r} is not a method for the limits of a count")


@dataclass(frozen=True)
class IntervalMethod:
    """A confidence-interval method as Fingertips' indicator metadata names it, what it calculates and the
    value types it applies to."""

    key: str
    name: str
    value_types: tuple[str, ...]
    description: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "key": self.key,
            "name": self.name,
            "value_types": list(self.value_types),
            "description": self.description,
        }


def _spelling(name: str) -> str:
    """A method's name as compared: case, curly apostrophes and spacing do not matter."""
    return " ".join(name.replace("\u2019", "'").casefold().split())


@functools.cache
def _methods() -> tuple[dict[str, IntervalMethod], dict[str, str]]:
    """The methods by key (from the cited parameter file), and each value type's default method key."""
    from totalplace.parameters import load_parameter

    body = load_parameter("outcomes/confidence_interval_methods.yaml").body
    methods = {
        str(m["key"]): IntervalMethod(
            str(m["key"]),
            str(m["name"]),
            tuple(map(str, m["value_types"])),
            " ".join(str(m["description"]).split()),
        )
        for m in body["methods"]
    }
    return methods, {str(k): str(v) for k, v in body["defaults"].items()}


def interval_methods() -> list[IntervalMethod]:
    """Every method an indicator can name, in the parameter file's order."""
    return list(_methods()[0].values())


def interval_method(name: str) -> IntervalMethod:
    """The method Fingertips' metadata calls ``name`` (or its key); ValueError naming the choices if none.

    >>> interval_method("BYAR'S METHOD  (no small number correction)").key
    'byars_no_small_number_correction'
    """
    wanted = _spelling(name)
    for method in interval_methods():
        if wanted in (_spelling(method.name), method.key):
            return method
    choices = "; ".join(m.name for m in interval_methods())
    raise ValueError(f"{name!r} is not a confidence-interval method Fingertips names (one of: {choices})")


def default_interval_method(value_type: str) -> IntervalMethod:
    """The method the profiles' methods documentation gives a value type.

    >>> default_interval_method("crude_rate").name, default_interval_method("proportion").name
    ("Byar's method", 'Wilson Score method')
    """
    methods, defaults = _methods()
    return methods[defaults[value_type]]


@dataclass(frozen=True)
class Estimate:
    """Values with their lower and upper limits at one confidence level, and the method of each row."""

    value: FloatArray
    lower: FloatArray
    upper: FloatArray
    method: npt.NDArray[np.str_]


def proportion(x: Any, n: Any, confidence: float, multiplier: float = 1.0) -> Estimate:
    """A proportion (or percentage with multiplier 100) with Wilson score limits."""
    x, n = _array(x), _array(n)
    lower, upper = wilson(x, n, confidence)
    return Estimate(x / n * multiplier, lower * multiplier, upper * multiplier, np.full(x.shape, "Wilson"))


def crude_rate(
    x: Any, n: Any, confidence: float, multiplier: float = 100_000, method: str = "byars"
) -> Estimate:
    """A crude rate per ``multiplier`` with Byar's limits (exact below 10 events), or by another method for
    counts (:func:`count_limits`)."""
    x, n = _array(x), _array(n)
    lower, upper, method_used = count_limits(x, confidence, method)
    return Estimate(x / n * multiplier, lower / n * multiplier, upper / n * multiplier, method_used)


def directly_standardised_rate(
    counts: Any, populations: Any, standard: Any, confidence: float, multiplier: float = 100_000
) -> Estimate:
    """One area's DSR over its age bands, with Dobson's limits; NaN when the total count is under 10.

    DSR = sum(w_i x_i / n_i) / sum(w_i); var = sum(w_i^2 x_i / n_i^2) / sum(w_i)^2; the limits move the DSR by
    sqrt(var / O) times the distance of Byar's limits of the total count O from O (Dobson et al. 1991).
    """
    x, n, w = _array(counts), _array(populations), _array(standard)
    total = float(x.sum())
    dsr = float((w * x / n).sum() / w.sum())
    if total < SMALL_COUNT:
        nan = np.array([np.nan])
        return Estimate(nan, nan, nan, np.array(["dsr NA for total count < 10"]))
    variance = float((w**2 * x / n**2).sum() / w.sum() ** 2)
    low, high = (float(limit[0]) for limit in byars(total, confidence))
    scale = np.sqrt(variance / total)
    return Estimate(
        np.array([dsr * multiplier]),
        np.array([(dsr + scale * (low - total)) * multiplier]),
        np.array([(dsr + scale * (high - total)) * multiplier]),
        np.array(["Dobson"]),
    )


def indirectly_standardised(
    observed: Any,
    expected: Any,
    confidence: float,
    reference_rate: float | None = None,
    method: str = "byars",
) -> Estimate:
    """The standardised ratio O/E (or, given the reference rate, the indirectly standardised rate) with
    Byar's limits on the observed count (exact below 10), or another method for counts."""
    o, e = _array(observed), _array(expected)
    lower, upper, method_used = count_limits(o, confidence, method)
    scale = 1.0 if reference_rate is None else reference_rate
    return Estimate(o / e * scale, lower / e * scale, upper / e * scale, method_used)


def mean(values: Any, confidence: float) -> Estimate:
    """A mean with Student's t limits."""
    v = _array(values)
    count = len(v)
    centre = float(v.mean())
    spread = float(_distributions().t.ppf(0.5 + confidence / 2, count - 1) * v.std(ddof=1) / np.sqrt(count))
    return Estimate(
        np.array([centre]),
        np.array([centre - spread]),
        np.array([centre + spread]),
        np.array(["Student's t"]),
    )


def esp2013() -> list[tuple[str, int]]:
    """The 2013 European Standard Population: (age band, weight), 19 bands summing to 100,000."""
    from totalplace.parameters import load_parameter

    body = load_parameter("outcomes/european_standard_population_2013.yaml").body
    return [(str(b["band"]), int(b["weight"])) for b in body["bands"]]


@dataclass(frozen=True)
class Inequality:
    """The slope index of inequality (SII), relative index (RII) and the gap between the extreme quantiles."""

    sii: float
    sii_lower: float
    sii_upper: float
    rii: float
    rii_lower: float
    rii_upper: float
    intercept: float
    gap: float
    gap_lower: float
    gap_upper: float


def slope_index(
    values: Any,
    populations: Any,
    standard_errors: Any,
    confidence: float,
    repetitions: int = 100_000,
    seed: int = 1,
) -> Inequality:
    """SII and RII across quantiles ordered most to least deprived, as the public-health profiles do.

    Each quantile sits at the midpoint of its share of the cumulative population (0 most deprived, 1 least);
    the SII is the slope of the population-weighted least-squares line through the values, the RII the value
    at 1 over the value at 0. Limits come from ``repetitions`` simulations drawing each quantile's value from
    a normal distribution with its standard error (PHEindicatormethods uses 100,000). The gap is the least
    deprived quantile's value minus the most deprived's, with normal limits from their standard errors.
    """
    v, n, se = _array(values), _array(populations), _array(standard_errors)
    share = n / n.sum()
    x = np.cumsum(share) - share / 2

    def fit(y: FloatArray) -> tuple[FloatArray, FloatArray]:
        xm = (share * x).sum()
        ym = (y * share).sum(axis=-1)
        slope = ((share * (x - xm)) * (y - ym[..., None])).sum(axis=-1) / (share * (x - xm) ** 2).sum()
        return slope, ym - slope * xm

    slope, intercept = fit(v)
    draws = np.random.default_rng(seed).normal(v, se, size=(repetitions, len(v)))
    slopes, intercepts = fit(draws)
    ratios = (intercepts + slopes) / intercepts
    tail = (1 - confidence) / 2 * 100
    z = z_value(confidence)
    gap_se = float(np.sqrt(se[-1] ** 2 + se[0] ** 2))
    gap = float(v[-1] - v[0])
    return Inequality(
        float(slope[()]),
        float(np.percentile(slopes, tail)),
        float(np.percentile(slopes, 100 - tail)),
        float((intercept + slope) / intercept),
        float(np.percentile(ratios, tail)),
        float(np.percentile(ratios, 100 - tail)),
        float(intercept),
        gap,
        gap - z * gap_se,
        gap + z * gap_se,
    )


def funnel_limits_proportion(
    baseline: float, denominators: Any, tail: float, multiplier: float = 100.0
) -> tuple[FloatArray, FloatArray]:
    """Funnel-plot control limits for a proportion: the baseline plus and minus z standard errors at each
    denominator, kept within 0 and 1 (PHEindicatormethods ``phe_funnels`` for proportions; the profiles draw
    them at the 0.025 and 0.001 tails, about two and three standard deviations)."""
    n = _array(denominators)
    spread = float(_distributions().norm.ppf(1 - tail)) * np.sqrt(baseline * (1 - baseline) / n)
    return np.clip(baseline - spread, 0, 1) * multiplier, np.clip(baseline + spread, 0, 1) * multiplier


def funnel_expected_events(events: Any, tail: float) -> tuple[FloatArray, FloatArray]:
    """For each observed count, the expected counts at which it sits exactly on the lower and on the upper
    funnel limit of a Poisson count (``tail`` 0.025 or 0.001, the profiles' two and three sigma).

    On the lower limit the count is improbably low: P(X <= events) = tail, so the expected count is the exact
    upper Poisson limit; on the upper limit P(X >= events) = tail, the exact lower limit. PHEindicatormethods
    finds these by bisection (to 1e-7 in a transformed scale); the chi-squared quantiles here are exact.
    """
    k = _array(events)
    chi2 = _distributions().chi2
    on_lower = chi2.ppf(1 - tail, 2 * k + 2) / 2
    with np.errstate(invalid="ignore"):
        on_upper = np.where(k > 0, chi2.ppf(tail, 2 * k) / 2, np.nan)
    return on_lower, on_upper
