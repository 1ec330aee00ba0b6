"""The appraisal's arithmetic, written once for both exactness and speed.

The same array code runs on numpy object arrays of Decimal (``cba run``: exact, every figure traceable to
the penny) and on float64 arrays over thousands of draws (``cba simulate``: vectorised Monte Carlo). Shapes:
D draws, O outcomes, A agencies (who bear fiscal costs, so gain fiscal benefits), P paying partners, T years.

For each outcome: people engaged each year (cohort x engagement) achieve it at the success rate; the value
of an achievement falls over the following years by the outcome's profile; deadweight, attribution and the
optimism-bias correction of its confidence grade reduce it; each agency's share of the unit cost is its
fiscal benefit, the rest economic and social value. Step outcomes release cash only in whole steps of the
step cost (per agency and year), the remainder being capacity. Benefits are discounted at the Green Book
standard rate, or the health rate for health outcomes; costs at the standard rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class UnitCostSource:
    """Where an outcome's unit cost came from, and how it was brought to the model's prices."""

    source: str
    origin: str
    price_year: str
    uprating: Decimal  # the GDP-deflator factor to the model's price year, to six places
    grade: int  # the outcome's confidence grade (its own, else its unit cost's)
    verified: bool
    illustrative: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the uprating factor as text)."""
        return {
            "source": self.source,
            "origin": self.origin,
            "price_year": self.price_year,
            "uprating": str(self.uprating),
            "grade": self.grade,
            "verified": self.verified,
            "illustrative": self.illustrative,
        }


@dataclass(frozen=True)
class Prepared:
    """A model resolved against its unit costs, deflators and parameters: everything but the uncertain
    inputs, as Decimal (object) arrays."""

    years: list[str]
    outcomes: list[str]
    agencies: list[str]
    partners: list[str]
    cohort: Array  # T
    profile: Array  # O, T
    fiscal: Array  # O, A (per unit, uprated)
    economic: Array  # O
    social: Array  # O
    attribution: Array  # O
    optimism: Array  # O (benefit correction)
    kind: npt.NDArray[np.str_]  # O: cashable | cost_avoidance | step
    step_cost: Array  # O (1 where not a step outcome)
    health: npt.NDArray[np.bool_]  # O
    cash_costs: Array  # P, T (uprated, with any optimism-bias uplift)
    in_kind_costs: Array  # P, T
    discount_standard: Array  # T
    discount_health: Array  # T
    warnings: list[str] = field(default_factory=list)
    provenance: list[UnitCostSource] = field(default_factory=list)  # O: where each unit cost came from

    def as_float(self) -> Prepared:
        """The same inputs as float64 (for simulation)."""
        convert = {
            name: np.asarray(getattr(self, name), dtype=np.float64)
            for name in (
                "cohort",
                "profile",
                "fiscal",
                "economic",
                "social",
                "attribution",
                "optimism",
                "step_cost",
                "cash_costs",
                "in_kind_costs",
                "discount_standard",
                "discount_health",
            )
        }
        return Prepared(**{**self.__dict__, **convert})


@dataclass(frozen=True)
class Flows:
    """The appraisal of each draw; money in present values unless named gross."""

    gross: Array  # D: undiscounted value of every achievement before any reduction
    after_deadweight: Array  # D
    after_attribution: Array  # D
    after_optimism: Array  # D (still undiscounted)
    volume: Array  # D, O: achievements net of deadweight, attribution and optimism bias, all years
    fiscal: Array  # D, A, T
    cashable: Array  # D, A, T
    cost_avoidance: Array  # D, A, T
    capacity: Array  # D, A, T
    economic: Array  # D, T
    social: Array  # D, T
    cash_costs: Array  # P, T
    in_kind_costs: Array  # P, T

    @property
    def benefits_by_year(self) -> Array:
        """D, T: all benefits."""
        total: Array = self.fiscal.sum(axis=1) + self.economic + self.social
        return total

    @property
    def costs_by_year(self) -> Array:
        """T: all costs, in kind included."""
        total: Array = (self.cash_costs + self.in_kind_costs).sum(axis=0)
        return total


def _one(like: Array) -> Any:
    return Decimal(1) if like.dtype == object else 1.0


def compute(p: Prepared, engagement: Array, success: Array, deadweight: Array, scale: Array) -> Flows:
    """Flows for draws of the uncertain inputs: ``engagement`` (D), ``success``, ``deadweight`` and the
    unit-value ``scale`` (D, O). Arrays of Decimal give exact figures; float64 arrays give fast ones."""
    one = _one(success)
    years = len(p.years)
    engaged = p.cohort[None, :] * engagement[:, None]  # D, T
    achieved = engaged[:, None, :] * success[:, :, None]  # D, O, T
    volume = achieved * 0
    for lag in range(years):
        share = p.profile[:, lag]
        if not any(share != 0):
            continue
        volume[:, :, lag:] = volume[:, :, lag:] + achieved[:, :, : years - lag] * share[None, :, None]
    keep = one - deadweight  # D, O
    unit = (p.fiscal.sum(axis=1) + p.economic + p.social)[None, :] * scale  # D, O
    gross_by_outcome = volume.sum(axis=2) * unit
    after_deadweight = gross_by_outcome * keep
    after_attribution = after_deadweight * p.attribution[None, :]
    after_optimism = after_attribution * (one - p.optimism)[None, :]
    net = volume * (keep * p.attribution[None, :] * (one - p.optimism)[None, :])[:, :, None]  # D, O, T
    discount = np.where(p.health[:, None], p.discount_health[None, :], p.discount_standard[None, :])  # O, T
    fiscal = net[:, :, None, :] * (p.fiscal[None, :, :] * scale[:, :, None])[:, :, :, None]  # D, O, A, T
    is_step = (p.kind == "step")[None, :, None, None]
    stepped = (fiscal // p.step_cost[None, :, None, None]) * p.step_cost[None, :, None, None]
    cashable = np.where(
        is_step, stepped, np.where((p.kind == "cashable")[None, :, None, None], fiscal, 0 * one)
    )
    capacity = np.where(is_step, fiscal - stepped, 0 * one)
    avoidance = fiscal - cashable - capacity
    weight = discount[None, :, None, :]

    def present(values: Array) -> Array:
        out: Array = (values * weight).sum(axis=1)
        return out

    return Flows(
        gross=gross_by_outcome.sum(axis=1),
        after_deadweight=after_deadweight.sum(axis=1),
        after_attribution=after_attribution.sum(axis=1),
        after_optimism=after_optimism.sum(axis=1),
        volume=net.sum(axis=2),
        fiscal=present(fiscal),
        cashable=present(cashable),
        cost_avoidance=present(avoidance),
        capacity=present(capacity),
        economic=(net * (p.economic[None, :] * scale)[:, :, None] * discount[None]).sum(axis=1),
        social=(net * (p.social[None, :] * scale)[:, :, None] * discount[None]).sum(axis=1),
        cash_costs=p.cash_costs * p.discount_standard[None, :],
        in_kind_costs=p.in_kind_costs * p.discount_standard[None, :],
    )
