"""The pooled-fund agreement (DESIGN.md §6.2): a YAML file a finance officer can read, checked on load.

An agreement names its partners (as the place knows them), the host partner and fund manager, the budget type,
the term, each partner's contribution per year (cash, or in-kind staff time valued as FTE x cost), the schemes
with their budgets and owning partner, the review cadences, the risk-share clause, and whether the books are
open to every partner. Money is written as text ("£1,200,000.00") or whole pounds; a YAML decimal such as
``1200.5`` is refused (a float loses pence).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    model_validator,
)

from totalplace.money import MAX_AMOUNT_PENCE, Money, MoneyParseError, check_amount

# The most FTE, or any other quantity, an agreement may state: far beyond any real pool, and small enough that
# FTE x cost stays an exact, bounded figure.
MAX_QUANTITY = Decimal(1_000_000)

BUDGET_TYPES = ("pooled", "aligned", "devolved", "virtual")
_FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def _pence(value: Any) -> int:
    """Whole pounds (int) or money text ("£1,234.50", "(12.00)") as integer pence; never a float."""
    if isinstance(value, bool | float):
        raise ValueError('write money as text, like "1234.50" (a YAML decimal is a float and loses pence)')
    try:
        if isinstance(value, int):
            return check_amount(
                value * 100 if abs(value) <= MAX_AMOUNT_PENCE else MAX_AMOUNT_PENCE + 1, value
            )
        if isinstance(value, str):
            return Money.parse(value).pence
    except MoneyParseError as exc:
        raise ValueError(exc.message) from None
    raise ValueError("expected an amount of money")


def _fy(value: Any) -> str:
    text = str(value).strip()
    match = _FINANCIAL_YEAR.match(text)
    if match is None or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f'{text!r} is not a financial year; write it like "2025-26"')
    return text


def _decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0 or number > MAX_QUANTITY:
        raise ValueError(f"{str(value)[:40]!r} must be a number from 0 to {MAX_QUANTITY:,}")
    return number


# Stored and shown as money text, so that a dumped agreement reads back to the same pence.
Pence = Annotated[int, BeforeValidator(_pence), PlainSerializer(lambda p: str(Money(p)), return_type=str)]
FinancialYear = Annotated[str, BeforeValidator(_fy)]
Quantity = Annotated[Decimal, BeforeValidator(_decimal), PlainSerializer(str, return_type=str)]


def year_start(year: str) -> int:
    """The calendar year a financial year label starts in ("2025-26" -> 2025)."""
    return int(year[:4])


def year_label(start: int) -> str:
    """The label of the financial year starting in April of ``start``."""
    return f"{start}-{(start + 1) % 100:02d}"


def year_of(day: date) -> str:
    """The financial year (April to March) a date falls in."""
    return year_label(day.year if day.month >= 4 else day.year - 1)


def year_bounds(year: str) -> tuple[date, date]:
    """First and last day of a financial year."""
    start = year_start(year)
    return date(start, 4, 1), date(start + 1, 3, 31)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InKind(_Strict):
    """Staff time given to a scheme, valued at cost: ``fte`` x ``cost_per_fte`` (rounded to the penny)."""

    fte: Quantity
    cost_per_fte: Pence
    scheme: str

    @property
    def pence(self) -> int:
        """The value of the staff time, half-even to the penny."""
        return int((self.fte * self.cost_per_fte).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


class Contribution(_Strict):
    """What one partner puts into the pool in one financial year: cash, in-kind staff time, or both."""

    partner: str
    year: FinancialYear
    cash: Pence = 0
    in_kind: InKind | None = None

    @property
    def total_pence(self) -> int:
        """Cash plus the value of in-kind time."""
        return self.cash + (self.in_kind.pence if self.in_kind else 0)


MATCH_COLUMNS = (
    "partner",
    "supplier",
    "description",
    "cost_centre",
    "expense_type",
    "proclass_label",
    "merchant_category",
)


class Scheme(_Strict):
    """A scheme the pool pays for, with its owning partner and budget (one for every year, or per year).

    ``match`` picks the scheme's actual spend out of partners' imported spending files: ``partner`` names the
    partner exactly; every other key is a column of the spend lines and its value a case-insensitive regular
    expression. A line must meet every condition.
    """

    name: Annotated[str, Field(pattern=_SLUG.pattern)]
    title: str = ""
    owner: str
    budget: Pence | None = None
    budgets: dict[FinancialYear, Pence] = Field(default_factory=dict)
    match: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _match_is_usable(self) -> Scheme:
        for column, pattern in self.match.items():
            if column not in MATCH_COLUMNS:
                raise ValueError(f"match on {column!r}: use {', '.join(MATCH_COLUMNS)}")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"match on {column}: {pattern!r} is not a regular expression ({exc})"
                ) from None
        return self

    def budget_for(self, year: str) -> int:
        """The scheme's budget in ``year`` in pence (0 when none is set)."""
        if year in self.budgets:
            return self.budgets[year]
        return self.budget or 0


