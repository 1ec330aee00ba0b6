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

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np

from totalplace.engines.cba.engine import Array, Flows, Prepared, compute
from totalplace.engines.cba.model import Intervention, Outcome, Uncertain
from totalplace.engines.cba.parameters import (
    deadweight_conventions,
    discount_factors,
    optimism_bias,
    rate_in_year,
)
from totalplace.engines.cba.unit_costs import Library, UnitCost, entries_from, uplift_factor
from totalplace.errors import CbaError, CbaModelInvalidError, RowProblem

PENNY = Decimal("0.01")


def money(value: Any) -> str:
    """Pounds to the penny, half to even, as text."""
    return str(Decimal(value).quantize(PENNY, rounding=ROUND_HALF_EVEN))


def pounds_text(value: Any) -> str:
    """Pounds as a person reads them: £1,234,567.89 (and -£12.00)."""
    amount = Decimal(value).quantize(PENNY, rounding=ROUND_HALF_EVEN)
    return f"-£{-amount:,.2f}" if amount < 0 else f"£{amount:,.2f}"


def ratio(numerator: Any, denominator: Any) -> str | None:
    """A ratio to four places, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), ROUND_HALF_EVEN))


def _objects(values: Any) -> Array:
    return np.array(values, dtype=object)


def deadweight_of(outcome: Outcome) -> tuple[Uncertain, bool]:
    """An outcome's deadweight (its own, else its convention's) and whether it rests on a verified figure."""
    if outcome.deadweight is not None:
        return outcome.deadweight, True
    default, conventions = deadweight_conventions()
    value, verified = conventions[outcome.deadweight_convention or default]
    return Uncertain(value=value), verified


def prepare(model: Intervention, library: Library, deflators: dict[str, Decimal], file: str) -> Prepared:
    """Resolve unit costs, uprating, optimism bias and discounting; every missing reference is located."""
    library = library.with_entries(entries_from(model.unit_costs, "model", file))
    index = {**deflators, **model.deflators}
    problems: list[RowProblem] = []
    warnings: list[str] = []

    def uplift(price_year: str, where: str) -> Decimal:
        factor = uplift_factor(price_year, model.price_year, index)
        if factor is None:
            absent = [y for y in (price_year, model.price_year) if y not in index]
            problems.append(
                RowProblem(
                    "TP800",
                    file,
                    0,
                    where,
                    price_year,
                    f"no GDP deflator for {', '.join(absent)} to uprate {price_year} prices to "
                    f"{model.price_year}; import the HM Treasury series (totalplace spend deflators import) "
                    "or give deflators in the model",
                )
            )
            return Decimal(1)
        return factor

    units: list[UnitCost] = []
    provenance: list[dict[str, Any]] = []
    for i, outcome in enumerate(model.outcomes):
        found = library.get(outcome.unit_cost)
        if found is None:
            known = ", ".join(sorted(library.entries)[:12])
            problems.append(
                RowProblem(
                    "TP800",
                    file,
                    0,
                    f"outcomes.{i}.unit_cost",
                    outcome.unit_cost,
                    f"no unit cost with this code; the library has {known}"
                    + (" ..." if len(library.entries) > 12 else ""),
                )
            )
            continue
        units.append(found)
        if not found.verified:
            warnings.append(f"unit cost {found.code} ({found.description}) is unverified: {found.source}")
        if found.illustrative:
            warnings.append(f"unit cost {found.code} is illustrative, made up for the demo")
    if problems and len(units) < len(model.outcomes):
        raise CbaModelInvalidError(file, problems)
    agencies = sorted({model.agencies.get(a, a) for u in units for a in u.fiscal})
    partners = sorted({c.partner for c in model.costs})
    years = model.years
    fiscal, economic, social, optimism, profile = [], [], [], [], []
    grades = optimism_bias()
    for i, (outcome, unit) in enumerate(zip(model.outcomes, units, strict=True)):
        factor = uplift(unit.price_year, f"outcomes.{i}.unit_cost")
        provenance.append(
            {
                "source": unit.source,
                "origin": unit.origin,
                "price_year": unit.price_year,
                "uprating": str(factor.quantize(Decimal("0.000001"))),
                "grade": outcome.grade or unit.grade,
                "verified": unit.verified,
                "illustrative": unit.illustrative,
            }
        )
        row = [Decimal(0)] * len(agencies)
        for agency, amount in unit.fiscal.items():
            row[agencies.index(model.agencies.get(agency, agency))] += amount * factor
        fiscal.append(row)
        economic.append(unit.economic * factor)
        social.append(unit.social * factor)
        grade = grades[outcome.grade or unit.grade]
        if not grade.verified:
            warnings.append(f"optimism bias for grade {grade.grade} ({grade.correction}) is unverified")
        optimism.append(grade.correction)
        shares = (list(outcome.profile) + [Decimal(0)] * years)[:years]
        profile.append(shares)
        _dw, verified = deadweight_of(outcome)
        if not verified:
            warnings.append(f"outcome {outcome.name} uses an unverified deadweight convention")
    for schedule in ("standard", "health"):
        used = schedule == "standard" or any(o.health for o in model.outcomes)
        if used and any(not rate_in_year(t, schedule).verified for t in range(1, years)):
            warnings.append(f"the {schedule} discount rates beyond year 30 are unverified")
    cash = [[Decimal(0)] * years for _ in partners]
    in_kind = [[Decimal(0)] * years for _ in partners]
    labels = model.year_labels
    for i, line in enumerate(model.costs):
        factor = uplift(line.price_year or model.price_year, f"costs.{i}.price_year")
        bias = Decimal(1)
        if line.grade is not None:
            bias += grades[line.grade].correction
        target = in_kind if line.kind == "in_kind" else cash
        for year, amount in line.amounts.items():
            target[partners.index(line.partner)][labels.index(year)] += amount * factor * bias
    if problems:
        raise CbaModelInvalidError(file, problems)
    return Prepared(
        years=labels,
        outcomes=[o.name for o in model.outcomes],
        agencies=agencies,
        partners=partners,
        cohort=_objects([Decimal(model.cohort.get(y, 0)) for y in labels]),
        profile=_objects(profile),
        fiscal=_objects(fiscal).reshape(len(units), len(agencies)),
        economic=_objects(economic),
        social=_objects(social),
        attribution=_objects([o.attribution for o in model.outcomes]),
        optimism=_objects(optimism),
        kind=np.array([o.cashability for o in model.outcomes]),
        step_cost=_objects([o.step_cost or Decimal(1) for o in model.outcomes]),
        health=np.array([o.health for o in model.outcomes], dtype=bool),
        cash_costs=_objects(cash).reshape(len(partners), years),
        in_kind_costs=_objects(in_kind).reshape(len(partners), years),
        discount_standard=_objects(discount_factors(years, "standard")),
        discount_health=_objects(discount_factors(years, "health")),
        warnings=sorted(set(warnings)),
        provenance=provenance,
    )


def central_inputs(model: Intervention) -> tuple[Array, Array, Array, Array]:
    """The uncertain inputs at their central values, one draw, as Decimal."""
    return (
        _objects([model.engagement.value]),
        _objects([[o.success.value for o in model.outcomes]]),
        _objects([[deadweight_of(o)[0].value for o in model.outcomes]]),
        _objects([[o.value_scale.value for o in model.outcomes]]),
    )


def payback(benefits: Array, costs: Array, years: list[str]) -> str | None:
    """The first year in which cumulative discounted benefits reach cumulative discounted costs."""
    total = 0 * benefits[0]
    spent = 0 * costs[0]
    for t, year in enumerate(years):
        total += benefits[t]
        spent += costs[t]
        if spent > 0 and total >= spent:
            return year
    return None


@dataclass(frozen=True)
class Appraisal:
    """A model's exact appraisal."""

    model: Intervention
    prepared: Prepared
    flows: Flows

    def agency_costs(self) -> dict[str, Array]:
        """Each agency's (and each other payer's) discounted costs by year."""
        p, f = self.prepared, self.flows
        out: dict[str, Array] = {}
        for i, partner in enumerate(p.partners):
            out[partner] = f.cash_costs[i] + f.in_kind_costs[i]
        return out

    def to_dict(self) -> dict[str, Any]:
        """Every figure, by agency and by year (JSON-ready; money as text in pounds)."""
        p, f = self.prepared, self.flows
        benefits_year = f.benefits_by_year[0]
        costs_year = f.costs_by_year
        cash_total = f.cash_costs.sum()
        costs_total = costs_year.sum()
        benefits_total = benefits_year.sum()
        fiscal_total = f.fiscal[0].sum()
        payers = self.agency_costs()
        names = sorted(set(p.agencies) | set(p.partners))
        by_agency = []
        for name in names:
            zero = 0 * costs_year
            fiscal = f.fiscal[0][p.agencies.index(name)] if name in p.agencies else zero
            cost = payers.get(name, zero)
            a = p.agencies.index(name) if name in p.agencies else None
            by_agency.append(
                {
                    "agency": name,
                    "costs": money(cost.sum()),
                    "fiscal_benefits": money(fiscal.sum()),
                    "cashable": money(f.cashable[0][a].sum() if a is not None else 0),
                    "cost_avoidance": money(f.cost_avoidance[0][a].sum() if a is not None else 0),
                    "capacity": money(f.capacity[0][a].sum() if a is not None else 0),
                    "npv": money(fiscal.sum() - cost.sum()),
                    "financial_roi": ratio(fiscal.sum(), cost.sum()),
                    "payback_year": payback(fiscal, cost, p.years),
                    "by_year": [
                        {"year": y, "costs": money(cost[t]), "benefits": money(fiscal[t])}
                        for t, y in enumerate(p.years)
                    ],
                }
            )
        cumulative = Decimal(0)
        by_year = []
        for t, year in enumerate(p.years):
            net = benefits_year[t] - costs_year[t]
            cumulative += net
            by_year.append(
                {
                    "year": year,
                    "discount_factor": str(p.discount_standard[t].quantize(Decimal("0.00001"))),
                    "costs": money(costs_year[t]),
                    "fiscal": money(f.fiscal[0][:, t].sum()),
                    "economic": money(f.economic[0][t]),
                    "social": money(f.social[0][t]),
                    "net": money(net),
                    "cumulative": money(cumulative),
                }
            )
        waterfall = [
            {"stage": "gross benefits", "value": money(f.gross[0])},
            {"stage": "less deadweight", "value": money(f.after_deadweight[0] - f.gross[0])},
            {"stage": "less attribution", "value": money(f.after_attribution[0] - f.after_deadweight[0])},
            {"stage": "less optimism bias", "value": money(f.after_optimism[0] - f.after_attribution[0])},
            {"stage": "less discounting", "value": money(benefits_total - f.after_optimism[0])},
            {"stage": "present value of benefits", "value": money(benefits_total)},
        ]
        return {
            "name": self.model.name,
            "title": self.model.title,
            "illustrative": self.model.illustrative,
            "price_year": self.model.price_year,
            "years": p.years,
            "totals": {
                "costs": money(costs_total),
                "cash_costs": money(cash_total),
                "in_kind_costs": money(f.in_kind_costs.sum()),
                "fiscal_benefits": money(fiscal_total),
                "cashable": money(f.cashable[0].sum()),
                "cost_avoidance": money(f.cost_avoidance[0].sum()),
                "capacity": money(f.capacity[0].sum()),
                "economic_benefits": money(f.economic[0].sum()),
                "social_benefits": money(f.social[0].sum()),
                "benefits": money(benefits_total),
                "npv": money(benefits_total - costs_total),
                "bcr": ratio(benefits_total, costs_total),
                "financial_roi": ratio(fiscal_total, cash_total),
                "public_value_roi": ratio(benefits_total, cash_total),
                "payback_year": payback(benefits_year, costs_year, p.years),
            },
            "by_agency": by_agency,
            "by_year": by_year,
            "waterfall": waterfall,
            "outcomes": [
                {
                    "name": o.name,
                    "unit_cost": o.unit_cost,
                    "unit_cost_source": p.provenance[i],
                    "cashability": o.cashability,
                    "health": o.health,
                    "achievements": str(Decimal(f.volume[0][i]).quantize(Decimal("0.01"))),
                }
                for i, o in enumerate(self.model.outcomes)
            ],
            "warnings": p.warnings,
        }


def appraise(model: Intervention, library: Library, deflators: dict[str, Decimal], file: str) -> Appraisal:
    """The exact appraisal of ``model``."""
    prepared = prepare(model, library, deflators, file)
    if not (prepared.cash_costs.sum() + prepared.in_kind_costs.sum()):
        raise CbaError(f"{model.name} has no costs", hint="give each partner's costs by year")
    return Appraisal(model, prepared, compute(prepared, *central_inputs(model)))
