"""An intervention model, written as YAML (DESIGN.md §6.3)::

    name: falls-service
    title: Falls and admissions-avoidance service
    start_year: 2025-26          # year 0 of the appraisal (a financial year)
    years: 5                     # the appraisal horizon
    price_year: 2025-26          # the prices results are given in
    cohort: {2025-26: 400, 2026-27: 400}           # people starting each year
    engagement: {value: 0.8, low: 0.7, high: 0.9}  # or a plain number
    costs:
      - {partner: Council, kind: revenue, amounts: {2025-26: "250000", 2026-27: "250000"}}
      - {partner: VCS, kind: in_kind, amounts: {2025-26: "20000"}, grade: 4}
    outcomes:
      - name: fewer-admissions
        unit_cost: NHS-ADM-01    # a code in the unit-cost library (or in this model's unit_costs)
        success: {value: 0.2, low: 0.1, high: 0.3}
        deadweight: 0.25         # or a convention: {convention: medium}
        attribution: 0.9
        grade: 3                 # optimism bias (default: the unit cost's grade)
        profile: [1, 0.5]        # share of the value in the year achieved, the next, ...
        cashability: step        # cashable | cost_avoidance | step
        step_cost: "400000"      # for step: savings are released in whole steps of this
        health: false            # discount at the Green Book health rate

Rates are fractions (0 to 1); a rate may carry a range (``low``/``high``, triangular around ``value``, or
``distribution: uniform``) for simulation. Money is written as text or whole numbers, read as Decimal.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from totalplace.engines.cba.parameters import deadweight_conventions
from totalplace.engines.pool.files import parse_yaml, problems_from
from totalplace.errors import CbaModelInvalidError
from totalplace.money import MAX_AMOUNT_PENCE

FINANCIAL_YEAR: Final = re.compile(r"^(\d{4})-(\d{2})$")
_CODE: Final = CbaModelInvalidError.code
# An amount of money in a model is pounds within the limit every amount entering the system is held to
# (money.MAX_AMOUNT_PENCE, £10bn; money.py says why). Any other figure (a rate, a share, a deflator, a
# scale) is finite and within a million either way: far past any real one, and small enough that products
# over a hundred years and a cohort stay exact in Decimal and finite as floats in the simulation.
MAX_POUNDS: Final = Decimal(MAX_AMOUNT_PENCE) / 100
MAX_FIGURE: Final = Decimal(1_000_000)
MAX_COHORT: Final = 100_000_000  # people starting in a year: more than the population of the UK


def _bounded(value: Decimal) -> Decimal:
    """A finite figure within MAX_FIGURE either way (1e309, NaN and infinities are refused)."""
    if not value.is_finite() or abs(value) > MAX_FIGURE:
        raise ValueError(f"{str(value)[:40]} is not a finite number within {MAX_FIGURE:,} either way")
    return value


# Every figure of a model that is not money; money goes through ``_amount``.
Figure = Annotated[Decimal, AfterValidator(_bounded)]


def year_number(text: str) -> int:
    """2025-26 -> 2025; a located error message if it is not a financial year."""
    match = FINANCIAL_YEAR.match(text)
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ValueError(f"{text!r} is not a financial year; write it like 2025-26")
    return int(match[1])


def year_label(start: int) -> str:
    """2025 -> 2025-26."""
    return f"{start}-{(start + 1) % 100:02d}"


class Uncertain(BaseModel):
    """A figure with an optional range for simulation (triangular around ``value``, or uniform)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Figure
    low: Figure | None = None
    high: Figure | None = None
    distribution: Literal["triangular", "uniform"] = "triangular"

    @model_validator(mode="after")
    def _ordered(self) -> Uncertain:
        low = self.value if self.low is None else self.low
        high = self.value if self.high is None else self.high
        if not low <= self.value <= high:
            raise ValueError(f"the range must hold the value: low {low} <= value {self.value} <= high {high}")
        return self

    @property
    def bounds(self) -> tuple[Decimal, Decimal]:
        """(low, high), the value itself where no range is given."""
        return (self.value if self.low is None else self.low, self.value if self.high is None else self.high)

    @property
    def uncertain(self) -> bool:
        """Whether it has a range."""
        low, high = self.bounds
        return low != high


