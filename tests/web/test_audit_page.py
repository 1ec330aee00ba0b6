"""The /audit page shows the head to print and the anchor, read-only, to those who may read the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import update

from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.schema import audit_log

Login = Callable[[str], TestClient]


def test_the_audit_page_shows_the_printable_head(client_for: Login, web_place: Place) -> None:
    auditor = client_for("auditor")
    data = auditor.get("/audit.json").json()
    assert data["ok"] is True and data["keyed_from"] == 1
    with web_place.read() as conn:
        newest = audit.head(conn)
    # the page's own audit.read record comes after the head it showed
    assert data["head"]["seq"] == newest.seq - 1
    assert data["anchor"]["anchored_seq"] == data["head"]["seq"]
    page = auditor.get("/audit").text
    assert newest.fingerprint in page and newest.hash in page and f"--against {newest.seq}:" in page
    assert client_for("analyst").get("/audit").status_code == 403


def test_the_audit_page_lists_problems(client_for: Login, web_place: Place) -> None:
    with web_place.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(actor="mallory"))
    page = client_for("auditor").get("/audit")
    assert page.status_code == 200
    assert "does NOT verify" in page.text and "record 2: contents were changed" in page.text