class Cadence(_Strict):
    """How often the board reviews the pool, allocates money to schemes, and monitors spend."""

    review: Literal["monthly", "quarterly", "six-monthly", "annual"] = "quarterly"
    allocation: Literal["monthly", "quarterly", "six-monthly", "annual"] = "annual"
    monitoring: Literal["monthly", "quarterly", "six-monthly", "annual"] = "monthly"


class ShareRule(_Strict):
    """How an amount is split between partners: pro rata to contribution, equally, or fixed percentages."""

    rule: Literal["pro_rata", "equal", "fixed"] = "pro_rata"
    percentages: dict[str, Quantity] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _percentages_add_up(self) -> ShareRule:
        if self.rule == "fixed":
            total = sum(self.percentages.values(), Decimal(0))
            if total != 100:
                raise ValueError(f"fixed percentages must add up to 100, not {total}")
        elif self.percentages:
            raise ValueError("percentages are given only with rule: fixed")
        return self


class Layer(_Strict):
    """One step of the overspend clause, applied in order to what earlier steps left.

    ``causer_pays``: each scheme's owner bears its scheme's overspend against budget. ``host_first``: the host
    bears up to ``amount``. ``band``: up to ``amount`` (or ``percent`` of the year's contributions) is split
    by ``share``. ``rest``: everything left is split by ``share``.
    """

    step: Literal["causer_pays", "host_first", "band", "rest"]
    amount: Pence | None = None
    percent: Quantity | None = None
    share: ShareRule = Field(default_factory=ShareRule)

    @model_validator(mode="after")
    def _has_size(self) -> Layer:
        sized = self.amount is not None or self.percent is not None
        if self.step in ("host_first", "band") and not sized:
            raise ValueError(f"a {self.step} step needs an amount or a percent")
        if self.step == "host_first" and self.percent is not None:
            raise ValueError("host_first takes an amount, not a percent")
        if self.amount is not None and self.percent is not None:
            raise ValueError("give an amount or a percent, not both")
        return self


class Underspend(_Strict):
    """How an underspend is split and what becomes of it: returned, carried forward, or reinvested."""

    share: ShareRule = Field(default_factory=ShareRule)
    disposition: Literal["return", "carry_forward", "reinvest"] = "carry_forward"
    carry_forward_limit: Pence | None = None
    reinvest_into: str | None = None

    @model_validator(mode="after")
    def _reinvest_names_scheme(self) -> Underspend:
        if self.disposition == "reinvest" and not self.reinvest_into:
            raise ValueError("disposition reinvest needs reinvest_into: the scheme that receives it")
        return self


class RiskShare(_Strict):
    """The risk-share clause: overspend steps in order, liability caps, and the underspend rule."""

    overspend: list[Layer] = Field(default_factory=lambda: [Layer(step="rest")])
    caps: dict[str, Pence] = Field(default_factory=dict)
    underspend: Underspend = Field(default_factory=Underspend)


