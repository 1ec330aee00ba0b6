"""Variations: dated, versioned changes to an agreement (DESIGN.md §6.2).

The old version is never overwritten.

A variation file says when it takes effect, why, and what changes::

    effective: 2025-10-01
    reason: NHS adds winter money
    changes:
      - add_contribution: {partner: Northbridge NHS, year: 2025-26, cash: "250,000.00"}
      - set_scheme_budget: {scheme: discharge, year: 2025-26, budget: "1,450,000.00"}
      - partner_leaves: {partner: Northbridge Police}
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from totalplace.engines.pool.agreement import Agreement
from totalplace.engines.pool.files import parse_yaml, problems_from, validate_agreement
from totalplace.errors import AgreementInvalidError, RowProblem

CHANGES = (
    "add_contribution",
    "set_scheme_budget",
    "add_scheme",
    "add_partner",
    "partner_leaves",
    "set_risk_share",
    "extend_term",
)


class Variation(BaseModel):
    """A variation as written: when it takes effect, why, and the changes in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effective: date
    reason: str
    changes: list[dict[str, dict[str, Any]]]


def load_variation(text: str | bytes, file: str) -> Variation:
    """A variation from YAML text, or AgreementInvalidError with located problems."""
    data, node = parse_yaml(text, file)
    try:
        variation = Variation.model_validate(data)
    except ValidationError as exc:
        raise AgreementInvalidError(file, problems_from(exc, file, node)) from None
    problems = [
        RowProblem(
            "TP600", file, 0, f"changes.{i}", ",".join(change), f"each change is one of: {', '.join(CHANGES)}"
        )
        for i, change in enumerate(variation.changes)
        if len(change) != 1 or next(iter(change)) not in CHANGES
    ]
    if problems or not variation.changes:
        raise AgreementInvalidError(
            file,
            problems
            or [RowProblem("TP600", file, 0, "changes", "", "a variation needs at least one change")],
        )
    return variation


def apply_variation(agreement: Agreement, variation: Variation, file: str) -> Agreement:
    """The agreement as it stands after ``variation``, validated whole."""
    data = agreement.model_dump(mode="json")
    for change in variation.changes:
        ((name, args),) = change.items()
        _APPLY[name](data, dict(args), variation.effective)
    return validate_agreement(data, file)


def _add_contribution(data: dict[str, Any], args: dict[str, Any], _day: date) -> None:
    data["contributions"].append(args)


def _set_scheme_budget(data: dict[str, Any], args: dict[str, Any], _day: date) -> None:
    scheme = next((s for s in data["schemes"] if s["name"] == args.get("scheme")), None)
    if scheme is None:
        raise _bad(f"no scheme called {args.get('scheme')!r}")
    if "year" in args:
        scheme["budgets"][str(args["year"])] = args.get("budget")
    else:
        scheme["budget"] = args.get("budget")


def _add_scheme(data: dict[str, Any], args: dict[str, Any], _day: date) -> None:
    data["schemes"].append(args)


def _add_partner(data: dict[str, Any], args: dict[str, Any], _day: date) -> None:
    data["partners"].append(args.get("partner"))


def _partner_leaves(data: dict[str, Any], args: dict[str, Any], day: date) -> None:
    data["exits"].append({"partner": args.get("partner"), "date": str(args.get("date", day))})


def _set_risk_share(data: dict[str, Any], args: dict[str, Any], _day: date) -> None:
    data["risk_share"] = args


def _extend_term(data: dict[str, Any], args: dict[str, Any], _day: date) -> None:
    data["term_years"] = int(data["term_years"]) + int(args.get("years", 0))


def _bad(message: str) -> AgreementInvalidError:
    return AgreementInvalidError("variation", [RowProblem("TP600", "variation", 0, "changes", "", message)])


_APPLY = {
    "add_contribution": _add_contribution,
    "set_scheme_budget": _set_scheme_budget,
    "add_scheme": _add_scheme,
    "add_partner": _add_partner,
    "partner_leaves": _partner_leaves,
    "set_risk_share": _set_risk_share,
    "extend_term": _extend_term,
}
