"""The people page: counts and charts per purpose the user may read, and the train and run forms."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.engines.people.link_support import Held, generate
from tests.engines.people.link_support import held as held
from tests.engines.people.link_support import held_real as held_real
from tests.web.conftest import csrf_of
from totalplace.engines.people import runs
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

Login = Callable[[str], TestClient]


def test_the_lead_trains_and_runs_and_sees_counts_and_charts(client_for: Login, held: Held) -> None:
    held.add("planning", generate(20, 2, seed=1, tag="aaaaaaaaaaaa"))
    lead = client_for("lead")
    page = lead.get("/people")
    assert page.status_code == 200 and "No records have been linked" in page.text
    token = csrf_of(page.text)
    trained = lead.post(
        "/people/train", data={"purpose": "planning", "csrf_token": token}, follow_redirects=False
    )
    assert trained.status_code == 303, trained.text
    done = lead.post(
        "/people/run",
        data={"purpose": "planning", "threshold": "0.9", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    page = lead.get("/people")
    assert "<svg" in page.text and "Match weights" in page.text
    twin = lead.get("/people.json").json()
    shown = twin["purposes"][0]
    assert shown["run"]["people"] == 20 and shown["match_weights"]
    assert twin["charts"] and "planning" in twin["can_link"]
    assert "record_id" not in page.text and "mk_" not in str(twin)  # counts only, never a record


def test_a_refused_run_is_shown_in_the_page_beside_its_field(client_for: Login, held: Held) -> None:
    lead = client_for("lead")
    token = csrf_of(lead.get("/people").text)
    refused = lead.post("/people/run", data={"purpose": "planning", "threshold": "2", "csrf_token": token})
    assert refused.status_code == 422
    assert "between 0 and 1" in refused.text and 'value="2"' in refused.text and "<nav>" in refused.text
    not_trained = lead.post(
        "/people/run", data={"purpose": "planning", "threshold": "0.9", "csrf_token": token}
    )
    assert not_trained.status_code == 409 and "The form was not accepted" in not_trained.text
    assert "--purpose" not in not_trained.text  # never a CLI flag as the hint


def test_analysts_read_finance_is_refused_and_purposes_limit_what_is_shown(
    client_for: Login, held: Held, web_place: Place
) -> None:
    held.add("planning", generate(10, 2, seed=1, tag="bbbbbbbbbbbb"))
    held.add("direct_care", generate(10, 2, seed=1, tag="cccccccccccc"))
    for purpose in ("planning", "direct_care"):
        runs.train_model(web_place, OPERATOR, purpose)
        runs.run_linkage(web_place, OPERATOR, purpose)
    analyst = client_for("analyst")  # held for analysis: serves planning data, never direct care's
    twin = analyst.get("/people.json").json()
    assert [p["purpose"] for p in twin["purposes"]] == ["planning"]
    assert "direct_care" not in twin["can_link"]
    lead = client_for("lead")  # held for planning: direct care data serves planning too
    assert [p["purpose"] for p in lead.get("/people.json").json()["purposes"]] == ["direct_care", "planning"]
    for refused in ("finance", "auditor"):
        assert client_for(refused).get("/people.json").status_code == 403
    token = csrf_of(analyst.get("/people").text)
    denied = analyst.post(
        "/people/train",
        data={"purpose": "direct_care", "csrf_token": token},
        headers={"accept": "application/json"},
    )
    assert denied.status_code == 403


def test_the_comparison_viewer_downloads_for_those_who_may_link(client_for: Login, held_real: Held) -> None:
    from tests.engines.people.test_runs_splink import _as_extract
    from totalplace.engines.people.linkage_generated import records as generated

    held_real.add("planning", _as_extract(generated(300, seed=4)))
    lead = client_for("lead")
    assert lead.get("/people-viewer/planning.html").status_code == 409  # no model yet
    token = csrf_of(lead.get("/people").text)
    lead.post("/people/train", data={"purpose": "planning", "csrf_token": token}, follow_redirects=False)
    assert 'href="/people-viewer/planning.html"' in lead.get("/people").text
    got = lead.get("/people-viewer/planning.html")
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    assert "Content-Security-Policy" in got.text
    assert client_for("finance").get("/people-viewer/planning.html").status_code == 403
