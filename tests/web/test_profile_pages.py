"""The 360° profile pages: the analyst's page and twin carry no identifier, the lead sees who with a reason
(a blank one is shown again beside its field), everyone else is refused, and area counts are suppressed."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.engines.people_tables import SECRETS, stand_in
from tests.web.conftest import csrf_of
from totalplace.engines.people import profile_access
from totalplace.place import Place
from totalplace.store import audit

Login = Callable[[str], TestClient]


@pytest.fixture(autouse=True)
def linked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The records and linkage steps answer with the small tables of tests/engines/people_tables.py."""
    monkeypatch.setattr(profile_access, "contract_tables", lambda: stand_in())


def test_the_analyst_sees_a_pseudonymised_chronology(client_for: Login) -> None:
    client = client_for("analyst")
    page = client.get("/people/person/P0000001?purpose=planning")
    assert page.status_code == 200
    assert "children social care" in page.text and "very likely" in page.text
    assert "<svg" in page.text  # the timeline
    assert "See who this is" not in page.text
    twin = client.get("/people/person/P0000001.json?purpose=planning")
    body = twin.json()
    assert [line["record_id"] for line in body["lines"]] == ["bbb:7", "aaa:1", "ccc:3"]
    assert body["lines"][0]["agreement"] == "northbridge-early-help"
    assert body["identified"] is False and body["charts"]["timeline"]["vega_lite"]
    for text in (page.text, twin.text, client.get("/people/household/H0000001.json?purpose=planning").text):
        assert not [s for s in SECRETS if s in text]


def test_the_lead_reveals_with_a_reason(client_for: Login, web_place: Place) -> None:
    client = client_for("lead")
    page = client.get("/people/person/P0000001?purpose=direct_care")
    assert "See who this is" in page.text
    token = csrf_of(page.text)
    blank = client.post("/people/person/P0000001/reveal", data={"csrf_token": token, "reason": "  "})
    assert blank.status_code == 422
    assert 'id="problem-reason"' in blank.text and "<nav>" in blank.text
    shown = client.post(
        "/people/person/P0000001/reveal", data={"csrf_token": token, "reason": "child protection conference"}
    )
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert "Katherine Lloyd" in shown.text and "9434765919" in shown.text
    with web_place.read() as conn:
        last = next(audit.records(conn, limit=1, newest_first=True))
    assert (last.actor, last.action, last.object_id) == ("lead", "person.reveal", "P0000001")
    assert json.loads(last.detail)["reason"] == "child protection conference"


@pytest.mark.parametrize("user", ["finance", "auditor"])
def test_others_are_refused(client_for: Login, user: str) -> None:
    client = client_for(user)
    for address in (
        "/people/person/P0000001.json?purpose=planning",
        "/people/household/H0000001.json?purpose=direct_care",
        "/people/areas.json?purpose=planning",
    ):
        answer = client.get(address)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "TP201"


def test_the_analyst_may_not_reveal(client_for: Login) -> None:
    client = client_for("analyst")
    token = csrf_of(client.get("/people/person/P0000001?purpose=planning").text)
    answer = client.post(
        "/people/person/P0000001/reveal",
        data={"csrf_token": token, "reason": "curious"},
        headers={"accept": "application/json"},
    )
    assert answer.status_code == 403 and "Katherine" not in answer.text


def test_areas_are_disclosure_controlled(client_for: Login) -> None:
    client = client_for("analyst")
    assert client.get("/people/areas?purpose=planning").status_code == 200
    body = client.get("/people/areas.json?purpose=planning&by=partner").json()
    # Three people in three areas: every count is small, so every one but the zeros is suppressed.
    assert body["columns"][-1] == "people"
    assert all(v in (None, 0) for area in body["areas"] for v in area["cells"])
    assert any(v is None for area in body["areas"] for v in area["cells"])
    assert body["suppressed"]["primary"] > 0
    assert client.get("/people/person/P9999999.json?purpose=planning").status_code == 404


def test_a_household_is_revealed_whole(client_for: Login) -> None:
    client = client_for("lead")
    page = client.get("/people/household/H0000001?purpose=direct_care")
    assert page.status_code == 200 and "P0000002" in page.text
    shown = client.post(
        "/people/household/H0000001/reveal",
        data={"csrf_token": csrf_of(page.text), "reason": "team around the family"},
        headers={"accept": "application/json"},
    )
    body = shown.json()
    assert shown.status_code == 200 and body["identified"]
    assert [i["person_id"] for i in body["identities"]] == ["P0000001", "P0000002"]
    assert body["identities"][1]["nhs_numbers"] == ["9990000023"]
