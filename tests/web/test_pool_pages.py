"""The pool pages: create, post, settle through the forms; who sees which statement; JSON twins; PDFs."""

from __future__ import annotations

from collections.abc import Callable

import yaml
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

Login = Callable[[str], TestClient]
AGREEMENT = {
    "name": "bcf",
    "title": "Better Care Fund",
    "partners": ["Council", "NHS"],
    "host": "Council",
    "fund_manager": "Director of Adult Social Care",
    "start_year": "2025-26",
    "term_years": 2,
    "contributions": [
        {"partner": "NHS", "year": "2025-26", "cash": "600,000.00"},
        {"partner": "Council", "year": "2025-26", "cash": "400,000.00"},
    ],
    "schemes": [
        {"name": "social-care", "owner": "Council", "budget": "700,000.00"},
        {"name": "discharge", "owner": "NHS", "budget": "300,000.00"},
    ],
}


def _post(client: TestClient, page: str, action: str, **fields: str) -> int:
    token = csrf_of(client.get(page).text)
    status: int = client.post(
        action, data={**fields, "csrf_token": token}, follow_redirects=False
    ).status_code
    return status


def test_create_post_settle_and_read_statements(web_place: Place, client_for: Login) -> None:
    lead = client_for("lead")
    bad = dict(AGREEMENT, contributions=[{"partner": "NHS", "year": "2025-26", "cash": 1.5}])
    refused = lead.post(
        "/pools-new",
        data={"agreement": yaml.safe_dump(bad), "csrf_token": csrf_of(lead.get("/pools-new").text)},
    )
    assert refused.status_code == 422
    assert "contributions.0.cash" in refused.text and "a float" in refused.text
    assert _post(lead, "/pools-new", "/pools-new", agreement=yaml.safe_dump(AGREEMENT)) == 303

    movements = [
        ("c1", "contribution", "2025-04-01", "600,000.00", "NHS", ""),
        ("c2", "contribution", "2025-04-01", "400,000.00", "Council", ""),
        ("s1", "spend", "2025-09-30", "1,050,000.00", "", "social-care"),
    ]
    for key, kind, day, amount, partner, scheme in movements:
        status = _post(
            lead,
            "/pools/bcf",
            "/pools/bcf/post",
            key=key,
            kind=kind,
            day=day,
            amount=amount,
            partner=partner,
            scheme=scheme,
        )
        assert status == 303
    # Submitting the same form twice posts once.
    assert (
        _post(
            lead,
            "/pools/bcf",
            "/pools/bcf/post",
            key="s1",
            kind="spend",
            day="2025-09-30",
            amount="1,050,000.00",
            scheme="social-care",
        )
        == 303
    )
    ledger = lead.get("/pools/bcf/ledger.json").json()
    assert [t["key"] for t in ledger["transactions"]] == ["c1", "c2", "s1"]
    assert sum(ledger["balances"].values()) == 0
    assert lead.get("/pools/bcf/ledger.json?kind=spend").json()["transactions"][0]["key"] == "s1"

    fund = lead.get("/pools/bcf.json?year=2025-26&as_of=2026-03-31").json()
    assert fund["schemes"][0]["spent"] == 105_000_000
    assert fund["forecast_settlement"]["variance_pence"] == 5_000_000
    assert "<svg" in lead.get("/pools/bcf?year=2025-26").text

    preview = lead.get("/pools/bcf/settlement.json?year=2025-26").json()
    assert not preview["settled"] and preview["preview"]["variance_pence"] == 5_000_000
    assert (
        _post(lead, "/pools/bcf/settlement?year=2025-26", "/pools/bcf/settle", year="2025-26", confirm="yes")
        == 303
    )
    settled = lead.get("/pools/bcf/settlement.json?year=2025-26").json()
    assert {s["partner"]: s["settlement"] for s in settled["statements"]} == {
        "Council": 2_000_000,
        "NHS": 3_000_000,
    }
    assert all(s["reconciles"] for s in settled["statements"])

    finance = client_for("finance")  # the Council's finance officer: the Council hosts the pool
    assert [
        s["partner"] for s in finance.get("/pools/bcf/settlement.json?year=2025-26").json()["statements"]
    ] == ["Council", "NHS"]
    assert finance.get("/pools/bcf/statements/NHS.json?year=2025-26").json()["partner"] == "NHS"
    pdf = finance.get("/pools/bcf/statements/Council.pdf?year=2025-26")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    board = lead.get("/pools/bcf/summary.pdf?year=2025-26")
    assert board.status_code == 200 and board.content.startswith(b"%PDF")
    auditor = client_for("auditor")
    assert len(auditor.get("/pools/bcf/settlement.json?year=2025-26").json()["statements"]) == 2
    assert _post(auditor, "/pools/bcf", "/pools/bcf/settle", year="2026-27", confirm="yes") == 403
    analyst = client_for("analyst")
    assert analyst.get("/pools/bcf.json").status_code == 403
    assert analyst.get("/pools.json").status_code == 403


