"""The pool's views: the JSON the pages and commands show, and the tables a person reads."""

from __future__ import annotations

import json
from datetime import date

from totalplace.engines.pool.access import Sight
from totalplace.engines.pool.agreement import Cadence
from totalplace.engines.pool.books import YearSettlement
from totalplace.engines.pool.report import (
    ContributionLine,
    FundSummary,
    PoolTotals,
    SchemeLine,
    Statement,
    StatementStep,
    restrict_record,
)
from totalplace.engines.pool.spend_import import SpendImport
from totalplace.governance.policy import Resource
from totalplace.reports.pool import (
    balances_text,
    fund_text,
    settlement_text,
    settlement_view,
    spend_import_text,
    statements_text,
)
from totalplace.store.pools import SettledShare, SettledStep, SettlementRecord


def _record(*partners: SettledShare) -> SettlementRecord:
    return SettlementRecord(
        year="2025-26",
        available_pence=100_000_00,
        spend_pence=110_000_00,
        variance_pence=10_000_00,
        scheme_spend={"care": 110_000_00},
        partners=partners,
        steps=(SettledStep("rest", 10_000_00, {p.partner: p.overspend for p in partners}),),
        notes=(),
        reinvest_into=None,
    )


COUNCIL = SettledShare("Council", 60_000_00, 0, 6_000_00, 0, 0, 0, 6_000_00, 66_000_00)
NHS = SettledShare("NHS", 40_000_00, 0, 4_000_00, 0, 0, 0, 4_000_00, 44_000_00)


def _summary(*, settled: bool) -> FundSummary:
    return FundSummary(
        name="bcf",
        title="Better Care Fund",
        budget_type="pooled",
        host="Council",
        fund_manager="Director",
        year="2025-26",
        as_of=date(2025, 9, 30),
        version=2,
        settled=settled,
        cadence=Cadence(),
        contributions=(
            ContributionLine("Council", 60_000_00, 60_000_00, 0, None),
            ContributionLine("NHS", 40_000_00, 40_000_00, 0, date(2025, 12, 31)),
        ),
        schemes=(SchemeLine("care", "Care", "Council", 100_000_00, 100_000_00, 55_000_00, 110_000_00),),
        preview=None if settled else _record(COUNCIL, NHS),
        settlement=_record(NHS, COUNCIL) if settled else None,
    )


def test_the_fund_summary_json_is_plain_json_with_a_leaving_date_as_text() -> None:
    data = _summary(settled=False).to_dict()
    assert json.loads(json.dumps(data)) == data  # the page's twin needs no custom encoder
    assert [c["left_on"] for c in data["contributions"]] == [None, "2025-12-31"]
    assert data["schemes"][0]["forecast_variance"] == 10_000_00
    assert data["forecast_settlement"]["partners"][0]["settlement"] == 6_000_00
    assert data["settlement"] is None


def test_a_settled_year_shows_the_settlement_as_stored_and_no_preview() -> None:
    data = _summary(settled=True).to_dict()
    assert data["forecast_settlement"] == {}
    assert list(data["settlement"]) == sorted(data["settlement"])  # keys as the store keeps them
    assert list(data["settlement"]["partners"][0]) == sorted(data["settlement"]["partners"][0])


def test_the_fund_command_shows_money_as_pounds_and_the_preview_while_the_year_is_open() -> None:
    view = fund_text(_summary(settled=False), [])
    titles = [t.title for t in view.tables]
    assert titles == [
        "Contributions",
        "Schemes",
        "Risk share if the year ends as forecast",
        "Agreement versions",
    ]
    assert view.tables[1].rows[0] == (
        "care",
        "Council",
        "£100,000.00",
        "£100,000.00",
        "£55,000.00",
        "£110,000.00",
        "£10,000.00",
    )
    assert view.headline is not None and "2025-26 as at 2025-09-30" in view.headline
    assert view.data["versions"] == []
    assert "Risk share if the year ends as forecast" not in [
        t.title for t in fund_text(_summary(settled=True), []).tables
    ]


def test_the_settlement_page_shows_only_the_partners_the_user_may_see() -> None:
    seen = Sight(Resource("pool", "bcf"), frozenset({"NHS"}), {})
    preview = restrict_record(_record(COUNCIL, NHS), seen)
    found = YearSettlement("bcf", "Better Care Fund", "2025-26", ("2025-26",), False, (), preview, ("NHS",))
    data = settlement_view(found, can_manage=True).to_dict()
    assert [p["partner"] for p in data["preview"]["partners"]] == ["NHS"]
    assert data["partners_shown"] == ["NHS"]
    assert data["preview"]["variance_pence"] == 10_000_00 and data["can_settle"] is True
    assert "statements" not in data


def test_statement_and_settlement_tables() -> None:
    totals = PoolTotals.of((COUNCIL, NHS))
    statement = Statement(
        "bcf", "Better Care Fund", "2025-26", "NHS", "pooled", 40_000_00, 0, 4_000_00, 44_000_00, 0, 4_000_00, 0,
        (StatementStep("rest", 4_000_00),), totals,
    )  # fmt: skip
    assert statement.reconciles
    view = statements_text([statement], "2025-26")
    assert view.tables[0].rows == (
        ("NHS", "£40,000.00", "£0.00", "£4,000.00", "£44,000.00", "£0.00", "£0.00"),
    )
    assert view.data[0]["steps"] == [{"step": "rest", "amount": 4_000_00}]
    assert view.data[0]["pool_totals"]["share_of_spend"] == 110_000_00
    posted = settlement_text(_record(COUNCIL), posted=True)
    assert posted.data["posted"] is True and posted.headline is not None and "(posted)" in posted.headline


def test_command_views_of_balances_and_spend_imports() -> None:
    view = balances_text("bcf", {"scheme:care": 5_00, "cash": -5_00}, date(2026, 3, 31))
    assert view.tables[0].rows == (("cash", "-£5.00"), ("scheme:care", "£5.00"))
    assert view.data == {"pool": "bcf", "as_of": "2026-03-31", "balances": view.data["balances"], "total": 0}
    report = SpendImport(posted=1, pence=5_00, skipped_settled=("2024-25",), by_scheme={"care": 5_00})
    shown = spend_import_text(report)
    assert shown.tables[0].note is not None and "2024-25" in shown.tables[0].note
    assert shown.data["skipped_settled"] == ["2024-25"]
