"""``cba run``: a model appraised exactly (Decimal), by agency and by year, with the waterfall from gross to
net.

Measures (all present values in the model's price year):

- net present value: all benefits (fiscal, economic, social) less all costs (in kind included);
- benefit-cost ratio: all benefits over all costs;
- financial return on investment: fiscal benefits over cash costs (capital and revenue), as GMCA's model
  reports it, "£ of fiscal benefit per £1 spent"; public-value return: all benefits over cash costs;
- payback year: the first year in which cumulative discounted benefits reach cumulative discounted costs;
- by agency: its fiscal benefit (cashable, cost avoidance, and capacity from step outcomes), what it pays,
  its NPV (fiscal benefit less its costs) and its payback year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import numpy as np

from totalplace.engines.cba.engine import Array, Flows, Prepared, UnitCostSource, compute
from totalplace.engines.cba.model import Intervention, Outcome, Uncertain
from totalplace.engines.cba.parameters import (
    deadweight_conventions,
    discount_factors,
    optimism_bias,
    rate_in_year,
)
from totalplace.engines.cba.results import AppraisalResult, appraisal_result, payer_costs
from totalplace.engines.cba.unit_costs import Library, UnitCost, entries_from, uplift_factor
from totalplace.errors import CbaError, CbaModelInvalidError, RowProblem

_CODE: Final = CbaModelInvalidError.code
_SHOWN_CODES: Final = 12  # codes of the library named when a model's unit cost is not in it


def _objects(values: Any) -> Array:
    return np.array(values, dtype=object)


def deadweight_of(outcome: Outcome) -> tuple[Uncertain, bool]:
    """An outcome's deadweight (its own, else its convention's) and whether it rests on a verified figure."""
    if outcome.deadweight is not None:
        return outcome.deadweight, True
    default, conventions = deadweight_conventions()
    value, verified = conventions[outcome.deadweight_convention or default]
    return Uncertain(value=value), verified


@dataclass
class _Uprating:
    """Factors to the model's price year by the GDP deflator; each missing year is a located problem."""

    model: Intervention
    index: dict[str, Decimal]
    file: str
    problems: list[RowProblem] = field(default_factory=list)

    def factor(self, price_year: str, where: str) -> Decimal:
        factor = uplift_factor(price_year, self.model.price_year, self.index)
        if factor is not None:
            return factor
        absent = [y for y in (price_year, self.model.price_year) if y not in self.index]
        self.problems.append(
            RowProblem(
                _CODE,
                self.file,
                0,
                where,
                price_year,
                f"no GDP deflator for {', '.join(absent)} to uprate {price_year} prices to "
                f"{self.model.price_year}; import the HM Treasury series (totalplace spend deflators import) "
                "or give deflators in the model",
            )
        )
        return Decimal(1)


def _unit_costs(model: Intervention, library: Library, file: str, warnings: list[str]) -> list[UnitCost]:
    """Each outcome's unit cost from the library; CbaModelInvalidError naming every code it lacks."""
    units: list[UnitCost] = []
    problems: list[RowProblem] = []
    for i, outcome in enumerate(model.outcomes):
        found = library.get(outcome.unit_cost)
        if found is None:
            known = ", ".join(sorted(library.entries)[:_SHOWN_CODES])
            more = " ..." if len(library.entries) > _SHOWN_CODES else ""
            message = f"no unit cost with this code; the library has {known}{more}"
            problems.append(RowProblem(_CODE, file, 0, f"outcomes.{i}.unit_cost", outcome.unit_cost, message))
            continue
        units.append(found)
        if not found.verified:
            warnings.append(f"unit cost {found.code} ({found.description}) is unverified: {found.source}")
        if found.illustrative:
            warnings.append(f"unit cost {found.code} is illustrative, made up for the demo")
    if problems:
        raise CbaModelInvalidError(file, problems)
    return units


@dataclass
class _OutcomeColumns:
    """The per-outcome inputs of :class:`Prepared`, built one outcome at a time."""

    fiscal: list[list[Decimal]] = field(default_factory=list)
    economic: list[Decimal] = field(default_factory=list)
    social: list[Decimal] = field(default_factory=list)
    optimism: list[Decimal] = field(default_factory=list)
    profile: list[list[Decimal]] = field(default_factory=list)
    provenance: list[UnitCostSource] = field(default_factory=list)


def _outcome_columns(
    model: Intervention, units: list[UnitCost], agencies: list[str], uprating: _Uprating, warnings: list[str]
) -> _OutcomeColumns:
    """Each outcome's unit values uprated (fiscal by agency), its optimism bias and its profile by year."""
    columns = _OutcomeColumns()
    grades = optimism_bias()
    for i, (outcome, unit) in enumerate(zip(model.outcomes, units, strict=True)):
        factor = uprating.factor(unit.price_year, f"outcomes.{i}.unit_cost")
        grade = grades[outcome.grade or unit.grade]
        columns.provenance.append(
            UnitCostSource(
                source=unit.source,
                origin=unit.origin,
                price_year=unit.price_year,
                uprating=factor.quantize(Decimal("0.000001")),
                grade=grade.grade,
                verified=unit.verified,
                illustrative=unit.illustrative,
            )
        )
        row = [Decimal(0)] * len(agencies)
        for agency, amount in unit.fiscal.items():
            row[agencies.index(model.agencies.get(agency, agency))] += amount * factor
        columns.fiscal.append(row)
        columns.economic.append(unit.economic * factor)
        columns.social.append(unit.social * factor)
        if not grade.verified:
            warnings.append(f"optimism bias for grade {grade.grade} ({grade.correction}) is unverified")
        columns.optimism.append(grade.correction)
        columns.profile.append((list(outcome.profile) + [Decimal(0)] * model.years)[: model.years])
        if not deadweight_of(outcome)[1]:
            warnings.append(f"outcome {outcome.name} uses an unverified deadweight convention")
    return columns


