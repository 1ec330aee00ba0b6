"""The pool pages as each demo user sees them: the holes nhs-finance had in the demo's Better Care Fund are
closed on every page, its twin, the PDFs and the forms, and what a role may not use is not shown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.engines.pool_access_support import (
    BCF,
    COUNCIL,
    COUNCIL_MONTH_7,
    NHS,
    PASSWORD,
    demo_pool_place,
)
from tests.web.conftest import csrf_of
from totalplace.engines.pool.fund import agreement_yaml, open_fund, revise_fund
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store import audit
from totalplace.web.app import create_app

Login = Callable[[str], TestClient]
POOL = f"/pools/{BCF}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
        place = demo_pool_place(tmp_path_factory.mktemp("pool-pages") / "place")
        yield place
        place.close()


def _login(place: Place) -> Iterator[Login]:
    clients: list[TestClient] = []

    def login(username: str) -> TestClient:
        client = TestClient(create_app(place))
        clients.append(client)
        token = csrf_of(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return client

    yield login
    for client in clients:
        client.close()


@pytest.fixture
def login(demo: Place) -> Iterator[Login]:
    yield from _login(demo)


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    """A place of its own, for tests that change the pool."""
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    place = demo_pool_place(tmp_path / "place")
    yield place
    place.close()


@pytest.fixture
def fresh_login(fresh: Place) -> Iterator[Login]:
    yield from _login(fresh)


def _keys(client: TestClient) -> set[str]:
    return {t["key"] for t in client.get(f"{POOL}/ledger.json?limit=10000").json()["transactions"]}


def _post(client: TestClient, **fields: str) -> tuple[int, str]:
    token = csrf_of(client.get(POOL).text)
    answer = client.post(f"{POOL}/post", data={**fields, "csrf_token": token}, follow_redirects=False)
    return answer.status_code, answer.text


def test_a_reversal_of_the_councils_actuals_by_nhs_finance_is_refused_in_the_page(login: Login) -> None:
    nhs = login("nhs-finance")
    status, page = _post(nhs, key="undo-7", kind="reversal", day="2026-11-02", reverses=COUNCIL_MONTH_7)
    assert status == 403
    assert "Post a movement" in page and "may not post" in page and COUNCIL_MONTH_7 in page
    assert 'value="undo-7"' in page, "what was typed is shown again"
    assert COUNCIL_MONTH_7 in _keys(login("council-fund-manager"))
    assert "undo-7" not in _keys(login("council-fund-manager"))


@pytest.mark.parametrize("partner", ["", COUNCIL])
def test_spend_to_a_council_scheme_by_nhs_finance_is_refused(login: Login, partner: str) -> None:
    nhs = login("nhs-finance")
    status, page = _post(
        nhs,
        key="nhs-spend",
        kind="spend",
        day="2026-11-02",
        amount="5,000.00",
        partner=partner,
        scheme="social-care",
    )
    assert status == 403 and "may not post" in page and 'value="5,000.00"' in page
    assert "nhs-spend" not in _keys(login("auditor"))


def test_a_contribution_with_no_partner_is_refused_beside_the_partner_field(login: Login) -> None:
    status, page = _post(login("nhs-finance"), key="c", kind="contribution", day="2026-11-02", amount="1.00")
    assert status == 422 and "must name the partner" in page
    status, page = _post(login("nhs-finance"), key="c", kind="contribution", day="2026-13-02", amount="x")
    assert status == 400 and "is not a date" in page and "not an amount" in page.lower()


def test_nhs_finance_reads_no_council_figure(login: Login, demo: Place) -> None:
    nhs = login("nhs-finance")
    fund = nhs.get(f"{POOL}.json?year=2026-27").json()
    assert [c["partner"] for c in fund["contributions"]] == [NHS]
    assert [s["scheme"] for s in fund["schemes"]] == ["discharge"]
    assert [p["partner"] for p in fund["forecast_settlement"]["partners"]] == [NHS]
    assert fund["partners_shown"] == [NHS] and fund["partners_list"] == [NHS]
    whole = login("council-finance").get(f"{POOL}.json?year=2026-27").json()
    assert fund["totals"] == whole["totals"]
    council_received = next(c for c in whole["contributions"] if c["partner"] == COUNCIL)["received"]
    council_scheme = next(s for s in whole["schemes"] if s["scheme"] == "social-care")
    page = nhs.get(f"{POOL}?year=2026-27").text
    assert "Protecting adult social care" not in page and "You see the pool's totals" in page
    assert (
        f"{council_scheme['spent'] / 100:,.2f}" not in page and f"{council_received / 100:,.2f}" not in page
    )

    ledger = nhs.get(f"{POOL}/ledger.json?limit=10000").json()
    assert COUNCIL_MONTH_7 not in {t["key"] for t in ledger["transactions"]}
    entries = [e for t in ledger["transactions"] for e in t["entries"]]
    assert entries and all(e["partner"] in (NHS, None) and e["scheme"] != "social-care" for e in entries)
    assert not any(COUNCIL in a or "social-care" in a for a in ledger["balances"])
    assert ledger["totals"] == login("auditor").get(f"{POOL}/ledger.json").json()["totals"]
    assert COUNCIL not in nhs.get(f"{POOL}/ledger").text.split("<h1>", 1)[1].split("Pool totals")[0]

    settled = nhs.get(f"{POOL}/settlement.json?year=2024-25").json()
    assert [s["partner"] for s in settled["statements"]] == [NHS]
    preview = nhs.get(f"{POOL}/settlement.json?year=2026-27").json()
    assert [p["partner"] for p in preview["preview"]["partners"]] == [NHS]
    for fmt in ("html", "pdf", "json"):
        assert nhs.get(f"{POOL}/statements/{COUNCIL}.{fmt}?year=2024-25").status_code == 403
    assert nhs.get(f"{POOL}/statements/{NHS}.json?year=2024-25").json()["partner"] == NHS
    summary = nhs.get(f"{POOL}/summary.pdf?year=2024-25")
    assert summary.status_code == 200 and summary.content.startswith(b"%PDF")


def test_every_statement_read_is_audited(login: Login, demo: Place) -> None:
    nhs = login("nhs-finance")
    with demo.read() as conn:
        before = len([r for r in audit.records(conn) if r.action == "statement.read"])
    nhs.get(f"{POOL}/statements/{NHS}.json?year=2024-25")
    nhs.get(f"{POOL}/statements/{NHS}.html?year=2024-25")
    nhs.get(f"{POOL}/settlement?year=2024-25")
    nhs.get(f"{POOL}/settlement.json?year=2024-25")
    nhs.get(f"{POOL}/settlement.json?year=2024-25")  # read twice, recorded twice
    with demo.read() as conn:
        reads = [r for r in audit.records(conn) if r.action == "statement.read"][before:]
    assert [r.actor for r in reads] == ["nhs-finance"] * 5
    assert ['"via": "web json"' in r.detail for r in reads] == [True, False, False, True, True]
    assert all(NHS in r.detail and COUNCIL not in r.detail for r in reads)


@pytest.mark.parametrize("who", ["council-finance", "council-fund-manager", "auditor", "demo"])
def test_the_host_its_fund_manager_the_auditor_and_the_lead_see_everything(login: Login, who: str) -> None:
    client = login(who)
    fund = client.get(f"{POOL}.json?year=2026-27").json()
    assert [c["partner"] for c in fund["contributions"]] == [COUNCIL, NHS] and fund["partners_shown"] is None
    assert COUNCIL_MONTH_7 in _keys(client)
    settled = client.get(f"{POOL}/settlement.json?year=2024-25").json()
    assert [s["partner"] for s in settled["statements"]] == [COUNCIL, NHS]
    assert client.get(f"{POOL}/statements/{COUNCIL}.json?year=2024-25").status_code == 200


def test_forms_a_role_may_not_use_are_not_shown(login: Login) -> None:
    nhs = login("nhs-finance").get(POOL).text
    assert "Post a movement" in nhs and "Vary the agreement" not in nhs and "Edit the agreement" not in nhs
    auditor = login("auditor").get(POOL).text
    assert "Post a movement" not in auditor and "Vary the agreement" not in auditor
    manager = login("council-fund-manager")
    assert "Vary the agreement" in manager.get(POOL).text
    assert manager.get(f"{POOL}.json").json()["partners_list"] == [COUNCIL, NHS]
    settlement = login("council-finance").get(f"{POOL}/settlement?year=2026-27").text
    assert 'id="settle"' not in settlement
    assert "Create a pool" not in login("nhs-finance").get("/pools").text
    assert "Create a pool" in login("demo").get("/pools").text


def test_the_new_pool_form_has_a_twin_and_is_only_for_a_place_wide_lead(login: Login) -> None:
    form = login("demo").get("/pools-new.json").json()
    assert form["yaml"] == "" and form["rejected"] is None
    assert login("nhs-finance").get("/pools-new.json").status_code == 403
    assert login("council-fund-manager").get("/pools-new").status_code == 403


def test_a_refused_variation_and_edit_come_back_in_the_page(fresh_login: Login) -> None:
    client = fresh_login("council-fund-manager")
    token = csrf_of(client.get(POOL).text)
    bad = 'effective: 2026-11-01\nreason: r\nchanges:\n  - set_scheme_budget: {scheme: nowhere, year: 2026-27, budget: "1.00"}\n'
    answer = client.post(f"{POOL}/vary", data={"variation": bad, "csrf_token": token})
    assert answer.status_code == 422 and "Vary the agreement" in answer.text and "nowhere" in answer.text
    assert "TP600" in answer.text
    fields = {"effective": "2026-11-01", "reason": "", "agreement": "name: [", "csrf_token": token}
    answer = client.post(f"{POOL}/revise", data=fields)
    assert answer.status_code == 422 and "Edit the agreement" in answer.text and "name: [" in answer.text
    fields = {"effective": "someday", "reason": "r", "agreement": "x", "csrf_token": token}
    answer = client.post(f"{POOL}/revise", data=fields)
    assert answer.status_code == 400 and "is not a date" in answer.text and 'value="someday"' in answer.text
    nhs = fresh_login("nhs-finance")
    answer = nhs.post(f"{POOL}/vary", data={"variation": bad, "csrf_token": csrf_of(nhs.get(POOL).text)})
    assert answer.status_code == 403


def test_open_books_open_every_figure_to_every_partner(fresh: Place, fresh_login: Login) -> None:
    with fresh.read() as conn:
        opened = yaml.safe_load(agreement_yaml(open_fund(conn, BCF))) | {"open_books": True}
    revise_fund(
        fresh, BCF, yaml.safe_dump(opened), effective=date(2026, 11, 1), reason="open", principal=OPERATOR
    )
    nhs = fresh_login("nhs-finance")
    fund = nhs.get(f"{POOL}.json?year=2026-27").json()
    assert [c["partner"] for c in fund["contributions"]] == [COUNCIL, NHS] and fund["partners_shown"] is None
    assert COUNCIL_MONTH_7 in _keys(nhs)
    assert nhs.get(f"{POOL}/statements/{COUNCIL}.json?year=2024-25").status_code == 200
    assert "Vary the agreement" not in nhs.get(POOL).text
