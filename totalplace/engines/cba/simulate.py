"""``cba simulate``: Monte Carlo over the uncertain inputs, switching values and the tornado.

Engagement, each outcome's success rate and deadweight, and each unit cost (as a scale on its value) may
carry a range: triangular around the central value, or uniform. Draws are vectorised (the engine's totals
rearranged as matrix products), so 10,000 draws of a 50-outcome, 10-year model take milliseconds. With a
seed the draws, and so every figure, are reproducible. Percentiles and probabilities are estimates from the
draws, reported to the penny; the exact figures are ``cba run``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from totalplace.engines.cba.appraise import deadweight_of
from totalplace.engines.cba.engine import Prepared, compute
from totalplace.engines.cba.model import Intervention, Uncertain

FloatArray = npt.NDArray[np.float64]
PERCENTILES: Final = (5, 25, 50, 75, 95)


def draws_of(value: Uncertain, size: int, rng: np.random.Generator) -> FloatArray:
    """``size`` draws of an uncertain figure (its value every time when it has no range)."""
    low, high = (float(v) for v in value.bounds)
    centre = float(value.value)
    if low == high:
        return np.full(size, centre)
    if value.distribution == "uniform":
        return rng.uniform(low, high, size)
    return rng.triangular(low, centre, high, size)


@dataclass(frozen=True)
class Inputs:
    """The uncertain inputs of many draws."""

    engagement: FloatArray  # D
    success: FloatArray  # D, O
    deadweight: FloatArray  # D, O
    scale: FloatArray  # D, O


def draw_inputs(model: Intervention, draws: int, seed: int | None) -> Inputs:
    """Draws of every uncertain input, in a fixed order so a seed reproduces them."""
    rng = np.random.default_rng(seed)
    engagement = draws_of(model.engagement, draws, rng)
    columns = [
        (
            draws_of(o.success, draws, rng),
            draws_of(deadweight_of(o)[0], draws, rng),
            draws_of(o.value_scale, draws, rng),
        )
        for o in model.outcomes
    ]
    return Inputs(
        engagement,
        np.column_stack([c[0] for c in columns]),
        np.column_stack([c[1] for c in columns]),
        np.column_stack([c[2] for c in columns]),
    )


def central(model: Intervention) -> Inputs:
    """One draw at the central values."""
    return Inputs(
        np.array([float(model.engagement.value)]),
        np.array([[float(o.success.value) for o in model.outcomes]]),
        np.array([[float(deadweight_of(o)[0].value) for o in model.outcomes]]),
        np.array([[float(o.value_scale.value) for o in model.outcomes]]),
    )


@dataclass(frozen=True)
class Outcomes:
    """Per draw: NPV, benefits, and each name's fiscal benefit and costs."""

    npv: FloatArray  # D
    benefits: FloatArray  # D
    agency_benefits: FloatArray  # D, N (names)
    names: list[str]


def present_weights(p: Prepared) -> FloatArray:
    """O, T: what one achievement-starting-in-year-s is worth in present value per unit of value, summed over
    the years its profile lasts: w[o, s] = sum_k profile[o, k] x discount_o[s + k]."""
    years = len(p.years)
    discount = np.where(p.health[:, None], p.discount_health[None, :], p.discount_standard[None, :])
    weights = np.zeros((len(p.outcomes), years))
    for lag in range(years):
        weights[:, : years - lag] += p.profile[:, lag][:, None] * discount[:, lag:]
    return weights


def evaluate(p: Prepared, inputs: Inputs, cost_factor: float = 1.0) -> Outcomes:
    """NPVs and each name's fiscal benefit for ``inputs`` (float path).

    Only present-value totals are needed here, so the engine's year-by-year arithmetic is rearranged into
    two matrix products: the present value of the achievements of outcome o is success x the net-of-
    deadweight, attribution and optimism share x sum_s engaged[s] w[o, s] (``present_weights``). Whole-step
    cashing changes how a benefit is classed, not its size, so it does not enter. The result equals
    ``compute``'s totals to rounding (tested against the exact path).
    """
    costs = float((p.cash_costs + p.in_kind_costs).dot(p.discount_standard).sum())
    names = sorted(set(p.agencies) | set(p.partners))
    engaged = p.cohort[None, :] * inputs.engagement[:, None]  # D, T
    keep = (1 - inputs.deadweight) * (p.attribution * (1 - p.optimism))[None, :]
    units = (engaged @ present_weights(p).T) * inputs.success * keep * inputs.scale  # D, O
    fiscal = units @ p.fiscal  # D, A
    total = units @ (p.fiscal.sum(axis=1) + p.economic + p.social)
    agency = np.column_stack(
        [fiscal[:, p.agencies.index(n)] if n in p.agencies else np.zeros(len(total)) for n in names]
    )
    return Outcomes(total - costs * cost_factor, total, agency, names)


