"""Money a finance officer can rely on: the forecast method, settling and reopening a year, post-term
adjustments, contributions after a variation, and reversals inside one movement file."""

from __future__ import annotations

import math
from datetime import date

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.engines.pool.adjust import Adjustment, adjust, adjustments
from totalplace.engines.pool.agreement import year_bounds, year_of
from totalplace.engines.pool.forecast import (
    _forecast,
    _Inputs,
    budget_months,
    choose_method,
    enter_forecast,
    forecast_outturn,
    month_end,
    month_labels,
    months_elapsed,
    scaled,
)
from totalplace.engines.pool.fund import create_fund, open_fund, vary_fund
from totalplace.engines.pool.movement_file import read_movements
from totalplace.engines.pool.movements import Movement, post_agreed, post_movements
from totalplace.engines.pool.report import fund_summary
from totalplace.engines.pool.settle import reopen, settle
from totalplace.errors import (
    ConflictError,
    InvalidInputError,
    PermissionDeniedError,
    PostTermAdjustmentError,
    ReasonRequiredError,
    SettlementTooEarlyError,
)
from totalplace.governance.roles import OPERATOR, Principal
from totalplace.place import Place
from totalplace.store import audit, ledger
from totalplace.store import pool_money as money_store
from totalplace.store.partners import add_partner, partner_by_name
from totalplace.store.users import RoleGrant

AGREEMENT = {
    "name": "bcf",
    "title": "Better Care Fund",
    "partners": ["Council", "NHS"],
    "host": "Council",
    "fund_manager": "Director of Adult Social Care",
    "start_year": "2025-26",
    "term_years": 2,
    "contributions": [
        {"partner": "Council", "year": "2025-26", "cash": "1,200,000.00"},
        {"partner": "NHS", "year": "2025-26", "cash": "600,000.00"},
        {"partner": "Council", "year": "2026-27", "cash": "1,200,000.00"},
        {"partner": "NHS", "year": "2026-27", "cash": "600,000.00"},
    ],
    "schemes": [
        {"name": "care", "owner": "Council", "budget": "1,200,000.00"},
        {"name": "rehab", "owner": "NHS", "budget": "600,000.00"},
    ],
}

WINTER = """\
effective: 2025-11-01
reason: NHS adds winter money
changes:
  - add_contribution: {partner: NHS, year: 2025-26, cash: "250,000.00"}
"""


@pytest.fixture
def pool(sqlite_place: Place) -> Place:
    """A two-year pool of the Council and the NHS, with money in and allocated for its first year."""
    with sqlite_place.begin() as conn:
        add_partner(conn, name="NHS", kind="nhs", code=None, actor="test")
    create_fund(sqlite_place, yaml.safe_dump(AGREEMENT), "bcf.yaml", principal=OPERATOR)
    post_agreed(sqlite_place, "bcf", "2025-26", date(2025, 4, 1), principal=OPERATOR)
    post_movements(
        sqlite_place,
        "bcf",
        [
            Movement("a-care", "allocation", date(2025, 4, 1), 120_000_000, scheme="care"),
            Movement("a-rehab", "allocation", date(2025, 4, 1), 60_000_000, scheme="rehab"),
        ],
        principal=OPERATOR,
    )
    return sqlite_place


def _spend(place: Place, key: str, day: date, pence: int, scheme: str = "care") -> None:
    post_movements(place, "bcf", [Movement(key, "spend", day, pence, scheme=scheme)], principal=OPERATOR)


def _forecasts(place: Place, year: str, as_of: date) -> dict[str, int]:
    with place.read() as conn:
        fund = open_fund(conn, "bcf")
        basis = forecast_outturn(conn, fund, fund.agreement_for_year(year), year, as_of)
    return {s.scheme: s.forecast for s in basis.schemes}


def _principal(place: Place, role: str, partner: str) -> Principal:
    with place.read() as conn:
        found = partner_by_name(conn, partner)
    return Principal(f"{role}-{partner}", False, (RoleGrant(role, found.id, found.name, "finance"),))


# -- the months and the rounding ------------------------------------------------------------------------------
def test_months_of_a_year_and_complete_months() -> None:
    assert month_labels("2025-26")[0] == "2025-04" and month_labels("2025-26")[-1] == "2026-03"
    assert months_elapsed("2025-26", date(2025, 4, 30)) == 1
    assert months_elapsed("2025-26", date(2025, 10, 15)) == 6
    assert months_elapsed("2025-26", date(2025, 3, 1)) == 0
    assert months_elapsed("2025-26", date(2026, 3, 31)) == 12
    assert sum(budget_months(100_000_001)) == 100_000_001
    assert scaled(5, 1, 2) == 3 and scaled(-5, 1, 2) == -3 and scaled(4, 1, 3) == 1


