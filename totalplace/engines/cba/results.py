"""An appraisal's figures as typed results: the totals, each agency's case, each year, the waterfall from
gross to net, and each outcome with its unit cost's provenance (DESIGN.md §6.3).

Money is held as Decimal pounds rounded to the penny (half to even) and ratios to four places, from the exact
figures of :mod:`totalplace.engines.cba.engine`; ``to_dict`` writes each as text, which is the JSON of
``cba run --json`` and of the model's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

from totalplace.engines.cba.engine import Array, Flows, Prepared, UnitCostSource
from totalplace.engines.cba.model import Intervention

PENNY: Final = Decimal("0.01")
_RATIO: Final = Decimal("0.0001")
_FACTOR: Final = Decimal("0.00001")


def penny(value: Any) -> Decimal:
    """Pounds to the penny, half to even."""
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_EVEN)


def money(value: Any) -> str:
    """Pounds to the penny, half to even, as text."""
    return str(penny(value))


def pounds_text(value: Any) -> str:
    """Pounds as a person reads them: £1,234,567.89 (and -£12.00)."""
    amount = penny(value)
    return f"-£{-amount:,.2f}" if amount < 0 else f"£{amount:,.2f}"


def ratio(numerator: Any, denominator: Any) -> Decimal | None:
    """A ratio to four places, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(_RATIO, ROUND_HALF_EVEN)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


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


def payer_costs(prepared: Prepared, flows: Flows) -> dict[str, Array]:
    """Each paying partner's discounted costs by year, in kind included."""
    return {
        partner: flows.cash_costs[i] + flows.in_kind_costs[i] for i, partner in enumerate(prepared.partners)
    }


@dataclass(frozen=True, slots=True)
class AgencyYear:
    """One agency's present-value costs and fiscal benefits in one year."""

    year: str
    costs: Decimal
    benefits: Decimal

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money as text)."""
        return {"year": self.year, "costs": str(self.costs), "benefits": str(self.benefits)}


@dataclass(frozen=True, slots=True)
class AgencyCase:
    """One agency's (or paying partner's) case: what it pays, what it gains and how, its NPV and payback."""

    agency: str
    costs: Decimal
    fiscal_benefits: Decimal
    cashable: Decimal
    cost_avoidance: Decimal
    capacity: Decimal
    npv: Decimal
    financial_roi: Decimal | None
    payback_year: str | None
    by_year: tuple[AgencyYear, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money and ratios as text)."""
        return {
            "agency": self.agency,
            "costs": str(self.costs),
            "fiscal_benefits": str(self.fiscal_benefits),
            "cashable": str(self.cashable),
            "cost_avoidance": str(self.cost_avoidance),
            "capacity": str(self.capacity),
            "npv": str(self.npv),
            "financial_roi": _text(self.financial_roi),
            "payback_year": self.payback_year,
            "by_year": [y.to_dict() for y in self.by_year],
        }


@dataclass(frozen=True, slots=True)
class YearFigures:
    """One year of the appraisal in present values, with the running net."""

    year: str
    discount_factor: Decimal
    costs: Decimal
    fiscal: Decimal
    economic: Decimal
    social: Decimal
    net: Decimal
    cumulative: Decimal

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money and the factor as text)."""
        return {
            "year": self.year,
            "discount_factor": str(self.discount_factor),
            "costs": str(self.costs),
            "fiscal": str(self.fiscal),
            "economic": str(self.economic),
            "social": str(self.social),
            "net": str(self.net),
            "cumulative": str(self.cumulative),
        }


@dataclass(frozen=True, slots=True)
class WaterfallStep:
    """A stage from gross benefits to their present value: a whole (first and last) or a reduction."""

    stage: str
    value: Decimal

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money as text)."""
        return {"stage": self.stage, "value": str(self.value)}


@dataclass(frozen=True, slots=True)
class OutcomeFigures:
    """One outcome: its unit cost and where that came from, how it is cashed, how often it is achieved."""

    name: str
    unit_cost: str
    unit_cost_source: UnitCostSource
    cashability: str
    health: bool
    achievements: Decimal  # net of deadweight, attribution and optimism bias, all years, to two places

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "name": self.name,
            "unit_cost": self.unit_cost,
            "unit_cost_source": self.unit_cost_source.to_dict(),
            "cashability": self.cashability,
            "health": self.health,
            "achievements": str(self.achievements),
        }