def partner_costs(p: Prepared) -> dict[str, float]:
    """Each payer's discounted costs (float)."""
    both = (p.cash_costs + p.in_kind_costs) * p.discount_standard[None, :]
    return {name: float(both[i].sum()) for i, name in enumerate(p.partners)}


@dataclass(frozen=True, slots=True)
class Summary:
    """Percentiles and the mean of a simulated figure."""

    p5: float
    p25: float
    p50: float
    p75: float
    p95: float
    mean: float

    @classmethod
    def of(cls, values: FloatArray, digits: int = 2) -> Summary:
        """The summary of ``values``, each figure rounded to ``digits`` places."""
        p5, p25, p50, p75, p95 = (round(float(np.percentile(values, q)), digits) for q in PERCENTILES)
        return cls(p5, p25, p50, p75, p95, round(float(values.mean()), digits))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "p5": self.p5,
            "p25": self.p25,
            "p50": self.p50,
            "p75": self.p75,
            "p95": self.p95,
            "mean": self.mean,
        }


@dataclass(frozen=True, slots=True)
class AgencySimulation:
    """One agency's (or payer's) simulated case: its NPV and the chance that it gains."""

    agency: str
    costs: float
    npv: Summary
    p_npv_at_least_zero: float
    p_bcr_above_one: float | None  # None for an agency that pays nothing

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "agency": self.agency,
            "costs": self.costs,
            "npv": self.npv.to_dict(),
            "p_npv_at_least_zero": self.p_npv_at_least_zero,
            "p_bcr_above_one": self.p_bcr_above_one,
        }


@dataclass(frozen=True, slots=True)
class HistogramBin:
    """Draws whose NPV fell from ``low`` up to ``high``."""

    low: float
    high: float
    draws: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as ``from``, ``to`` and ``draws``."""
        return {"from": self.low, "to": self.high, "draws": self.draws}


@dataclass(frozen=True, slots=True)
class SwitchingValue:
    """The value of one input at which NPV reaches nil, the others central (None: not within its range)."""

    input: str
    central: float
    switching_value: float | None
    change_percent: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "input": self.input,
            "central": self.central,
            "switching_value": self.switching_value,
            "change_percent": self.change_percent,
        }


@dataclass(frozen=True, slots=True)
class TornadoRow:
    """NPV with one uncertain input at its low and at its high, the others central."""

    input: str
    low: float
    high: float
    npv_at_low: float
    npv_at_high: float
    swing: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "input": self.input,
            "low": self.low,
            "high": self.high,
            "npv_at_low": self.npv_at_low,
            "npv_at_high": self.npv_at_high,
            "swing": self.swing,
        }


@dataclass(frozen=True, slots=True)
class Simulation:
    """A model simulated: NPV and BCR over the draws, each agency's chances, switching values, the tornado."""

    name: str
    draws: int
    seed: int | None
    npv: Summary
    bcr: Summary
    p_bcr_above_one: float
    by_agency: tuple[AgencySimulation, ...]
    histogram: tuple[HistogramBin, ...]
    switching_values: tuple[SwitchingValue, ...]
    tornado: tuple[TornadoRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "name": self.name,
            "draws": self.draws,
            "seed": self.seed,
            "npv": self.npv.to_dict(),
            "bcr": self.bcr.to_dict(),
            "p_bcr_above_one": self.p_bcr_above_one,
            "by_agency": [a.to_dict() for a in self.by_agency],
            "histogram": [b.to_dict() for b in self.histogram],
            "switching_values": [s.to_dict() for s in self.switching_values],
            "tornado": [t.to_dict() for t in self.tornado],
        }


def simulate(model: Intervention, p: Prepared, draws: int, seed: int | None) -> Simulation:
    """Percentiles of NPV and BCR, P(BCR > 1) for the whole and each agency, switching values, tornado."""
    fp = p.as_float()
    result = evaluate(fp, draw_inputs(model, draws, seed))
    costs = partner_costs(fp)
    bcr = result.benefits / sum(costs.values())
    agencies = []
    for i, name in enumerate(result.names):
        gain = result.agency_benefits[:, i]
        paid = costs.get(name, 0.0)
        agencies.append(
            AgencySimulation(
                agency=name,
                costs=round(paid, 2),
                npv=Summary.of(gain - paid),
                p_npv_at_least_zero=round(float((gain - paid >= 0).mean()), 4),
                p_bcr_above_one=None if paid == 0 else round(float((gain / paid > 1).mean()), 4),
            )
        )
    return Simulation(
        name=model.name,
        draws=draws,
        seed=seed,
        npv=Summary.of(result.npv),
        bcr=Summary.of(bcr, 4),
        p_bcr_above_one=round(float((bcr > 1).mean()), 4),
        by_agency=tuple(agencies),
        histogram=histogram(result.npv),
        switching_values=switching_values(model, fp),
        tornado=tornado(model, fp),
    )