@settings(max_examples=300, deadline=None)
@given(
    actual=st.lists(st.integers(-(10**9), 10**10), min_size=12, max_size=12),
    budget=st.integers(0, 10**11),
    m=st.integers(0, 12),
    month=st.integers(0, 11),
)
def test_five_hundred_pounds_moves_the_forecast_only_as_far_as_the_method_says(
    actual: list[int], budget: int, m: int, month: int
) -> None:
    """£500 posted into a month: under straight-line the forecast moves by at most £500 x 12 / m (and the
    penny each rounding may add), under to_last_complete_month by exactly £500 once its month is complete, else not at all."""
    before = _Inputs(m, actual, budget_months(budget), None, [None] * 12)
    after_actual = list(actual)
    after_actual[month] += 50_000
    after = _Inputs(m, after_actual, before.budget, None, [None] * 12)
    for method in ("straight_line", "to_last_complete_month", "last_year_profile", "partner_forecasts"):
        moved = _forecast(method, "s", after).forecast - _forecast(method, "s", before).forecast
        if month >= m:
            assert moved == 0, method
        elif method == "straight_line" or method == "last_year_profile":
            # Each forecast is rounded to the penny (half away from zero), so the difference of two can be a
            # penny more than the exact move: -1p x 1.5 rounds to -2p, 49,999p x 1.5 to 74,999p.
            assert abs(moved) <= math.ceil(50_000 * 12 / m) + 1, method
        else:
            assert moved == 50_000, method


# -- the forecast read from the ledger ------------------------------------------------------------------------
def test_a_posting_in_the_running_month_does_not_move_the_forecast(pool: Place) -> None:
    for month in range(4, 10):
        _spend(pool, f"s{month}", date(2025, month, 15), 10_000_000)
    as_of = date(2025, 10, 20)
    choose_method(pool, "bcf", "straight_line", principal=OPERATOR, reason="board asked")
    before = _forecasts(pool, "2025-26", as_of)
    assert before["care"] == 60_000_000 * 12 // 6
    _spend(pool, "late-oct", date(2025, 10, 19), 50_000)
    assert _forecasts(pool, "2025-26", as_of) == before
    _spend(pool, "back-dated", date(2025, 9, 30), 50_000)
    moved = _forecasts(pool, "2025-26", as_of)["care"] - before["care"]
    assert 0 < moved <= math.ceil(50_000 * 12 / 6)
    choose_method(pool, "bcf", "to_last_complete_month", principal=OPERATOR, reason="prudence")
    steady = _forecasts(pool, "2025-26", as_of)
    # Actuals to the end of September, plus six months of the budget (half of it).
    assert steady["care"] == 60_050_000 + 60_000_000
    _spend(pool, "more-oct", date(2025, 10, 20), 50_000)
    assert _forecasts(pool, "2025-26", as_of) == steady


def test_the_fund_summary_states_its_method_and_ignores_the_latest_posting_date(pool: Place) -> None:
    _spend(pool, "s", date(2025, 5, 15), 10_000_000)
    summary = fund_summary(pool, "bcf", "2025-26", date(2025, 6, 10), principal=OPERATOR)
    data = summary.to_dict()
    assert data["forecast"]["method"] == "to_last_complete_month"
    assert data["forecast"]["months_elapsed"] == 2
    assert data["forecast"]["actuals_to"] == "2025-05-31"
    assert "to_last_complete_month" in data["forecast"]["statement"]
    care = next(s for s in data["schemes"] if s["scheme"] == "care")
    assert care["forecast"] == 10_000_000 + 100_000_000


def test_the_method_is_versioned_audited_and_only_the_fund_manager_chooses_it(pool: Place) -> None:
    with pytest.raises(InvalidInputError):
        choose_method(pool, "bcf", "latest_posting", principal=OPERATOR, reason="x")
    with pytest.raises(InvalidInputError):
        choose_method(pool, "bcf", "straight_line", principal=OPERATOR, reason=" ")
    with pytest.raises(PermissionDeniedError):
        choose_method(
            pool, "bcf", "straight_line", principal=_principal(pool, "partner_finance", "NHS"), reason="x"
        )
    manager = _principal(pool, "fund_manager", "Council")
    choose_method(pool, "bcf", "straight_line", principal=manager, reason="first")
    choose_method(pool, "bcf", "last_year_profile", principal=manager, reason="second")
    with pool.read() as conn:
        fund = open_fund(conn, "bcf")
        versions = money_store.method_versions(conn, fund.id)
        records = [r for r in audit.records(conn) if r.action == "pool.forecast_method"]
    assert [(v.version, v.method, v.set_by) for v in versions] == [
        (1, "straight_line", manager.username),
        (2, "last_year_profile", manager.username),
    ]
    assert len(records) == 2 and records[-1].actor == manager.username