class PartnerExit(_Strict):
    """A partner that left the pool: no contributions from it are taken after ``date``."""

    partner: str
    date: date


class Agreement(_Strict):
    """A pooled-fund agreement, as written in its YAML file."""

    name: Annotated[str, Field(pattern=_SLUG.pattern)]
    title: str
    partners: list[str] = Field(min_length=1)
    host: str
    fund_manager: str
    budget_type: Literal["pooled", "aligned", "devolved", "virtual"] = "pooled"
    start_year: FinancialYear
    term_years: Annotated[int, Field(ge=1, le=25)]
    cadence: Cadence = Field(default_factory=Cadence)
    contributions: list[Contribution] = Field(default_factory=list)
    schemes: list[Scheme] = Field(min_length=1)
    risk_share: RiskShare = Field(default_factory=RiskShare)
    exits: list[PartnerExit] = Field(default_factory=list)
    # Whether every partner sees every partner's figures (lines, statements); by default a partner sees the
    # pool's totals and its own lines, and only the host, its fund manager and the auditor see all.
    open_books: StrictBool = False

    @model_validator(mode="after")
    def _names_agree(self) -> Agreement:
        members = set(self.partners)
        if len(members) != len(self.partners):
            raise ValueError("a partner is listed twice")
        problems = [f"host {self.host!r} is not one of the partners"] if self.host not in members else []
        schemes = [s.name for s in self.schemes]
        if len(set(schemes)) != len(schemes):
            problems.append("two schemes have the same name")
        for c in self.contributions:
            if c.partner not in members:
                problems.append(f"contribution from {c.partner!r}, who is not a partner")
            if c.year not in self.years:
                problems.append(
                    f"contribution for {c.year}, outside the term {self.years[0]}..{self.years[-1]}"
                )
            if c.in_kind and c.in_kind.scheme not in schemes:
                problems.append(f"in-kind time for unknown scheme {c.in_kind.scheme!r}")
        problems += [
            f"scheme {s.name!r} is owned by {s.owner!r}, not a partner"
            for s in self.schemes
            if s.owner not in members
        ]
        problems += [
            f"a cap for {p!r}, who is not a partner" for p in self.risk_share.caps if p not in members
        ]
        problems += [
            f"{e.partner!r} leaves but is not a partner" for e in self.exits if e.partner not in members
        ]
        for layer in self.risk_share.overspend:
            problems += [
                f"a percentage for {p!r}, who is not a partner"
                for p in layer.share.percentages
                if p not in members
            ]
        reinvest = self.risk_share.underspend.reinvest_into
        if reinvest and reinvest not in schemes:
            problems.append(f"underspend is reinvested into unknown scheme {reinvest!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @cached_property
    def years(self) -> list[str]:
        """The financial years of the term, in order."""
        start = year_start(self.start_year)
        return [year_label(start + i) for i in range(self.term_years)]

    def scheme(self, name: str) -> Scheme:
        """The scheme called ``name`` (KeyError if none)."""
        for s in self.schemes:
            if s.name == name:
                return s
        raise KeyError(name)

    def exit_date(self, partner: str) -> date | None:
        """The day a partner left, if it has."""
        return next((e.date for e in self.exits if e.partner == partner), None)

    def is_member_on(self, partner: str, day: date) -> bool:
        """True when ``partner`` is in the pool on ``day``."""
        left = self.exit_date(partner)
        return partner in self.partners and (left is None or day <= left)

    def agreed_contributions(self, year: str) -> dict[str, int]:
        """Each partner's agreed contribution in ``year`` (cash plus in-kind), in pence."""
        out = dict.fromkeys(self.partners, 0)
        for c in self.contributions:
            if c.year == year:
                out[c.partner] += c.total_pence
        return out
