"""Variations read into typed changes, located problems, and the varied agreement checked whole."""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml

from totalplace.engines.pool.agreement import Contribution
from totalplace.engines.pool.files import AGREEMENT_INVALID, agreement_json, load_agreement, stored_agreement
from totalplace.engines.pool.variation import (
    CHANGES,
    Leaving,
    SchemeBudget,
    apply_variation,
    load_variation,
)
from totalplace.errors import AgreementInvalidError

AGREEMENT: dict[str, object] = {
    "name": "bcf",
    "title": "Better Care Fund",
    "partners": ["Council", "NHS", "Police"],
    "host": "Council",
    "fund_manager": "Director of Adult Social Care",
    "start_year": "2025-26",
    "term_years": 1,
    "contributions": [{"partner": "NHS", "year": "2025-26", "cash": "600,000.00"}],
    "schemes": [{"name": "care", "owner": "Council", "budget": "600,000.00"}],
}

EVERY_CHANGE = """\
effective: 2025-10-01
reason: every kind of change at once
changes:
  - add_contribution: {partner: Council, year: 2025-26, cash: "250,000.00"}
  - add_scheme: {name: discharge, owner: NHS, budget: "100,000.00"}
  - set_scheme_budget: {scheme: care, year: 2025-26, budget: "750,000.00"}
  - add_partner: {partner: Fire}
  - partner_leaves: {partner: Police}
  - set_risk_share: {underspend: {disposition: return}}
  - extend_term: {years: 2}
"""

THE_SAME_WRITTEN_WHOLE: dict[str, object] = {
    **AGREEMENT,
    "partners": ["Council", "NHS", "Police", "Fire"],
    "term_years": 3,
    "contributions": [
        {"partner": "NHS", "year": "2025-26", "cash": "600,000.00"},
        {"partner": "Council", "year": "2025-26", "cash": "250,000.00"},
    ],
    "schemes": [
        {"name": "care", "owner": "Council", "budget": "600,000.00", "budgets": {"2025-26": "750,000.00"}},
        {"name": "discharge", "owner": "NHS", "budget": "100,000.00"},
    ],
    "risk_share": {"underspend": {"disposition": "return"}},
    "exits": [{"partner": "Police", "date": "2025-10-01"}],
}


def _agreement() -> str:
    return yaml.safe_dump(AGREEMENT)


def test_every_kind_of_change_is_read_into_its_typed_form() -> None:
    variation = load_variation(EVERY_CHANGE, "v.yaml")
    assert variation.effective == date(2025, 10, 1)
    assert len(variation.changes) == len(CHANGES) == 7
    first, _, budget, _, leaving, *_ = variation.changes
    assert isinstance(first, Contribution) and first.cash == 25_000_000
    assert isinstance(budget, SchemeBudget)
    assert (budget.scheme, budget.year, budget.budget) == ("care", "2025-26", 75_000_000)
    assert leaving == Leaving(partner="Police")


def test_a_variation_stores_what_the_varied_agreement_written_whole_stores() -> None:
    varied = apply_variation(
        load_agreement(_agreement(), "a.yaml"), load_variation(EVERY_CHANGE, "v.yaml"), "v"
    )
    whole = load_agreement(yaml.safe_dump(THE_SAME_WRITTEN_WHOLE), "whole.yaml")
    assert agreement_json(varied) == agreement_json(whole)
    assert varied.years == ["2025-26", "2026-27", "2027-28"]  # read afresh, not the unvaried term
    assert stored_agreement(agreement_json(varied), "bcf") == varied
    assert json.loads(agreement_json(varied))["exits"] == [{"partner": "Police", "date": "2025-10-01"}]


def test_a_bad_field_in_a_change_is_named_by_its_line_and_path() -> None:
    text = EVERY_CHANGE.replace('cash: "250,000.00"', "cash: 1.5").replace("years: 2", "years: two")
    with pytest.raises(AgreementInvalidError) as refused:
        load_variation(text, "v.yaml")
    found = {(p.row, p.column, p.code) for p in refused.value.problems}
    assert (4, "changes.0.add_contribution.cash", AGREEMENT_INVALID) in found
    assert (10, "changes.6.extend_term.years", AGREEMENT_INVALID) in found


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ("  - rename_pool: {name: x}", "changes.0", "each change is one of"),
        ("  - {add_partner: {partner: A}, extend_term: {years: 1}}", "changes.0", "each change is one of"),
        ("  - set_scheme_budget: {scheme: care, budgett: 1}", "changes.0.set_scheme_budget.budgett", "Extra"),
        (
            "  - set_scheme_budget: {scheme: care, year: 2025-26}",
            "changes.0.set_scheme_budget",
            "needs an amount",
        ),
    ],
)
def test_changes_that_cannot_be_read_are_refused(changes: str, column: str, message: str) -> None:
    text = f"effective: 2025-10-01\nreason: r\nchanges:\n{changes}\n"
    with pytest.raises(AgreementInvalidError) as refused:
        load_variation(text, "v.yaml")
    assert [p.column for p in refused.value.problems] == [column]
    assert message in refused.value.problems[0].message


def test_a_variation_needs_a_change() -> None:
    with pytest.raises(AgreementInvalidError, match="needs at least one change"):
        load_variation("effective: 2025-10-01\nreason: r\nchanges: []\n", "v.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("set_scheme_budget: {scheme: nowhere, budget: '1.00'}", "no scheme called 'nowhere'"),
        ("add_contribution: {partner: Fire, year: 2025-26, cash: '1.00'}", "who is not a partner"),
        ("add_contribution: {partner: NHS, year: 2031-32, cash: '1.00'}", "outside the term"),
    ],
)
def test_the_varied_agreement_is_checked_whole(change: str, message: str) -> None:
    variation = load_variation(f"effective: 2025-10-01\nreason: r\nchanges:\n  - {change}\n", "v.yaml")
    with pytest.raises(AgreementInvalidError) as refused:
        apply_variation(load_agreement(_agreement(), "a.yaml"), variation, "v.yaml")
    assert refused.value.file == "v.yaml"
    assert message in refused.value.problems[0].message