@dataclass(frozen=True, slots=True)
class Totals:
    """The whole case in present values: costs, benefits by kind, NPV, the ratios and the payback year."""

    costs: Decimal
    cash_costs: Decimal
    in_kind_costs: Decimal
    fiscal_benefits: Decimal
    cashable: Decimal
    cost_avoidance: Decimal
    capacity: Decimal
    economic_benefits: Decimal
    social_benefits: Decimal
    benefits: Decimal
    npv: Decimal
    bcr: Decimal | None
    financial_roi: Decimal | None
    public_value_roi: Decimal | None
    payback_year: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money and ratios as text)."""
        money_keys = (
            "costs",
            "cash_costs",
            "in_kind_costs",
            "fiscal_benefits",
            "cashable",
            "cost_avoidance",
            "capacity",
            "economic_benefits",
            "social_benefits",
            "benefits",
            "npv",
        )
        out: dict[str, Any] = {key: str(getattr(self, key)) for key in money_keys}
        out |= {key: _text(getattr(self, key)) for key in ("bcr", "financial_roi", "public_value_roi")}
        out["payback_year"] = self.payback_year
        return out


@dataclass(frozen=True, slots=True)
class AppraisalResult:
    """Every figure of a model's exact appraisal, by agency and by year."""

    name: str
    title: str
    illustrative: bool
    price_year: str
    years: tuple[str, ...]
    totals: Totals
    by_agency: tuple[AgencyCase, ...]
    by_year: tuple[YearFigures, ...]
    waterfall: tuple[WaterfallStep, ...]
    outcomes: tuple[OutcomeFigures, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Every figure, by agency and by year (JSON-ready; money as text in pounds)."""
        return {
            "name": self.name,
            "title": self.title,
            "illustrative": self.illustrative,
            "price_year": self.price_year,
            "years": list(self.years),
            "totals": self.totals.to_dict(),
            "by_agency": [a.to_dict() for a in self.by_agency],
            "by_year": [y.to_dict() for y in self.by_year],
            "waterfall": [w.to_dict() for w in self.waterfall],
            "outcomes": [o.to_dict() for o in self.outcomes],
            "warnings": list(self.warnings),
        }


def appraisal_result(model: Intervention, prepared: Prepared, flows: Flows) -> AppraisalResult:
    """The figures of the central draw of ``flows`` (the exact, Decimal path)."""
    return AppraisalResult(
        name=model.name,
        title=model.title,
        illustrative=model.illustrative,
        price_year=model.price_year,
        years=tuple(prepared.years),
        totals=_totals(prepared, flows),
        by_agency=tuple(_agency_cases(prepared, flows)),
        by_year=tuple(_years(prepared, flows)),
        waterfall=_waterfall(flows),
        outcomes=tuple(
            OutcomeFigures(
                name=o.name,
                unit_cost=o.unit_cost,
                unit_cost_source=prepared.provenance[i],
                cashability=o.cashability,
                health=o.health,
                achievements=Decimal(flows.volume[0][i]).quantize(PENNY),
            )
            for i, o in enumerate(model.outcomes)
        ),
        warnings=tuple(prepared.warnings),
    )


def _totals(p: Prepared, f: Flows) -> Totals:
    benefits_year, costs_year = f.benefits_by_year[0], f.costs_by_year
    cash, costs = f.cash_costs.sum(), costs_year.sum()
    benefits, fiscal = benefits_year.sum(), f.fiscal[0].sum()
    return Totals(
        costs=penny(costs),
        cash_costs=penny(cash),
        in_kind_costs=penny(f.in_kind_costs.sum()),
        fiscal_benefits=penny(fiscal),
        cashable=penny(f.cashable[0].sum()),
        cost_avoidance=penny(f.cost_avoidance[0].sum()),
        capacity=penny(f.capacity[0].sum()),
        economic_benefits=penny(f.economic[0].sum()),
        social_benefits=penny(f.social[0].sum()),
        benefits=penny(benefits),
        npv=penny(benefits - costs),
        bcr=ratio(benefits, costs),
        financial_roi=ratio(fiscal, cash),
        public_value_roi=ratio(benefits, cash),
        payback_year=payback(benefits_year, costs_year, p.years),
    )


def _agency_cases(p: Prepared, f: Flows) -> list[AgencyCase]:
    """Every agency that gains and every partner that pays, by name."""
    payers = payer_costs(p, f)
    zero = 0 * f.costs_by_year
    cases = []
    for name in sorted(set(p.agencies) | set(p.partners)):
        a = p.agencies.index(name) if name in p.agencies else None
        fiscal = zero if a is None else f.fiscal[0][a]
        cost = payers.get(name, zero)

        def part(flow: Array, a: int | None = a) -> Decimal:
            return penny(0 if a is None else flow[0][a].sum())

        cases.append(
            AgencyCase(
                agency=name,
                costs=penny(cost.sum()),
                fiscal_benefits=penny(fiscal.sum()),
                cashable=part(f.cashable),
                cost_avoidance=part(f.cost_avoidance),
                capacity=part(f.capacity),
                npv=penny(fiscal.sum() - cost.sum()),
                financial_roi=ratio(fiscal.sum(), cost.sum()),
                payback_year=payback(fiscal, cost, p.years),
                by_year=tuple(AgencyYear(y, penny(cost[t]), penny(fiscal[t])) for t, y in enumerate(p.years)),
            )
        )
    return cases


def _years(p: Prepared, f: Flows) -> list[YearFigures]:
    benefits_year, costs_year = f.benefits_by_year[0], f.costs_by_year
    cumulative = Decimal(0)
    rows = []
    for t, year in enumerate(p.years):
        net = benefits_year[t] - costs_year[t]
        cumulative += net
        rows.append(
            YearFigures(
                year=year,
                discount_factor=p.discount_standard[t].quantize(_FACTOR),
                costs=penny(costs_year[t]),
                fiscal=penny(f.fiscal[0][:, t].sum()),
                economic=penny(f.economic[0][t]),
                social=penny(f.social[0][t]),
                net=penny(net),
                cumulative=penny(cumulative),
            )
        )
    return rows


def _waterfall(f: Flows) -> tuple[WaterfallStep, ...]:
    """Gross benefits, each reduction in turn, and their present value."""
    benefits = f.benefits_by_year[0].sum()
    return (
        WaterfallStep("gross benefits", penny(f.gross[0])),
        WaterfallStep("less deadweight", penny(f.after_deadweight[0] - f.gross[0])),
        WaterfallStep("less attribution", penny(f.after_attribution[0] - f.after_deadweight[0])),
        WaterfallStep("less optimism bias", penny(f.after_optimism[0] - f.after_attribution[0])),
        WaterfallStep("less discounting", penny(benefits - f.after_optimism[0])),
        WaterfallStep("present value of benefits", penny(benefits)),
    )