def _uncertain(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a number, or a mapping with value (and low, high)")
    if isinstance(value, int | float | str | Decimal):
        return {"value": str(value)}
    return value


def _rate(value: Uncertain, field: str) -> Uncertain:
    low, high = value.bounds
    if low < 0 or high > 1:
        raise ValueError(
            f"{field} is a fraction between 0 and 1 (0.25 for 25%); got {value.value}"
            + (f" with range {low} to {high}" if value.uncertain else "")
        )
    return value


def _amount(value: Any) -> Decimal:
    if isinstance(value, float):
        # YAML reads 1234.5 as a float; its text is exact enough for pounds and pence, so keep it as written
        value = repr(value)
    text = str(value).replace(",", "").replace("£", "").strip()
    try:
        if len(text) > 60:
            raise InvalidOperation
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text[:40]!r} is not an amount of pounds") from None
    if not amount.is_finite() or abs(amount) > MAX_POUNDS:
        raise ValueError(
            f"{text[:40]} is not an amount of money within £{MAX_POUNDS:,.0f} either way (money.py says why)"
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{value} has more than two decimal places; amounts are pounds and pence")
    return amount


class CostLine(BaseModel):
    """What one partner spends on the intervention, year by year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner: str = Field(min_length=1)
    kind: Literal["capital", "revenue", "in_kind"]
    amounts: dict[str, Decimal]
    price_year: str | None = None
    grade: int | None = Field(default=None, ge=1, le=6)

    @field_validator("amounts", mode="before")
    @classmethod
    def _amounts(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            raise ValueError("amounts by financial year, e.g. {2025-26: '100000'}")
        out = {}
        for year, amount in value.items():
            year_number(str(year))
            parsed = _amount(amount)
            if parsed < 0:
                raise ValueError(f"{year}: a cost cannot be negative ({amount}); record savings as outcomes")
            out[str(year)] = parsed
        return out


class Outcome(BaseModel):
    """One outcome: how often it is achieved, what it is worth and to whom, and when it can be cashed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    unit_cost: str = Field(min_length=1)
    success: Uncertain
    deadweight: Uncertain | None = None
    deadweight_convention: str | None = None
    attribution: Figure = Decimal(1)
    grade: int | None = Field(default=None, ge=1, le=6)
    profile: list[Figure] = Field(default_factory=lambda: [Decimal(1)], min_length=1)
    cashability: Literal["cashable", "cost_avoidance", "step"] = "cost_avoidance"
    step_cost: Decimal | None = None
    health: bool = False
    value_scale: Uncertain = Uncertain(value=Decimal(1))

    _wrap = field_validator("success", "deadweight", "value_scale", mode="before")(
        classmethod(lambda cls, v: v if v is None else _uncertain(v))
    )

    @field_validator("success")
    @classmethod
    def _success(cls, value: Uncertain) -> Uncertain:
        return _rate(value, "success")

    @field_validator("deadweight")
    @classmethod
    def _deadweight(cls, value: Uncertain | None) -> Uncertain | None:
        return None if value is None else _rate(value, "deadweight")

    @field_validator("attribution")
    @classmethod
    def _attribution(cls, value: Decimal) -> Decimal:
        if not 0 <= value <= 1:
            raise ValueError(f"attribution is a fraction between 0 and 1; got {value}")
        return value

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: list[Decimal]) -> list[Decimal]:
        if any(v < 0 for v in value):
            raise ValueError("each year's share of the value is 0 or more")
        return value

    @field_validator("step_cost", mode="before")
    @classmethod
    def _step(cls, value: Any) -> Any:
        return None if value is None else _amount(value)

    @model_validator(mode="after")
    def _consistent(self) -> Outcome:
        if self.cashability == "step" and (self.step_cost is None or self.step_cost <= 0):
            raise ValueError("a step outcome needs step_cost, the saving released by each whole step (> 0)")
        if self.cashability != "step" and self.step_cost is not None:
            raise ValueError("step_cost is only for cashability: step")
        if self.deadweight is not None and self.deadweight_convention is not None:
            raise ValueError("give deadweight or deadweight_convention, not both")
        if self.deadweight_convention is not None:
            names = deadweight_conventions()[1]
            if self.deadweight_convention not in names:
                raise ValueError(f"deadweight_convention is one of {', '.join(names)}")
        if self.value_scale.bounds[0] < 0:
            raise ValueError("value_scale cannot be negative")
        return self


