"""The web app over imported data and indicators: what a user may import, count and download (issue 15).

Each hole found in the demo as ``nhs-finance`` is tried through the pages and must not get through; a
refused form comes back inside its page, with what was typed and the problem beside its field.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, csrf_of
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.outcomes.framework import save_framework
from totalplace.governance.passwords import hash_password
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.areas import list_areas
from totalplace.store.catalog import list_batches
from totalplace.store.partners import add_partner, partner_by_name
from totalplace.store.users import add_user, grant_role

Client = Callable[[str], TestClient]
FRAMEWORK = """
name: testshire
title: Testshire outcomes
outcomes:
  - name: safer
    title: Safer streets
    indicators:
      - {id: S01, title: Anti-social behaviour incidents, polarity: low_is_good, multiplier: 1000,
         partner: Police}
      - {id: P01, title: Residents who feel safe, polarity: high_is_good}
"""
WARDS = b"code,name,population\nE05000001,North,5000\nE05000002,South,-5\n"
ASB = b"indicator_id,area_code,period,count,denominator\nS01,E06000001,2024/25,39,10000\n"


@pytest.fixture
def partners(web_place: Place) -> Place:
    """Police as a partner too, finance officers for the NHS and the police, and the framework."""
    with web_place.begin() as conn:
        add_partner(conn, name="Police", kind="police", code=None, actor="t")
        for username, partner in (("nhs", "NHS"), ("police", "Police")):
            user = add_user(
                conn,
                username=username,
                display_name=username,
                password_hash=hash_password(PASSWORD),
                is_admin=False,
                actor="t",
            )
            pid = partner_by_name(conn, partner).id
            grant_role(
                conn, user_id=user.id, role="partner_finance", partner_id=pid, purpose="finance", actor="t"
            )
        save_framework(conn, FRAMEWORK, principal=OPERATOR)
    import_file(
        web_place,
        b"Payment Date,Supplier Name,Amount\n01/04/2024,NHS Supplies,10.00\n",
        ImportRequest("spend", "NHS"),
        principal=OPERATOR,
        source_name="nhs.csv",
    )
    return web_place


def _upload(client: TestClient, fields: dict[str, str], name: str, body: bytes) -> httpx.Response:
    token = csrf_of(client.get("/datasets/upload").text)
    response: httpx.Response = client.post(
        "/datasets/upload",
        data={"csrf_token": token, **fields},
        files={"file": (name, body, "text/csv")},
        follow_redirects=False,
    )
    return response


def _options(html: str, select: str) -> list[str]:
    found = re.search(rf'<select name="{select}".*?</select>', html, re.S)
    assert found, select
    return re.findall(r"<option[^>]*>([^<]*)</option>", found.group(0))


def test_the_upload_form_offers_only_what_the_user_may_import(partners: Place, client_for: Client) -> None:
    nhs = client_for("nhs").get("/datasets/upload.json").json()
    assert nhs["partners"] == ["NHS"] and not nhs["whole_place"]
    assert set(nhs["kinds"]) == {"spend", "assets", "observations"}
    page = client_for("nhs").get("/datasets/upload").text
    assert _options(page, "partner") == ["NHS"]
    analyst = client_for("analyst").get("/datasets/upload")
    assert "the whole place" in _options(analyst.text, "partner")[0]
    assert {"geography", "census"} <= set(client_for("analyst").get("/datasets/upload.json").json()["kinds"])
    assert client_for("auditor").get("/datasets/upload").status_code == 403
    assert client_for("auditor").get("/datasets/upload.json").status_code == 403


def test_nhs_cannot_upload_the_places_geography(partners: Place, client_for: Client) -> None:
    """The hole: wards with a population of -5 uploaded by nhs-finance broke the ward map for everyone."""
    nhs = client_for("nhs")
    for partner in ("", "NHS"):
        refused = _upload(nhs, {"kind": "geography", "partner": partner, "level": "ward"}, "w.csv", WARDS)
        assert refused.status_code == 403, refused.text
        assert 'id="kind-problem"' in refused.text and "<nav" in refused.text
        assert re.search(r'<option value="geography"\s+selected', refused.text) is None  # not offered
    with partners.read() as conn:
        assert list_areas(conn, "ward") == []


def test_a_bad_ward_population_is_shown_beside_the_file(partners: Place, client_for: Client) -> None:
    analyst = client_for("analyst")
    refused = _upload(analyst, {"kind": "geography", "partner": "", "level": "ward"}, "w.csv", WARDS)
    assert refused.status_code == 422
    assert "TP543" in refused.text and 'id="file-problem"' in refused.text and "w.csv" in refused.text
    assert re.search(r'<option value="geography"\s+selected', refused.text)
    assert re.search(r"<option selected>ward</option>", refused.text)
    good = _upload(analyst, {"kind": "geography", "level": "ward"}, "w.csv", WARDS.replace(b"-5", b"4000"))
    assert good.status_code == 303
    with partners.read() as conn:
        assert [a.population for a in list_areas(conn, "ward")] == [5000, 4000]


def test_a_partner_uploads_only_its_own_spending(partners: Place, client_for: Client) -> None:
    nhs = client_for("nhs")
    body = b"Payment Date,Supplier Name,Amount\n01/04/2024,Acme,1.00\n"
    refused = _upload(nhs, {"kind": "spend", "partner": "Council"}, "s.csv", body)
    assert refused.status_code == 403 and 'id="partner-problem"' in refused.text
    nobody = _upload(nhs, {"kind": "spend", "partner": ""}, "s.csv", body)
    assert (nobody.status_code == 422 and "TP207" not in nobody.text) or "partner" in nobody.text
    assert 'id="partner-problem"' in nobody.text
    assert _upload(nhs, {"kind": "spend", "partner": "NHS"}, "s.csv", body).status_code == 303


def test_nhs_cannot_count_into_the_police_indicator(partners: Place, client_for: Client) -> None:
    """The hole: nhs-finance counted its own file into the police-owned anti-social-behaviour indicator."""
    refused = _upload(client_for("nhs"), {"kind": "observations", "partner": "NHS"}, "asb.csv", ASB)
    assert refused.status_code == 403 and 'id="file-problem"' in refused.text and "S01" in refused.text
    aggregate = client_for("nhs").get("/outcomes/aggregate.json").json()
    assert aggregate["indicators"] == []  # neither the police's indicator nor the place's
    with partners.read() as conn:
        assert list_batches(conn, kind="observations") == []
    police = client_for("police")
    assert _upload(police, {"kind": "observations", "partner": ""}, "asb.csv", ASB).status_code == 303
    assert [i[0] for i in police.get("/outcomes/aggregate.json").json()["indicators"]] == ["S01"]
    with partners.read() as conn:
        (batch,) = list_batches(conn, kind="observations")
    assert (batch.partner_name, batch.importer) == ("Police", "police")


def test_aggregating_into_anothers_indicator_is_refused_in_the_form(
    partners: Place, client_for: Client
) -> None:
    nhs = client_for("nhs")
    form = nhs.get("/outcomes/aggregate")
    assert form.status_code == 200
    fields = {
        "csrf_token": csrf_of(form.text),
        "indicator": "S01",
        "period": "2024/25",
        "level": "lsoa",
        "area_column": "lsoa",
        "per": "1000",
    }
    refused = nhs.post(
        "/outcomes/aggregate",
        data=fields,
        files={"file": ("asb.csv", b"case,lsoa\nc1,E01000001\n")},
        follow_redirects=False,
    )
    assert refused.status_code == 403 and 'id="indicator-problem"' in refused.text
    assert 'value="S01"' in refused.text and 'value="2024/25"' in refused.text and "<nav" in refused.text
    bad_rate = nhs.post(
        "/outcomes/aggregate",
        data={**fields, "per": "-1"},
        files={"file": ("asb.csv", b"case,lsoa\nc1,E01000001\n")},
        follow_redirects=False,
    )
    assert bad_rate.status_code == 400 and 'id="per-problem"' in bad_rate.text


def test_the_cohort_form_has_its_twin(partners: Place, client_for: Client) -> None:
    data = client_for("nhs").get("/outcomes/cohort.json").json()
    assert data["report"] is None and data["typed"]["group"] == "group"
    assert client_for("auditor").get("/outcomes/cohort.json").status_code == 403


def test_raw_batches_download_only_for_the_importing_partner_leads_and_auditors(
    partners: Place, client_for: Client
) -> None:
    """The hole: nhs-finance could download any partner's raw spend file."""
    with partners.read() as conn:
        ids = {b.partner_name: b.id for b in list_batches(conn)}
    council, nhs_batch = ids["Council"], ids["NHS"]
    nhs = client_for("nhs")
    assert nhs.get(f"/datasets/{council}/export.csv").status_code == 403
    assert nhs.get(f"/datasets/{nhs_batch}/export.csv").status_code == 200
    for user in ("lead", "auditor"):
        assert client_for(user).get(f"/datasets/{council}/export.xlsx").status_code == 200
    assert client_for("analyst").get(f"/datasets/{council}/export.csv").status_code == 403
    listed = {b["id"]: b["may_download"] for b in nhs.get("/datasets.json").json()["batches"]}
    assert listed == {council: False, nhs_batch: True}
    page = nhs.get("/datasets").text
    assert f"/datasets/{nhs_batch}/export.csv" in page and f"/datasets/{council}/export.csv" not in page
    assert f"/datasets/{council}/export.csv" not in nhs.get(f"/datasets/{council}").text
