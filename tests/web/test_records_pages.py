"""The pages of records about people: importing an extract under its agreement, and the opt-out list."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from httpx import Response

from tests.engines.people.records_support import add_agreement, agreement_yaml, extract, nhs_number, row
from tests.web.conftest import csrf_of
from totalplace.place import Place

USED = nhs_number(943476591)
NARROW = ("nhs_number", "given_name", "event_date", "event_type")


def _agreement(place: Place) -> None:
    add_agreement(
        place,
        agreement_yaml("nhs-plan", "planning", partner="NHS", fields=NARROW, opt_out=False, exemption="s251"),
        "nhs-plan",
    )


def _post(client: TestClient, path: str, form: dict[str, str], data: bytes) -> Response:
    token = csrf_of(client.get(path).text)
    files = {"file": ("contacts.csv", data, "text/csv")}
    answer: Response = client.post(path, data={**form, "csrf_token": token}, files=files)
    return answer


def test_the_lead_imports_an_extract_and_sees_what_was_dropped(
    web_place: Place, client_for: Callable[[str], TestClient]
) -> None:
    _agreement(web_place)
    lead = client_for("lead")
    form = {"partner": "NHS", "agreement": "nhs-plan", "source": "nhs_urgent_contacts"}
    done = _post(lead, "/people/records/upload", form, extract(row(USED, "Zebedee")))
    assert done.status_code == 201, done.text
    text = done.text
    assert "dropped: family_name" in text and "exemption relied on: s251" in text
    assert USED not in text and "Zebedee" not in text
    refused = _post(lead, "/people/records/upload", form, extract(row("9434765918")))
    assert refused.status_code == 422
    page = refused.text
    assert "TP570" in page and "NHS Number" in page and "9434765918" not in page and "<nav>" in page
    missing = _post(lead, "/people/records/upload", {**form, "agreement": "none"}, extract(row(USED)))
    assert missing.status_code == 404 and 'id="agreement-problem"' in missing.text


def test_the_opt_out_page_and_its_twin_show_dates_never_numbers(
    web_place: Place, client_for: Callable[[str], TestClient]
) -> None:
    lead = client_for("lead")
    assert lead.get("/people/optout.json").json()["status"]["held"] is False
    token = csrf_of(lead.get("/people/optout").text)
    files = {"file": ("resp.dat", f"{USED},\r\n".encode(), "text/plain")}
    done = lead.post("/people/optout", data={"date": "2026-12-01", "csrf_token": token}, files=files)
    assert done.status_code == 201 and "2026-12-01" in done.text and USED not in done.text
    twin = lead.get("/people/optout.json").json()["status"]
    assert twin["entries"] == 1 and twin["list_date"] == "2026-12-01" and USED not in str(twin)
    bad = lead.post("/people/optout", data={"date": "soon", "csrf_token": token}, files=files)
    assert bad.status_code == 400 and 'id="date-problem"' in bad.text
    for who in ("analyst", "finance"):
        assert client_for(who).get("/people/optout.json").status_code == 403