def _discount_warnings(model: Intervention) -> list[str]:
    """The schedules the model is discounted by whose rates over its horizon are not all verified."""
    warnings = []
    for schedule in ("standard", "health"):
        used = schedule == "standard" or any(o.health for o in model.outcomes)
        if used and any(not rate_in_year(t, schedule).verified for t in range(1, model.years)):
            warnings.append(f"the {schedule} discount rates beyond year 30 are unverified")
    return warnings


def _costs(
    model: Intervention, partners: list[str], uprating: _Uprating
) -> tuple[list[list[Decimal]], list[list[Decimal]]]:
    """Cash and in-kind costs by partner and year, uprated, with any optimism-bias uplift of their grade."""
    grades = optimism_bias()
    cash = [[Decimal(0)] * model.years for _ in partners]
    in_kind = [[Decimal(0)] * model.years for _ in partners]
    labels = model.year_labels
    for i, line in enumerate(model.costs):
        factor = uprating.factor(line.price_year or model.price_year, f"costs.{i}.price_year")
        bias = Decimal(1)
        if line.grade is not None:
            bias += grades[line.grade].correction
        target = in_kind if line.kind == "in_kind" else cash
        for year, amount in line.amounts.items():
            target[partners.index(line.partner)][labels.index(year)] += amount * factor * bias
    return cash, in_kind


def prepare(model: Intervention, library: Library, deflators: dict[str, Decimal], file: str) -> Prepared:
    """Resolve unit costs, uprating, optimism bias and discounting; every missing reference is located."""
    library = library.with_entries(entries_from(model.unit_costs, "model", file))
    uprating = _Uprating(model, {**deflators, **model.deflators}, file)
    warnings: list[str] = []
    units = _unit_costs(model, library, file, warnings)
    agencies = sorted({model.agencies.get(a, a) for u in units for a in u.fiscal})
    partners = sorted({c.partner for c in model.costs})
    years = model.years
    columns = _outcome_columns(model, units, agencies, uprating, warnings)
    warnings += _discount_warnings(model)
    cash, in_kind = _costs(model, partners, uprating)
    if uprating.problems:
        raise CbaModelInvalidError(file, uprating.problems)
    return Prepared(
        years=model.year_labels,
        outcomes=[o.name for o in model.outcomes],
        agencies=agencies,
        partners=partners,
        cohort=_objects([Decimal(model.cohort.get(y, 0)) for y in model.year_labels]),
        profile=_objects(columns.profile),
        fiscal=_objects(columns.fiscal).reshape(len(units), len(agencies)),
        economic=_objects(columns.economic),
        social=_objects(columns.social),
        attribution=_objects([o.attribution for o in model.outcomes]),
        optimism=_objects(columns.optimism),
        kind=np.array([o.cashability for o in model.outcomes]),
        step_cost=_objects([o.step_cost or Decimal(1) for o in model.outcomes]),
        health=np.array([o.health for o in model.outcomes], dtype=bool),
        cash_costs=_objects(cash).reshape(len(partners), years),
        in_kind_costs=_objects(in_kind).reshape(len(partners), years),
        discount_standard=_objects(discount_factors(years, "standard")),
        discount_health=_objects(discount_factors(years, "health")),
        warnings=sorted(set(warnings)),
        provenance=columns.provenance,
    )


def central_inputs(model: Intervention) -> tuple[Array, Array, Array, Array]:
    """The uncertain inputs at their central values, one draw, as Decimal."""
    return (
        _objects([model.engagement.value]),
        _objects([[o.success.value for o in model.outcomes]]),
        _objects([[deadweight_of(o)[0].value for o in model.outcomes]]),
        _objects([[o.value_scale.value for o in model.outcomes]]),
    )


@dataclass(frozen=True, slots=True)
class Appraisal:
    """A model's exact appraisal: its resolved inputs, the flows of the central draw, and their figures."""

    model: Intervention
    prepared: Prepared
    flows: Flows
    result: AppraisalResult

    def agency_costs(self) -> dict[str, Array]:
        """Each agency's (and each other payer's) discounted costs by year."""
        return payer_costs(self.prepared, self.flows)

    def to_dict(self) -> dict[str, Any]:
        """Every figure, by agency and by year (JSON-ready; money as text in pounds)."""
        return self.result.to_dict()


def appraise(model: Intervention, library: Library, deflators: dict[str, Decimal], file: str) -> Appraisal:
    """The exact appraisal of ``model``."""
    prepared = prepare(model, library, deflators, file)
    if not (prepared.cash_costs.sum() + prepared.in_kind_costs.sum()):
        raise CbaError(f"{model.name} has no costs", hint="give each partner's costs by year")
    flows = compute(prepared, *central_inputs(model))
    return Appraisal(model, prepared, flows, appraisal_result(model, prepared, flows))
