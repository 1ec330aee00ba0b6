"""The money forms of the pool pages: settling early asks for a reason in the page, reopening a year, choosing
the forecast method, and entering a partner's forecast; a refused form comes back with what was typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import yaml
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of
from totalplace.engines.pool.adjust import Adjustment, adjust
from totalplace.engines.pool.agreement import year_bounds, year_label, year_of, year_start
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store import audit

Login = Callable[[str], TestClient]
THIS_YEAR = year_of(date.today())
AGREEMENT = {
    "name": "bcf",
    "title": "Better Care Fund",
    "partners": ["Council", "NHS"],
    "host": "Council",
    "fund_manager": "Director of Adult Social Care",
    "start_year": THIS_YEAR,
    "term_years": 2,
    "contributions": [{"partner": "NHS", "year": THIS_YEAR, "cash": "600,000.00"}],
    "schemes": [
        {"name": "social-care", "owner": "Council", "budget": "700,000.00"},
        {"name": "discharge", "owner": "NHS", "budget": "300,000.00"},
    ],
}


def _form(client: TestClient, page: str, action: str, **fields: str) -> tuple[int, str]:
    token = csrf_of(client.get(page).text)
    answer = client.post(action, data={**fields, "csrf_token": token}, follow_redirects=False)
    return answer.status_code, answer.text


def _pool(client_for: Login) -> TestClient:
    lead = client_for("lead")
    assert _form(lead, "/pools-new", "/pools-new", agreement=yaml.safe_dump(AGREEMENT))[0] == 303
    return lead


def test_settling_before_the_year_ends_asks_for_the_reason_in_the_page(
    web_place: Place, client_for: Login
) -> None:
    lead = _pool(client_for)
    page = lead.get(f"/pools/bcf/settlement?year={THIS_YEAR}").text
    assert 'name="reason"' in page and 'type="checkbox"' not in page
    status, text = _form(lead, f"/pools/bcf/settlement?year={THIS_YEAR}", "/pools/bcf/settle", year=THIS_YEAR)
    assert status == 409
    assert 'id="reason-problem"' in text and "settled early with a reason" in text and "<nav" in text
    assert "--early" not in text
    status, _ = _form(
        lead,
        f"/pools/bcf/settlement?year={THIS_YEAR}",
        "/pools/bcf/settle",
        year=THIS_YEAR,
        reason="the partnership is wound up early",
    )
    assert status == 303
    assert lead.get(f"/pools/bcf/settlement.json?year={THIS_YEAR}").json()["settled"]
    with web_place.read() as conn:
        early = [r for r in audit.records(conn) if r.action == "pool.settle_early"]
    assert early and early[-1].actor == "lead"


def test_a_lead_reopens_a_settled_year_with_a_reason(web_place: Place, client_for: Login) -> None:
    lead = _pool(client_for)
    settlement = f"/pools/bcf/settlement?year={THIS_YEAR}"
    assert _form(lead, settlement, "/pools/bcf/settle", year=THIS_YEAR, reason="wound up")[0] == 303
    data = lead.get(f"/pools/bcf/settlement.json?year={THIS_YEAR}").json()
    assert data["can_reopen"] and 'action="/pools/bcf/reopen"' in lead.get(settlement).text
    finance = client_for("finance")
    assert not finance.get(f"/pools/bcf/settlement.json?year={THIS_YEAR}").json()["can_reopen"]
    assert _form(finance, settlement, "/pools/bcf/reopen", year=THIS_YEAR, reason="mine")[0] == 403
    status, text = _form(lead, settlement, "/pools/bcf/reopen", year=THIS_YEAR, reason=" ")
    assert status == 409 and 'id="reopen-problem"' in text
    assert _form(lead, settlement, "/pools/bcf/reopen", year=THIS_YEAR, reason="a late invoice")[0] == 303
    assert not lead.get(f"/pools/bcf/settlement.json?year={THIS_YEAR}").json()["settled"]
    with web_place.read() as conn:
        reopened = [r for r in audit.records(conn) if r.action == "pool.reopen"]
    assert reopened and "a late invoice" in reopened[-1].detail


def test_the_fund_manager_chooses_the_forecast_method_and_the_page_states_it(
    web_place: Place, client_for: Login
) -> None:
    lead = _pool(client_for)
    fund = lead.get("/pools/bcf.json").json()
    assert fund["forecast"]["method"] == "to_last_complete_month" and not fund["forecast"]["chosen"]
    assert "Forecast outturn by to_last_complete_month" in lead.get("/pools/bcf").text
    status, text = _form(
        lead, "/pools/bcf", "/pools/bcf/forecast-method", method="latest_posting", reason="why not"
    )
    assert status == 422 and 'value="why not"' in text and "choose one of the methods" in text
    status, text = _form(lead, "/pools/bcf", "/pools/bcf/forecast-method", method="straight_line", reason="")
    assert status == 422 and "say why this method" in text
    assert (
        _form(lead, "/pools/bcf", "/pools/bcf/forecast-method", method="straight_line", reason="board")[0]
        == 303
    )
    fund = lead.get("/pools/bcf.json").json()
    assert fund["forecast"]["method"] == "straight_line" and fund["forecast"]["chosen_by"] == "lead"
    finance = client_for("finance")
    assert 'action="/pools/bcf/forecast-method"' not in finance.get("/pools/bcf").text
    assert (
        _form(finance, "/pools/bcf", "/pools/bcf/forecast-method", method="straight_line", reason="x")[0]
        == 403
    )


def test_a_partner_enters_forecasts_for_its_own_schemes_only(web_place: Place, client_for: Login) -> None:
    _pool(client_for)
    finance = client_for("finance")  # the Council's finance officer
    month = f"{year_start(THIS_YEAR) + 1}-03"
    status, text = _form(
        finance, "/pools/bcf", "/pools/bcf/forecasts", scheme="social-care", month=month, amount="lots"
    )
    assert status == 422 and 'value="lots"' in text
    status, text = _form(
        finance, "/pools/bcf", "/pools/bcf/forecasts", scheme="social-care", month="1999-01", amount="1.00"
    )
    assert status == 422 and "not a month of the pool" in text
    ok = _form(
        finance, "/pools/bcf", "/pools/bcf/forecasts", scheme="social-care", month=month, amount="5.00"
    )
    assert ok[0] == 303
    refused = _form(
        finance, "/pools/bcf", "/pools/bcf/forecasts", scheme="discharge", month=month, amount="5.00"
    )
    assert refused[0] == 403


def test_the_last_years_settlement_page_shows_post_term_adjustments(
    web_place: Place, client_for: Login
) -> None:
    lead = _pool(client_for)
    years = [THIS_YEAR, year_label(year_start(THIS_YEAR) + 1)]
    for year in years:
        page = f"/pools/bcf/settlement?year={year}"
        assert _form(lead, page, "/pools/bcf/settle", year=year, reason="wound up early")[0] == 303
    after = year_bounds(years[-1])[1] + timedelta(days=1)
    adjust(web_place, "bcf", Adjustment("late", "NHS", 12_345, after, "late invoice"), principal=OPERATOR)
    data = lead.get(f"/pools/bcf/settlement.json?year={years[-1]}").json()
    assert data["post_term"]["net"] == {"NHS": 12_345}
    assert "late invoice" in lead.get(f"/pools/bcf/settlement?year={years[-1]}").text
    assert "post_term" not in lead.get(f"/pools/bcf/settlement.json?year={years[0]}").json()


def test_contribute_in_the_page_shows_what_is_agreed_but_not_yet_due(
    web_place: Place, client_for: Login
) -> None:
    lead = _pool(client_for)
    variation = (
        f"effective: {year_start(THIS_YEAR)}-11-01\n"
        "reason: NHS adds winter money\n"
        f'changes:\n  - add_contribution: {{partner: NHS, year: {THIS_YEAR}, cash: "250,000.00"}}\n'
    )
    assert _form(lead, "/pools/bcf", "/pools/bcf/vary", variation=variation)[0] == 303
    status, text = _form(lead, "/pools/bcf", "/pools/bcf/contribute", year=THIS_YEAR)
    assert status == 200 and 'id="contributed"' in text
    assert (
        "Posted 1 contribution(s)" in text
        and f"{year_start(THIS_YEAR)}-11-01" in text
        and "£250,000.00" in text
    )
    status, text = _form(lead, "/pools/bcf", "/pools/bcf/contribute", year="1999-00", day="x")
    assert status == 422 and "choose a year of the pool" in text
    status, text = _form(lead, "/pools/bcf", "/pools/bcf/contribute", year=THIS_YEAR, day="soon")
    assert status == 422 and 'value="soon"' in text
    finance = client_for("finance")  # the Council's officer may not post the NHS's money
    assert (
        _form(
            finance,
            "/pools/bcf",
            "/pools/bcf/contribute",
            year=THIS_YEAR,
            day=f"{year_start(THIS_YEAR)}-11-01",
        )[0]
        == 403
    )