def test_last_year_profile_falls_back_plainly_in_the_first_year(pool: Place) -> None:
    _spend(pool, "s", date(2025, 4, 15), 12_000_000)
    choose_method(pool, "bcf", "last_year_profile", principal=OPERATOR, reason="seasonal")
    with pool.read() as conn:
        fund = open_fund(conn, "bcf")
        basis = forecast_outturn(conn, fund, fund.agreement, "2025-26", date(2025, 5, 2))
    care = next(s for s in basis.schemes if s.scheme == "care")
    assert care.method == "straight_line" and "no last year" in care.note
    assert care.forecast == 12_000_000 * 12


def test_last_year_profile_scales_by_last_years_months(pool: Place) -> None:
    # Last year: a quarter of the spend in April, the rest in March.
    _spend(pool, "apr", date(2025, 4, 10), 25_000_000)
    _spend(pool, "mar", date(2026, 3, 10), 75_000_000)
    settle(pool, "bcf", "2025-26", principal=OPERATOR, on=date(2026, 3, 31))
    post_agreed(pool, "bcf", "2026-27", date(2026, 4, 1), principal=OPERATOR)
    post_movements(
        pool,
        "bcf",
        [Movement("a2", "allocation", date(2026, 4, 1), 100_000_000, scheme="care")],
        principal=OPERATOR,
    )
    _spend(pool, "apr2", date(2026, 4, 10), 30_000_000)
    choose_method(pool, "bcf", "last_year_profile", principal=OPERATOR, reason="seasonal")
    assert _forecasts(pool, "2026-27", date(2026, 5, 1))["care"] == 120_000_000


def test_partner_forecasts_fill_the_months_to_come_and_only_the_owner_enters_them(pool: Place) -> None:
    choose_method(pool, "bcf", "partner_forecasts", principal=OPERATOR, reason="partners know best")
    nhs = _principal(pool, "partner_finance", "NHS")
    with pytest.raises(PermissionDeniedError):
        enter_forecast(pool, "bcf", "care", "2025-12", 1, principal=nhs)
    with pytest.raises(InvalidInputError):
        enter_forecast(pool, "bcf", "rehab", "2031-01", 1, principal=nhs)
    for month in month_labels("2025-26"):
        enter_forecast(pool, "bcf", "rehab", month, 4_000_000, principal=nhs)
    enter_forecast(pool, "bcf", "rehab", "2026-03", 9_000_000, principal=nhs)  # the newest entry counts
    forecasts = _forecasts(pool, "2025-26", date(2025, 4, 1))
    assert forecasts["rehab"] == 11 * 4_000_000 + 9_000_000
    assert forecasts["care"] == 120_000_000  # no forecasts: the budget, and it says so
    with pool.read() as conn:
        fund = open_fund(conn, "bcf")
        basis = forecast_outturn(conn, fund, fund.agreement, "2025-26", date(2025, 4, 1))
    assert "12 month(s) with no partner forecast" in next(s.note for s in basis.schemes if s.scheme == "care")


# -- settling, reopening, post-term adjustments ---------------------------------------------------------------
def test_settling_before_the_last_day_needs_early_and_a_reason(pool: Place) -> None:
    with pytest.raises(SettlementTooEarlyError):
        settle(pool, "bcf", "2025-26", principal=OPERATOR, on=date(2025, 11, 1))
    with pytest.raises(ReasonRequiredError):
        settle(pool, "bcf", "2025-26", principal=OPERATOR, on=date(2025, 11, 1), early_reason="  ")
    with pytest.raises(PermissionDeniedError):
        settle(
            pool, "bcf", "2025-26", principal=_principal(pool, "partner_finance", "NHS"), on=date(2026, 3, 31)
        )
    settle(
        pool, "bcf", "2025-26", principal=OPERATOR, on=date(2025, 11, 1), early_reason="the pool is wound up"
    )
    with pool.read() as conn:
        early = [r for r in audit.records(conn) if r.action == "pool.settle_early"]
    assert len(early) == 1 and "wound up" in early[0].detail