def histogram(values: FloatArray, bins: int = 30) -> tuple[HistogramBin, ...]:
    """Counts of NPV in equal bins (for the distribution chart)."""
    counts, edges = np.histogram(values, bins=bins)
    return tuple(
        HistogramBin(round(float(edges[i]), 2), round(float(edges[i + 1]), 2), int(counts[i]))
        for i in range(len(counts))
    )


Setter = Callable[[Inputs, float], Inputs]


def _levers(model: Intervention) -> list[tuple[str, Uncertain, Setter, tuple[float, float]]]:
    """Each input that can move: its name, its figure, how to set it in a one-draw Inputs, its bounds."""

    def engagement(x: Inputs, v: float) -> Inputs:
        return Inputs(np.array([v]), x.success, x.deadweight, x.scale)

    levers: list[tuple[str, Uncertain, Setter, tuple[float, float]]] = [
        ("engagement", model.engagement, engagement, (0.0, 1.0))
    ]
    for i, o in enumerate(model.outcomes):

        def setter(field: str, i: int = i) -> Setter:
            def put(x: Inputs, v: float) -> Inputs:
                values = {k: getattr(x, k).copy() for k in ("success", "deadweight", "scale")}
                values[field][0, i] = v
                return Inputs(x.engagement, values["success"], values["deadweight"], values["scale"])

            return put

        levers.append((f"{o.name}: success", o.success, setter("success"), (0.0, 1.0)))
        levers.append((f"{o.name}: deadweight", deadweight_of(o)[0], setter("deadweight"), (0.0, 1.0)))
        levers.append((f"{o.name}: unit value", o.value_scale, setter("scale"), (0.0, 1000.0)))
    return levers


def _switching_point(
    npv_at: Callable[[float], float], npv0: float, centre: float, bounds: tuple[float, float]
) -> float | None:
    """Where between the central value and a bound NPV changes sign, by bisection; None if it never does."""
    for bound in bounds:
        if (npv_at(bound) >= 0) != (npv0 >= 0):
            a, b = centre, bound
            for _ in range(60):
                middle = (a + b) / 2
                if (npv_at(middle) >= 0) == (npv0 >= 0):
                    a = middle
                else:
                    b = middle
            return (a + b) / 2
    return None


def switching_values(model: Intervention, p: Prepared) -> tuple[SwitchingValue, ...]:
    """For each input, the value at which NPV reaches zero (others at their central values), found by
    bisection within the input's possible range; ``None`` when no value in the range gets there. Costs are
    one input: the factor on all costs that brings NPV to zero."""
    base = central(model)
    npv0 = float(evaluate(p, base).npv[0])
    out = []
    for name, figure, put, bounds in _levers(model):
        centre = float(figure.value)

        def npv_at(v: float, put: Setter = put) -> float:
            return float(evaluate(p, put(base, v)).npv[0])

        target = _switching_point(npv_at, npv0, centre, bounds)
        out.append(
            SwitchingValue(
                input=name,
                central=centre,
                switching_value=None if target is None else round(target, 9),
                change_percent=None
                if target is None or centre == 0
                else round(100 * (target - centre) / centre, 2),
            )
        )
    benefits = float(evaluate(p, base).benefits[0])
    costs = sum(partner_costs(p).values())
    out.append(
        SwitchingValue(
            input="costs (all partners)",
            central=1.0,
            switching_value=round(benefits / costs, 6),
            change_percent=round(100 * (benefits / costs - 1), 2),
        )
    )
    return tuple(out)


def tornado(model: Intervention, p: Prepared) -> tuple[TornadoRow, ...]:
    """NPV with each uncertain input at its low and its high (others central), widest swing first."""
    base = central(model)
    rows = []
    for name, figure, put, _bounds in _levers(model):
        if not figure.uncertain:
            continue
        low, high = (float(v) for v in figure.bounds)
        at_low = float(evaluate(p, put(base, low)).npv[0])
        at_high = float(evaluate(p, put(base, high)).npv[0])
        rows.append(
            TornadoRow(
                input=name,
                low=low,
                high=high,
                npv_at_low=round(at_low, 2),
                npv_at_high=round(at_high, 2),
                swing=round(abs(at_high - at_low), 2),
            )
        )
    return tuple(sorted(rows, key=lambda r: -r.swing))


def decimal_npv(p: Prepared, model: Intervention) -> Decimal:
    """The NPV at central values on the exact path (to check the float path against)."""
    from totalplace.engines.cba.appraise import central_inputs

    flows = compute(p, *central_inputs(model))
    return Decimal(flows.benefits_by_year[0].sum() - flows.costs_by_year.sum())