class Intervention(BaseModel):
    """An intervention to appraise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    start_year: str
    years: int = Field(ge=1, le=100)
    price_year: str
    cohort: dict[str, int]
    engagement: Uncertain = Uncertain(value=Decimal(1))
    costs: list[CostLine] = Field(min_length=1)
    outcomes: list[Outcome] = Field(min_length=1)
    agencies: dict[str, str] = Field(default_factory=dict)
    unit_costs: list[dict[str, Any]] = Field(default_factory=list)
    deflators: dict[str, Figure] = Field(default_factory=dict)
    illustrative: bool = False

    _wrap = field_validator("engagement", mode="before")(classmethod(lambda cls, v: _uncertain(v)))

    @field_validator("start_year", "price_year")
    @classmethod
    def _year(cls, value: str) -> str:
        year_number(value)
        return value

    @field_validator("engagement")
    @classmethod
    def _engagement(cls, value: Uncertain) -> Uncertain:
        return _rate(value, "engagement")

    @field_validator("cohort", mode="before")
    @classmethod
    def _cohort(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            raise ValueError("people starting by financial year, e.g. {2025-26: 200}")
        out = {}
        for year, people in value.items():
            year_number(str(year))
            if isinstance(people, bool) or not isinstance(people, int) or not 0 <= people <= MAX_COHORT:
                raise ValueError(
                    f"{year}: the cohort is a whole number of people from 0 to {MAX_COHORT:,}; "
                    f"got {str(people)[:40]}"
                )
            out[str(year)] = people
        return out

    @model_validator(mode="after")
    def _years_in_range(self) -> Intervention:
        start = year_number(self.start_year)
        horizon = [year_label(start + t) for t in range(self.years)]
        problems = []
        spans: list[tuple[str, set[str]]] = [("cohort", set(self.cohort))]
        spans += [(f"costs ({c.partner})", set(c.amounts)) for c in self.costs]
        for where, years in spans:
            outside = sorted(y for y in years if y not in horizon)
            if outside:
                problems.append(
                    f"{where}: {', '.join(outside)} outside the appraisal ({horizon[0]} to {horizon[-1]})"
                )
            present = sorted(year_number(y) for y in years if y in horizon)
            if present:
                gaps = [
                    year_label(y) for y in range(present[0], present[-1] + 1) if year_label(y) not in years
                ]
                if gaps:
                    problems.append(f"{where}: missing year {', '.join(gaps)} (write 0 for a year with none)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def year_labels(self) -> list[str]:
        """The appraisal's financial years, year 0 first."""
        start = year_number(self.start_year)
        return [year_label(start + t) for t in range(self.years)]


def load_model(text: str | bytes, file: str) -> Intervention:
    """An intervention from YAML text, or CbaModelInvalidError naming each field, its line and what is
    allowed."""
    data, node = parse_yaml(text, file, CbaModelInvalidError)
    try:
        return Intervention.model_validate(data)
    except ValidationError as exc:
        raise CbaModelInvalidError(file, problems_from(exc, file, node, _CODE)) from None