def test_a_lead_reopens_a_settled_year_which_settles_again(pool: Place) -> None:
    _spend(pool, "s1", date(2025, 6, 1), 130_000_000)
    first = settle(pool, "bcf", "2025-26", principal=OPERATOR, on=date(2026, 3, 31))
    with pytest.raises(ReasonRequiredError):
        reopen(pool, "bcf", "2025-26", principal=OPERATOR, reason="")
    with pytest.raises(PermissionDeniedError):
        reopen(pool, "bcf", "2025-26", principal=_principal(pool, "partner_finance", "NHS"), reason="x")
    lead = _principal(pool, "partnership_lead", "Council")
    posted = reopen(pool, "bcf", "2025-26", principal=lead, reason="a refund of £10,000 was missed")
    assert len(posted) == 1
    with pool.read() as conn:
        fund = open_fund(conn, "bcf")
        assert "2025-26" not in ledger.settled_years(conn, fund.id)
        assert ledger.check_ledger(conn, fund.id) == []
        kept = money_store.reopened(conn, fund.id, "2025-26")
    assert kept[0].reason.startswith("a refund") and kept[0].reopened_by == lead.username
    _spend(pool, "refund", date(2026, 3, 20), -1_000_000)
    again = settle(pool, "bcf", "2025-26", principal=OPERATOR, on=date(2026, 3, 31))
    assert again.spend == first.spend - 1_000_000
    with pool.read() as conn:
        fund = open_fund(conn, "bcf")
        assert ledger.check_ledger(conn, fund.id) == []
        left = ledger.balances(conn, fund.id)
    assert all(v == 0 for a, v in left.items() if a.startswith("partner:") and a.endswith("2025-26"))


def test_a_year_cannot_be_reopened_under_a_later_settled_year(pool: Place) -> None:
    settle(pool, "bcf", "2025-26", principal=OPERATOR, on=date(2026, 3, 31))
    settle(pool, "bcf", "2026-27", principal=OPERATOR, on=date(2027, 3, 31))
    with pytest.raises(ConflictError):
        reopen(pool, "bcf", "2025-26", principal=OPERATOR, reason="x")


def test_corrections_after_the_term_go_to_post_term_adjustments(pool: Place) -> None:
    late = Adjustment("late-invoice", "NHS", 500_000, date(2027, 5, 1), "late invoice for rehab")
    with pytest.raises(PostTermAdjustmentError):
        adjust(pool, "bcf", late, principal=OPERATOR)
    settle(pool, "bcf", "2025-26", principal=OPERATOR, on=date(2026, 3, 31))
    settle(pool, "bcf", "2026-27", principal=OPERATOR, on=date(2027, 3, 31))
    inside = Adjustment("inside", "NHS", 500_000, date(2027, 3, 31), "inside the term")
    with pytest.raises(PostTermAdjustmentError):
        adjust(pool, "bcf", inside, principal=OPERATOR)
    with pytest.raises(ReasonRequiredError):
        adjust(pool, "bcf", Adjustment("r", "NHS", 1, date(2027, 5, 1), ""), principal=OPERATOR)
    with pytest.raises(PermissionDeniedError):
        adjust(pool, "bcf", late, principal=_principal(pool, "partner_finance", "NHS"))
    adjust(pool, "bcf", late, principal=OPERATOR)
    adjust(
        pool, "bcf", Adjustment("back", "Council", -500_000, date(2027, 5, 2), "refund"), principal=OPERATOR
    )
    found = adjustments(pool, "bcf", principal=OPERATOR)
    assert found.net == {"NHS": 500_000, "Council": -500_000}
    nhs_view = adjustments(pool, "bcf", principal=_principal(pool, "partner_finance", "NHS"))
    assert list(nhs_view.net) == ["NHS"]
    with pool.read() as conn:
        fund = open_fund(conn, "bcf")
        assert ledger.check_ledger(conn, fund.id) == []
        assert ledger.balances(conn, fund.id).get("cash", 0) == ledger.balances(
            conn, fund.id, as_of=date(2027, 4, 30)
        ).get("cash", 0)
    with pytest.raises(ConflictError):
        reopen(pool, "bcf", "2026-27", principal=OPERATOR, reason="x")


# -- contributions after a variation --------------------------------------------------------------------------
def test_contribute_posts_the_version_in_force_and_says_what_is_not_yet_due(pool: Place) -> None:
    vary_fund(pool, "bcf", WINTER, "winter.yaml", principal=OPERATOR)
    early = post_agreed(pool, "bcf", "2025-26", date(2025, 4, 1), principal=OPERATOR)
    assert early.posted == ()
    assert [(n.partner, n.amount, n.due_from, n.version) for n in early.not_yet_due] == [
        ("NHS", 25_000_000, date(2025, 11, 1), 2)
    ]
    later = post_agreed(pool, "bcf", "2025-26", date(2025, 11, 1), principal=OPERATOR)
    assert len(later.posted) == 1 and later.not_yet_due == ()
    assert later.to_dict()["agreement_version"] == 2
    again = post_agreed(pool, "bcf", "2025-26", date(2025, 4, 1), principal=OPERATOR)
    assert again.posted == () and again.not_yet_due == ()


