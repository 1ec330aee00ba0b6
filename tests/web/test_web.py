"""The web shell: sessions, CSRF, pages and their JSON twins, uploads, roles."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.datasets.files import GOOD_ROWS, HEADER, csv_bytes
from tests.web.conftest import PASSWORD, csrf_of
from totalplace.place import Place
from totalplace.store import audit
from totalplace.web.app import create_app

Login = Callable[[str], TestClient]
PAGES = ["/", "/datasets", "/datasets/1", "/audit", "/spend", "/spend/lines", "/spend/coverage"]


def test_pages_need_a_login(web_place: Place) -> None:
    client = TestClient(create_app(web_place))
    response = client.get("/datasets", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/datasets"
    assert client.get("/datasets.json").status_code == 401
    assert client.get("/datasets.json").json()["error"]["code"] == "TP203"


def test_wrong_password_is_refused_and_audited(web_place: Place) -> None:
    client = TestClient(create_app(web_place))
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"username": "lead", "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    assert "wrong user name or password" in response.text
    with web_place.read() as conn:
        newest = next(audit.records(conn, limit=1, newest_first=True))
    assert (newest.actor, newest.action) == ("lead", "login.failed")


def test_login_without_csrf_token_is_refused(web_place: Place) -> None:
    client = TestClient(create_app(web_place))
    client.get("/login")
    response = client.post("/login", data={"username": "lead", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403
    assert "TP202" in response.text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_json_twin_with_the_same_data(client_for: Login, path: str) -> None:
    client = client_for("lead")
    html = client.get(path)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    twin = client.get("/index.json" if path == "/" else f"{path}.json")
    assert twin.status_code == 200
    assert twin.headers["content-type"] == "application/json"
    assert twin.json()
    # Nothing is loaded from elsewhere: no script, style or image comes from another host.
    assert not re.search(r'(src|href)="(https?:)?//', html.text)
    assert "default-src 'self'" in html.headers["content-security-policy"]


def test_home_shows_partners_data_and_a_server_rendered_chart(client_for: Login) -> None:
    client = client_for("lead")
    data = client.get("/index.json").json()
    assert {p["name"] for p in data["partners"]} == {"Council", "NHS"}
    assert data["datasets"]["by_kind"]["spend"] == 1
    assert data["charts"]["rows"]["vega_lite"]["mark"]["type"] == "bar"
    assert "<svg" in client.get("/").text


def test_upload_then_listed_and_refused_upload_shows_rows(client_for: Login) -> None:
    client = client_for("finance")
    token = csrf_of(client.get("/datasets/upload").text)
    good = csv_bytes(HEADER + "\n" + GOOD_ROWS + "02/05/2024,New Ltd,3.00,x\n")
    response = client.post(
        "/datasets/upload",
        data={"kind": "spend", "partner": "Council", "csrf_token": token},
        files={"file": ("may.csv", good)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    batch_url = response.headers["location"]
    assert "status=imported" in batch_url
    listed = client.get("/datasets.json").json()["batches"]
    assert [b["source_name"] for b in listed] == ["may.csv", "first.csv"]
    assert listed[0]["importer"] == "finance"

    bad = csv_bytes(HEADER + "\n31/02/2024,A,1.00,x\n01/03/2024,B,lots,y\n")
    refused = client.post(
        "/datasets/upload",
        data={"kind": "spend", "partner": "Council", "csrf_token": token},
        files={"file": ("bad.csv", bad)},
    )
    assert refused.status_code == 422
    assert "TP532" in refused.text and "TP531" in refused.text and "Payment Date" in refused.text
    assert len(client.get("/datasets.json").json()["batches"]) == 2


def test_upload_json_api(client_for: Login) -> None:
    client = client_for("lead")
    token = client.get("/session.json").json()["csrf_token"]
    bad = csv_bytes(HEADER + "\n31/02/2024,A,1.00,x\n")
    refused = client.post(
        "/datasets/upload.json",
        data={"kind": "spend", "partner": "Council"},
        files={"file": ("bad.csv", bad)},
        headers={"X-CSRF-Token": token},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["problems"][0]["code"] == "TP532"
    forged = client.post(
        "/datasets/upload.json",
        data={"kind": "spend", "partner": "Council"},
        files={"file": ("bad.csv", bad)},
    )
    assert forged.status_code == 403
    again = client.post(
        "/datasets/upload.json",
        data={"kind": "spend", "partner": "Council"},
        files={"file": ("same.csv", csv_bytes(HEADER + "\n" + GOOD_ROWS))},
        headers={"X-CSRF-Token": token},
    )
    assert again.status_code == 200 and again.json()["status"] == "unchanged"


def test_roles_limit_what_each_user_does(client_for: Login) -> None:
    finance = client_for("finance")
    token = csrf_of(finance.get("/datasets/upload").text)
    other = finance.post(
        "/datasets/upload",
        data={"kind": "spend", "partner": "NHS", "csrf_token": token},
        files={"file": ("nhs.csv", csv_bytes(HEADER + "\n" + GOOD_ROWS))},
    )
    assert other.status_code == 403
    assert finance.get("/audit.json").status_code == 403
    auditor = client_for("auditor")
    assert auditor.get("/audit.json").json()["ok"] is True
    assert auditor.get("/datasets/upload").status_code == 403
    analyst = client_for("analyst")
    assert analyst.get("/audit.json").status_code == 403


def test_exports_and_missing_batches(client_for: Login) -> None:
    client = client_for("lead")
    exported = client.get("/datasets/1/export.csv")
    assert exported.status_code == 200
    assert "'=cmd" in exported.content.decode("utf-8-sig")
    assert client.get("/datasets/1/export.xlsx").content[:2] == b"PK"
    assert client.get("/datasets/99.json").status_code == 404
    assert client.get("/datasets/nope").status_code == 404


def test_logout_ends_the_session(client_for: Login) -> None:
    client = client_for("lead")
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/index.json").status_code == 401
