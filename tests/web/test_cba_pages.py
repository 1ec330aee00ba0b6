"""The cost-benefit pages: add a model from the web, compare, the appraisal with its charts, the report."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of
from totalplace.engines.spendmap.deflators import Deflators, save_deflators
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

Client = Callable[[str], TestClient]
CASE = Path(__file__).parents[1] / "engines" / "cba_cases" / "08_multi_agency_split.yaml"


def _model(**changes: object) -> str:
    document = yaml.safe_load(CASE.read_text(encoding="utf-8"))["model"]
    document["outcomes"][0]["success"] = {"value": 0.1, "low": 0.05, "high": 0.15}
    document.update(changes)
    return yaml.safe_dump(document, sort_keys=False)


def test_a_model_added_from_the_web_is_appraised_and_reported(web_place: Place, client_for: Client) -> None:
    lead = client_for("lead")
    empty = lead.get("/cba")
    assert empty.status_code == 200 and "No models yet" in empty.text
    token = csrf_of(lead.get("/cba-new").text)
    added = lead.post("/cba-new", data={"model": _model(), "csrf_token": token}, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == "/cba/case-08"
    listed = lead.get("/cba.json").json()["interventions"]
    assert [(r["name"], r["npv"]) for r in listed] == [("case-08", "10000.00")]
    page = lead.get("/cba/case-08")
    assert page.status_code == 200
    for chart in ("waterfall", "by-year", "distribution", "tornado"):
        assert f'id="chart-{chart}"' in page.text
    data = lead.get("/cba/case-08.json?draws=500&seed=3&method=proportional").json()
    assert data["simulation"]["draws"] == 500 and data["proposal"]["method"] == "proportional"
    council = next(a for a in data["result"]["by_agency"] if a["agency"] == "Council")
    assert council["npv"] == "-2000.00" and set(data["charts"]) >= {"waterfall", "tornado"}
    pdf = lead.get("/cba/case-08/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "wrong-pocket settlement" in lead.get("/cba/case-08/report").text


def test_a_bad_model_is_refused_with_its_line_and_nothing_kept(web_place: Place, client_for: Client) -> None:
    lead = client_for("lead")
    token = csrf_of(lead.get("/cba-new").text)
    document = yaml.safe_load(_model())
    document["outcomes"][0]["success"] = 1.4
    bad = yaml.safe_dump(document, sort_keys=False)
    refused = lead.post("/cba-new", data={"model": bad, "csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 422 and "TP800" in refused.text and "outcomes.0.success" in refused.text
    assert lead.get("/cba.json").json()["interventions"] == []
    assert lead.get("/cba/case-08.json").status_code == 404
    assert lead.get("/cba/case-08.json?draws=5").status_code in (400, 404)
    assert client_for("auditor").get("/cba-new").status_code == 403


def test_a_settlement_drafted_into_a_pool_and_applied_from_the_web(
    web_place: Place, client_for: Client
) -> None:
    from totalplace.engines.pool.fund import create_fund, list_funds

    agreement = yaml.safe_load(
        (CASE.parents[0] / ".." / "pool_cases" / "01_underspend_returned.yaml").read_text()
    )
    create_fund(web_place, yaml.safe_dump(agreement["agreement"]), "pool.yaml", principal=OPERATOR)
    document = yaml.safe_load(_model())
    document["unit_costs"][0]["fiscal"] = {"NHS": "600", "Council": "400"}
    lead = client_for("lead")
    token = csrf_of(lead.get("/cba-new").text)
    lead.post("/cba-new", data={"model": yaml.safe_dump(document), "csrf_token": token})
    page = lead.get("/cba/case-08")
    assert 'action="/cba/case-08/draft"' in page.text and "case-01" in page.text
    drafted = lead.post(
        "/cba/case-08/draft", data={"pool": "case-01", "method": "shapley", "csrf_token": token}
    )
    assert drafted.status_code == 200 and "add_contribution" in drafted.text
    assert 'href="/history/settlement_draft/case-01.case-08.shapley"' in drafted.text  # a versioned object
    variation = yaml.safe_load(
        drafted.text.split('<textarea name="variation" rows="24" cols="100">')[1]
        .split("</textarea>")[0]
        .replace("&#39;", "'")
    )
    cash = sum(float(c["add_contribution"]["cash"]) for c in variation["changes"])
    assert cash == 3000.0  # the Council's budgeted 3,000, shared between the Council and the NHS
    applied = lead.post(
        "/pools/case-01/vary",
        data={"variation": yaml.safe_dump(variation), "csrf_token": token},
        follow_redirects=False,
    )
    assert applied.status_code == 303
    with web_place.read() as conn:
        (fund,) = list_funds(conn)
    assert len(fund.versions) == 2
    refused = lead.post("/cba/case-08/draft", data={"pool": "nope", "csrf_token": token})
    assert refused.status_code == 404


def test_the_unit_cost_library_from_the_web(web_place: Place, client_for: Client) -> None:
    lead = client_for("lead")
    library = lead.get("/cba-unit-costs.json").json()["unit_costs"]
    assert [u["code"] for u in library] == ["HO-DA-01"] and library[0]["verified"] is False
    token = csrf_of(lead.get("/cba-unit-costs").text)
    good = "code,description,unit,fiscal cost,agency,economic value,social value,price year,source,grade\n"
    good += "X-1,Thing avoided,case,100,NHS,0,0,2025-26,Test,2\nX-1,Thing avoided,case,50,Council,,,2025-26,Test,2\n"
    added = lead.post(
        "/cba-unit-costs", data={"csrf_token": token}, files={"file": ("ucd.csv", good.encode())}
    )
    assert added.status_code == 200 and "1 unit cost added from ucd.csv" in added.text  # two rows, one cost
    codes = {u["code"]: u for u in lead.get("/cba-unit-costs.json").json()["unit_costs"]}
    assert codes["X-1"]["fiscal"] == {"NHS": "100.00", "Council": "50.00"}
    bad = good.replace("Test,2\nX-1", "Test,7\nX-1")
    refused = lead.post(
        "/cba-unit-costs", data={"csrf_token": token}, files={"file": ("bad.csv", bad.encode())}
    )
    assert refused.status_code == 422 and "TP800" in refused.text and "1 to 6" in refused.text
    assert "import HM Treasury's GDP deflators" in lead.get("/cba-unit-costs").text
    save_deflators(
        web_place,
        Deflators({"2016-17": Decimal(80), "2025-26": Decimal(100)}, "HM Treasury, test release", "test"),
        OPERATOR,
    )
    uprated = lead.get("/cba-unit-costs.json?price_year=2025-26").json()
    x1 = next(u for u in uprated["unit_costs"] if u["code"] == "X-1")
    ho = next(u for u in uprated["unit_costs"] if u["code"] == "HO-DA-01")
    assert (
        x1["uprated_from"] is None and ho["uprated_from"] == "2016-17" and uprated["price_year"] == "2025-26"
    )
    assert "2016-17 → 2025-26" in lead.get("/cba-unit-costs?price_year=2025-26").text
    assert lead.get("/cba-unit-costs?price_year=2031-32").status_code == 422
    assert client_for("auditor").post(
        "/cba-unit-costs", data={"csrf_token": token}, files={"file": ("ucd.csv", good.encode())}
    ).status_code in (403, 400)