def test_contributing_for_another_partner_is_refused(sqlite_place: Place) -> None:
    with sqlite_place.begin() as conn:
        add_partner(conn, name="NHS", kind="nhs", code=None, actor="test")
    create_fund(sqlite_place, yaml.safe_dump(AGREEMENT), "bcf.yaml", principal=OPERATOR)
    with pytest.raises(PermissionDeniedError):
        post_agreed(
            sqlite_place,
            "bcf",
            "2025-26",
            date(2025, 4, 1),
            principal=_principal(sqlite_place, "partner_finance", "NHS"),
        )


# -- a movement file that reverses its own movement -----------------------------------------------------------
def test_a_movement_file_may_reverse_a_movement_earlier_in_it(pool: Place) -> None:
    text = (
        "key,kind,date,amount,partner,scheme,memo,reverses\n"
        "f1,spend,2025-05-01,1000.00,,care,typo,\n"
        "f2,reversal,2025-05-02,,,,,f1\n"
        "f3,spend,2025-05-02,100.00,,care,right,\n"
    )
    movements = read_movements(text, "m.csv")
    posted = post_movements(pool, "bcf", movements, principal=OPERATOR)
    assert [p.replayed for p in posted] == [False, False, False]
    assert posted[0].txn_id < posted[1].txn_id < posted[2].txn_id
    again = post_movements(pool, "bcf", movements, principal=OPERATOR)
    assert all(p.replayed for p in again)
    with pool.read() as conn:
        fund = open_fund(conn, "bcf")
        assert ledger.check_ledger(conn, fund.id) == []
        assert ledger.transaction(conn, fund.id, posted[1].txn_id).reverses_id == posted[0].txn_id
        assert ledger.balances(conn, fund.id).get("spend:care") == 10_000


def test_a_file_reversing_a_movement_twice_or_a_reversal_is_refused(pool: Place) -> None:
    twice = [
        Movement("g1", "spend", date(2025, 5, 1), 100, scheme="care"),
        Movement("g2", "reversal", date(2025, 5, 1), reverses="g1"),
        Movement("g3", "reversal", date(2025, 5, 1), reverses="g1"),
    ]
    with pytest.raises(ConflictError):
        post_movements(pool, "bcf", twice, principal=OPERATOR)
    chained = [*twice[:2], Movement("g4", "reversal", date(2025, 5, 1), reverses="g2")]
    with pytest.raises(ConflictError):
        post_movements(pool, "bcf", chained, principal=OPERATOR)
    with pool.read() as conn:
        assert ledger.transactions(conn, open_fund(conn, "bcf").id, kind="spend") == []


def test_year_bounds_used_here_are_the_financial_year() -> None:
    assert year_bounds("2025-26") == (date(2025, 4, 1), date(2026, 3, 31))


def test_the_issue_hole_a_posting_dated_today_no_longer_moves_the_fund_page(sqlite_place: Place) -> None:
    """The fund page once scaled spend by the date of the latest posting, so £500 posted today moved the
    forecast by millions; now the as-of date is today and only complete months count."""
    this_year = year_of(date.today())
    first = year_bounds(this_year)[0]
    with sqlite_place.begin() as conn:
        add_partner(conn, name="NHS", kind="nhs", code=None, actor="test")
    current = dict(AGREEMENT, start_year=this_year, contributions=[], term_years=1)
    create_fund(sqlite_place, yaml.safe_dump(current), "bcf.yaml", principal=OPERATOR)
    post_movements(
        sqlite_place,
        "bcf",
        [Movement("a", "allocation", first, 120_000_000, scheme="care")],
        principal=OPERATOR,
    )
    _spend(sqlite_place, "first-day", first, 10_000_000)
    before = fund_summary(sqlite_place, "bcf", this_year, principal=OPERATOR).schemes[0].forecast
    _spend(sqlite_place, "today", date.today(), 50_000)
    after = fund_summary(sqlite_place, "bcf", this_year, principal=OPERATOR).schemes[0].forecast
    closed_today = month_end(date.today().strftime("%Y-%m")) == date.today()
    assert after - before == (50_000 if closed_today else 0)
