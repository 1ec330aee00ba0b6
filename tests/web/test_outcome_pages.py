"""The outcomes pages: RAG tree, indicator with intervals, published counts, letters drafted and answered."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Invoke
from tests.web.conftest import csrf_of
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.outcomes.comparators import Neighbour, save_set
from totalplace.engines.outcomes.framework import save_framework
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

Client = Callable[[str], TestClient]
FRAMEWORK = """
name: testshire
title: Testshire outcomes
outcomes:
  - name: screening
    title: More people screened
    indicators:
      - {id: "100", title: Screening coverage, polarity: high_is_good, value_type: proportion, multiplier: 100,
         tolerance: {lower: 70}, owner: Screening board}
"""


@pytest.fixture
def observed(web_place: Place, tmp_path: Path) -> Place:
    header = "Indicator ID,Area Code,Area Name,Sex,Age,Time period,Count,Denominator,Value"
    rows = []
    for year, place_count, england in ((2015, 760, 800), (2016, 750, 810), (2017, 640, 830)):
        rows.append(f"100,E06000001,Testshire,Persons,All ages,{year},{place_count},1000,{place_count / 10}")
        rows.append(f"100,E92000001,England,Persons,All ages,{year},{england},1000,{england / 10}")
        for peer, share in (("E08000001", 700), ("E08000002", 820), ("E08000003", 780)):
            rows.append(f"100,{peer},Peer,Persons,All ages,{year},{share},1000,{share / 10}")
        for ward, count in (("E05000001", 3), ("E05000002", 120), ("E05000003", 45)):
            rows.append(f"100,{ward},Ward,Persons,All ages,{year},{count + year % 3},200,")
    path = tmp_path / "obs.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    import_file(web_place, path, ImportRequest("observations", None), principal=OPERATOR)
    (tmp_path / "wards.csv").write_text("code,name\nE05000001,North\nE05000002,South\nE05000003,East\n")
    import_file(
        web_place,
        tmp_path / "wards.csv",
        ImportRequest("geography", None, options={"level": "ward"}),
        principal=OPERATOR,
    )
    with web_place.begin() as conn:
        save_framework(conn, FRAMEWORK, principal=OPERATOR)
        members = [
            Neighbour(c, c, d, {}) for c, d in (("E08000001", 1.0), ("E08000002", 1.5), ("E08000003", 2.0))
        ]
        save_set(conn, name="peers", area="E06000001", members=members, actor="t")
    return web_place


def test_framework_tree_indicator_and_published_counts(observed: Place, client_for: Client) -> None:
    client = client_for("auditor")
    tree = client.get("/outcomes.json").json()
    item = tree["outcomes"][0]["indicators"][0]
    assert item["status"] == "red" and item["latest"]["period"] == "2017"  # below its band of 70
    assert "rag-red" in client.get("/outcomes").text
    page = client.get("/outcomes/indicators/100")
    assert page.status_code == 200 and "<svg" in page.text
    data = client.get("/outcomes/indicators/100.json?against=england").json()
    latest = next(r for r in data["rows"] if r["period"] == "2017")
    assert latest["comparison95"] == "worse" and latest["lower95"] < 64 < latest["upper95"]
    # the funnel: the three wards (kind from their codes) against their pooled proportion
    spread = data["funnel"]
    assert spread["area_type"] == "Electoral wards" and spread["period"] == "2017"
    assert {p["area_code"] for p in spread["areas"]} == {"E05000001", "E05000002", "E05000003"}
    assert spread["baseline"] == pytest.approx((4 + 121 + 46) / 600 * 100)
    by_code = {p["area_code"]: p for p in spread["areas"]}
    assert by_code["E05000001"]["comparison"] == "worse" and by_code["E05000002"]["comparison"] == "better"
    assert 'id="chart-funnel"' in page.text
    published = client.get("/outcomes/published/100.json").json()
    cells = [c for row in published["table"]["cells"] for c in row]
    assert not any(c is not None and 1 <= c <= 7 for c in cells) and None in cells
    assert published["table"]["suppressed"]["primary"] == 3


def test_letters_are_drafted_read_and_answered(observed: Place, client_for: Client) -> None:
    lead = client_for("lead")
    token = csrf_of(lead.get("/outcomes/letters").text)
    assert (
        lead.post("/outcomes/letters/draft", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    letters = lead.get("/outcomes/letters.json").json()["letters"]
    assert len(letters) == 1 and letters[0]["addressee"] == "Screening board"
    letter_id = letters[0]["id"]
    page = lead.get(f"/outcomes/letters/{letter_id}")
    assert "below its tolerance band" in page.text
    assert lead.get(f"/outcomes/letters/{letter_id}.pdf").content.startswith(b"%PDF")
    done = lead.post(
        f"/outcomes/letters/{letter_id}/answer",
        data={"plan": "Evening clinics", "remedy_by": "2027-03-31", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert lead.get("/outcomes/letters.json").json()["letters"][0]["status"] == "answered"
    analyst = client_for("analyst")
    refused = analyst.post(
        "/outcomes/letters/draft", data={"csrf_token": csrf_of(analyst.get("/outcomes/letters").text)}
    )
    assert refused.status_code == 403


def test_the_framework_is_edited_in_the_page(observed: Place, client_for: Client) -> None:
    lead = client_for("lead")
    form = lead.get("/outcomes/framework")
    assert "Screening coverage" in form.text
    edited = FRAMEWORK.replace("Testshire outcomes", "Testshire outcomes, revised")
    lead.post("/outcomes/framework", data={"framework": edited, "csrf_token": csrf_of(form.text)})
    assert lead.get("/outcomes.json").json()["framework"]["title"] == "Testshire outcomes, revised"
    bad = lead.post(
        "/outcomes/framework.json", data={"framework": "name: x", "csrf_token": csrf_of(form.text)}
    )
    assert bad.status_code in (400, 404, 405)


def test_spine_chart_of_the_basket_against_the_comparators(observed: Place, client_for: Client) -> None:
    client = client_for("auditor")
    data = client.get("/outcomes/spine.json").json()
    (row,) = data["rows"]
    # Comparators 70%, 78%, 82% in 2017; the place 64% is below the worst of them (high is good).
    assert row["comparators"] == 3 and row["place"] < 0 and row["comparison"] == "worse"
    assert 0 <= row["q1"] <= row["q3"] <= 1 and "spine" in data["charts"]
    assert "<svg" in client.get("/outcomes/spine").text
    comparators = client.get("/outcomes/indicators/100.json").json()["comparators"]
    assert [c["code"] for c in comparators] == ["E08000001", "E08000002", "E08000003"]


def test_a_cohort_file_is_analysed_in_the_page(observed: Place, client_for: Client) -> None:
    analyst = client_for("analyst")
    form = analyst.get("/outcomes/cohort")
    assert form.status_code == 200
    lines = ["person,group,age,arrests_before,arrests_after"]
    for i in range(60):
        referred = i < 12
        before = 4 + i % 3
        lines.append(
            f"p{i},{'referred' if referred else 'other'},{25 + i % 20},{before},{before - (2 if referred else 1)}"
        )
    body = ("\n".join(lines) + "\n").encode()
    page = analyst.post(
        "/outcomes/cohort",
        data={"outcomes": "arrests", "covariates": "age", "csrf_token": csrf_of(form.text)},
        files={"file": ("cohort.csv", body, "text/csv")},
    )
    assert page.status_code == 200 and "difference in differences" in page.text
    token = analyst.get("/session.json").json()["csrf_token"]
    data = analyst.post(
        "/outcomes/cohort.json",
        data={"outcomes": "arrests", "covariates": "age"},
        files={"file": ("cohort.csv", body, "text/csv")},
        headers={"X-CSRF-Token": token},
    ).json()
    (report,) = data["cohorts"]
    assert report["referred"] == 12 and report["matched"]["difference_in_differences"] == -1.0
    bad = analyst.post(
        "/outcomes/cohort.json",
        data={"outcomes": "visits"},
        files={"file": ("cohort.csv", body, "text/csv")},
        headers={"X-CSRF-Token": token},
    )
    assert bad.status_code == 400 and "visits_before" in bad.json()["error"]["message"]
    assert client_for("auditor").get("/outcomes/cohort").status_code == 403


def test_records_counted_into_an_indicator_from_the_web(
    web_place: Place, client_for: Client, tmp_path: Path
) -> None:
    from tests.engines.segment_support import add_oas, oa_code

    add_oas(web_place, tmp_path, 3)  # populations 300, 301, 302
    lead = client_for("lead")
    form = lead.get("/outcomes/aggregate")
    assert form.status_code == 200
    records = (
        "case,oa,kind\n"
        + "".join(f"c{i},{oa_code(i % 2)},arrest\n" for i in range(5))
        + f"c9,{oa_code(2)},caution\n"
    )
    fields = {
        "csrf_token": csrf_of(form.text),
        "indicator": "CR9",
        "title": "Arrests",
        "period": "2024/25",
        "level": "oa",
        "area_column": "oa",
        "where": "kind=arrest",
        "per": "1000",
    }
    done = lead.post(
        "/outcomes/aggregate",
        data=fields,
        files={"file": ("arrests.csv", records.encode())},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/outcomes/indicators/CR9"
    rows = lead.get("/outcomes/indicators/CR9.json").json()["rows"]
    assert {(r["area_code"], r["count"], r["denominator"]) for r in rows} >= {("E06000001", 5, 903)}
    bad = records + "c10,E00999999,arrest\n"
    refused = lead.post(
        "/outcomes/aggregate",
        data=fields,
        files={"file": ("arrests.csv", bad.encode())},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and "TP541" in refused.text and "E00999999" in refused.text
    assert client_for("auditor").get("/outcomes/aggregate").status_code == 403


def test_the_cli_shows_the_spine_and_published_counts_the_pages_show(
    observed: Place, client_for: Client, run: Invoke
) -> None:
    client = client_for("auditor")
    for command, path in (
        (("spine",), "/outcomes/spine.json"),
        (("published", "100"), "/outcomes/published/100.json"),
    ):
        printed = run("outcomes", *command, "--json")
        assert printed.exit_code == 0, printed.output
        page = {k: v for k, v in client.get(path).json().items() if k != "charts"}
        assert json.loads(printed.output) == page
    spine = run("outcomes", "spine")
    assert spine.exit_code == 0 and "Screening" in spine.output and "worse" in spine.output
    published = run("outcomes", "published", "100")
    assert published.exit_code == 0 and "*" in published.output and "E05000001" in published.output
