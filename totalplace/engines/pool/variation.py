"""Variations: dated, versioned changes to an agreement (DESIGN.md §6.2).

The old version is never overwritten.

A variation file says when it takes effect, why, and what changes::

    effective: 2025-10-01
    reason: NHS adds winter money
    changes:
      - add_contribution: {partner: Northbridge NHS, year: 2025-26, cash: "250,000.00"}
      - set_scheme_budget: {scheme: discharge, year: 2025-26, budget: "1,450,000.00"}
      - partner_leaves: {partner: Northbridge Police}

Each change is read into its typed form when the file is read (so a bad field is named by its line); the
varied agreement is then checked whole, so its parts must still agree (a contribution from a partner, a
budget for a scheme, a year inside the term).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from totalplace.engines.pool.agreement import (
    Agreement,
    Contribution,
    FinancialYear,
    PartnerExit,
    Pence,
    RiskShare,
    Scheme,
)
from totalplace.engines.pool.files import AGREEMENT_INVALID, checked_agreement, parse_yaml, problems_from
from totalplace.errors import AgreementInvalidError, RowProblem


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchemeBudget(_Change):
    """``set_scheme_budget``: a scheme's budget for one year, or (without a year) for every year."""

    scheme: str
    year: FinancialYear | None = None
    budget: Pence | None = None

    @model_validator(mode="after")
    def _a_year_has_an_amount(self) -> SchemeBudget:
        if self.year is not None and self.budget is None:
            raise ValueError(f"a budget for {self.year} needs an amount")
        return self


class NewPartner(_Change):
    """``add_partner``: a partner joins the pool."""

    partner: str


class Leaving(_Change):
    """``partner_leaves``: a partner leaves on ``date`` (default: the day the variation takes effect)."""

    partner: str
    date: dt.date | None = None


class TermExtension(_Change):
    """``extend_term``: the term runs ``years`` more years."""

    years: int = 0


#: One change, as its typed form (add_contribution is a Contribution, add_scheme a Scheme, and so on).
Change = Contribution | SchemeBudget | Scheme | NewPartner | Leaving | RiskShare | TermExtension

#: The changes a variation may make, by the name a file gives them, in the order the help lists them.
_KINDS: dict[str, type[Change]] = {
    "add_contribution": Contribution,
    "set_scheme_budget": SchemeBudget,
    "add_scheme": Scheme,
    "add_partner": NewPartner,
    "partner_leaves": Leaving,
    "set_risk_share": RiskShare,
    "extend_term": TermExtension,
}
CHANGES = tuple(_KINDS)


class _Written(BaseModel):
    """A variation file's fields, each change still as written (one name and its arguments)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effective: dt.date
    reason: str
    changes: list[dict[str, object]]


@dataclass(frozen=True, slots=True)
class Variation:
    """A variation: when it takes effect, why, and the changes in order."""

    effective: dt.date
    reason: str
    changes: tuple[Change, ...]


def load_variation(text: str | bytes, file: str) -> Variation:
    """A variation from YAML text, or AgreementInvalidError with located problems."""
    data, node = parse_yaml(text, file)
    try:
        written = _Written.model_validate(data)
    except ValidationError as exc:
        raise AgreementInvalidError(file, problems_from(exc, file, node)) from None
    problems = [
        RowProblem(
            AGREEMENT_INVALID,
            file,
            0,
            f"changes.{i}",
            ",".join(change),
            f"each change is one of: {', '.join(CHANGES)}",
        )
        for i, change in enumerate(written.changes)
        if len(change) != 1 or next(iter(change)) not in CHANGES
    ]
    if not written.changes:
        problems.append(
            RowProblem(AGREEMENT_INVALID, file, 0, "changes", "", "a variation needs at least one change")
        )
    if problems:
        raise AgreementInvalidError(file, problems)
    changes = _typed_changes(written.changes, file, node)
    return Variation(written.effective, written.reason, changes)


def _typed_changes(written: list[dict[str, object]], file: str, node: yaml.Node | None) -> tuple[Change, ...]:
    """Each change in its typed form, or AgreementInvalidError locating every bad field of every change."""
    changes: list[Change] = []
    problems: list[RowProblem] = []
    for i, change in enumerate(written):
        ((name, args),) = change.items()
        try:
            changes.append(_KINDS[name].model_validate(args))
        except ValidationError as exc:
            problems += problems_from(exc, file, node, at=("changes", i, name))
    if problems:
        raise AgreementInvalidError(file, problems)
    return tuple(changes)


def apply_variation(agreement: Agreement, variation: Variation, file: str) -> Agreement:
    """The agreement as it stands after ``variation``, validated whole."""
    for change in variation.changes:
        agreement = _applied(agreement, change, variation.effective, file)
    return checked_agreement(agreement, file)


def _applied(agreement: Agreement, change: Change, effective: dt.date, file: str) -> Agreement:
    """``agreement`` with one change made (not yet checked whole: :func:`apply_variation` does that)."""
    match change:
        case Contribution():
            return agreement.model_copy(update={"contributions": [*agreement.contributions, change]})
        case Scheme():
            return agreement.model_copy(update={"schemes": [*agreement.schemes, change]})
        case SchemeBudget():
            return agreement.model_copy(update={"schemes": _with_budget(agreement.schemes, change, file)})
        case NewPartner():
            return agreement.model_copy(update={"partners": [*agreement.partners, change.partner]})
        case Leaving():
            leaving = PartnerExit(partner=change.partner, date=change.date or effective)
            return agreement.model_copy(update={"exits": [*agreement.exits, leaving]})
        case RiskShare():
            return agreement.model_copy(update={"risk_share": change})
        case TermExtension():
            return agreement.model_copy(update={"term_years": agreement.term_years + change.years})


def _with_budget(schemes: list[Scheme], change: SchemeBudget, file: str) -> list[Scheme]:
    """The schemes with one scheme's budget set (for one year, or its budget for every year)."""
    if not any(s.name == change.scheme for s in schemes):
        raise AgreementInvalidError(
            file,
            [RowProblem(AGREEMENT_INVALID, file, 0, "changes", "", f"no scheme called {change.scheme!r}")],
        )
    out = []
    for s in schemes:
        if s.name == change.scheme and change.year is not None:
            s = s.model_copy(update={"budgets": {**s.budgets, change.year: change.budget}})
        elif s.name == change.scheme:
            s = s.model_copy(update={"budget": change.budget})
        out.append(s)
    return out