def test_forms_need_the_session_token(web_place: Place, client_for: Login) -> None:
    lead = client_for("lead")
    response = lead.post("/pools-new", data={"agreement": yaml.safe_dump(AGREEMENT), "csrf_token": "forged"})
    assert response.status_code == 403
    assert lead.get("/pools.json").json()["pools"] == []


def test_the_agreement_is_edited_in_the_web_app_as_a_new_version(web_place: Place, client_for: Login) -> None:
    lead = client_for("lead")
    assert _post(lead, "/pools-new", "/pools-new", agreement=yaml.safe_dump(AGREEMENT)) == 303
    page = lead.get("/pools/bcf")
    assert "Edit the agreement" in page.text and "social-care" in page.text
    edited = yaml.safe_load(lead.get("/pools/bcf.json").json()["agreement_yaml"])
    edited["schemes"][1]["budget"] = "350,000.00"
    token = csrf_of(page.text)
    fields = {"effective": "2025-10-01", "reason": "discharge budget raised", "csrf_token": token}
    refused = lead.post(
        "/pools/bcf/revise", data={**fields, "agreement": yaml.safe_dump({**edited, "host": "Fire"})}
    )
    assert refused.status_code == 422 and "host" in refused.text
    saved = lead.post(
        "/pools/bcf/revise", data={**fields, "agreement": yaml.safe_dump(edited)}, follow_redirects=False
    )
    assert saved.status_code == 303
    fund = lead.get("/pools/bcf.json?year=2025-26&as_of=2025-11-01").json()
    assert [v["reason"] for v in fund["versions"]] == ["agreement made", "discharge budget raised"]
    assert fund["schemes"][1]["budget"] == 35_000_000
    assert (
        lead.get("/pools/bcf.json?year=2025-26&as_of=2025-06-01").json()["schemes"][1]["budget"] == 30_000_000
    )
    assert client_for("finance").get("/pools/bcf.json").json()["agreement_yaml"] == ""


def test_the_fund_twin_shows_when_a_partner_left(web_place: Place, client_for: Login) -> None:
    from totalplace.engines.pool.fund import create_fund, vary_fund

    create_fund(web_place, yaml.safe_dump(AGREEMENT), "agreement.yaml", principal=OPERATOR)
    leaves = "effective: 2025-10-01\nreason: NHS leaves\nchanges:\n  - partner_leaves: {partner: NHS}\n"
    vary_fund(web_place, "bcf", leaves, "variation.yaml", principal=OPERATOR)
    lead = client_for("lead")
    answer = lead.get("/pools/bcf.json?year=2025-26")
    assert answer.status_code == 200
    left = {c["partner"]: c["left_on"] for c in answer.json()["contributions"]}
    assert left == {"Council": None, "NHS": "2025-10-01"}
    assert "NHS (left 2025-10-01)" in lead.get("/pools/bcf?year=2025-26").text
