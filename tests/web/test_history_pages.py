"""An object's history on the web, and the holes of issue 15 closed at the web: a partner's finance officer can
replace neither the partnership's model nor the place's unit-cost library."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, csrf_of
from totalplace.governance.passwords import hash_password
from totalplace.place import Place
from totalplace.store import audit, versions
from totalplace.store.partners import partner_by_name
from totalplace.store.users import add_user, grant_role

Client = Callable[[str], TestClient]
CASE = Path(__file__).parents[1] / "engines" / "cba_cases" / "08_multi_agency_split.yaml"
UCD = (
    "code,description,unit,fiscal cost,agency,economic value,social value,price year,source,grade\n"
    "HO-DA-01,Incident,incident,8.01,Police,0,0,2024-25,Ours,3\n"
)


def _model(success: float) -> str:
    document = yaml.safe_load(CASE.read_text(encoding="utf-8"))["model"]
    document["outcomes"][0]["success"] = {"value": success, "low": success / 2, "high": success * 1.5}
    return yaml.safe_dump(document, sort_keys=False)


def _nhs_finance(place: Place) -> None:
    with place.begin() as conn:
        user = add_user(
            conn,
            username="nhs-finance",
            display_name="NHS finance",
            password_hash=hash_password(PASSWORD),
            is_admin=False,
            actor="t",
        )
        nhs = partner_by_name(conn, "NHS").id
        grant_role(
            conn, user_id=user.id, role="partner_finance", partner_id=nhs, purpose="finance", actor="t"
        )


def _kept(place: Place, kind: str, name: str) -> list[versions.Version]:
    with place.read() as conn:
        return versions.history(conn, kind, name)


def test_nhs_finance_cannot_replace_the_partnerships_model_or_library(
    web_place: Place, client_for: Client
) -> None:
    _nhs_finance(web_place)
    lead, nhs = client_for("lead"), client_for("nhs-finance")
    token = csrf_of(lead.get("/cba-new").text)
    form = {"model": _model(0.1), "reason": "the partnership's case", "csrf_token": token}
    assert lead.post("/cba-new", data=form, follow_redirects=False).status_code == 303
    bcr = lead.get("/cba/case-08.json").json()["result"]["totals"]["bcr"]
    token = csrf_of(nhs.get("/cba-new").text)  # it may keep models of its own, so it has the form
    refused = nhs.post("/cba-new", data={"model": _model(0.6), "csrf_token": token})
    assert refused.status_code == 403 and "TP201" in refused.text
    assert "value: 0.6" in refused.text and 'action="/cba-new"' in refused.text  # the form, as typed
    assert [v.version for v in _kept(web_place, "model", "case-08")] == [1]
    assert lead.get("/cba/case-08.json").json()["result"]["totals"]["bcr"] == bcr
    library = nhs.post("/cba-unit-costs", data={"csrf_token": token}, files={"file": ("u.csv", UCD.encode())})
    assert library.status_code == 403 and _kept(web_place, "unit_costs", "library") == []
    assert "Import unit costs" not in nhs.get("/cba-unit-costs").text  # no form it could not use
    # The partnership's lead may: the change is a version, with who and why, in the audit trail.
    token = csrf_of(lead.get("/cba-unit-costs").text)
    added = lead.post(
        "/cba-unit-costs",
        data={"csrf_token": token, "reason": "our police figure"},
        files={"file": ("u.csv", UCD.encode())},
    )
    assert added.status_code == 200 and 'href="/history/unit_costs/library"' in added.text
    (kept,) = _kept(web_place, "unit_costs", "library")
    assert (kept.created_by, kept.reason) == ("lead", "our police figure")
    with web_place.read() as conn:
        assert audit.verify(conn).ok


def test_a_models_history_is_shown_compared_and_restored(web_place: Place, client_for: Client) -> None:
    _nhs_finance(web_place)
    lead = client_for("lead")
    token = csrf_of(lead.get("/cba-new").text)
    for success, why in ((0.1, "first"), (0.3, "better evidence")):
        lead.post("/cba-new", data={"model": _model(success), "reason": why, "csrf_token": token})
    assert 'href="/history/model/case-08"' in lead.get("/cba/case-08").text
    assert 'href="/history/model/case-08"' not in client_for("nhs-finance").get("/cba/case-08").text
    history = lead.get("/history/model/case-08.json").json()
    assert [(v["version"], v["created_by"], v["reason"]) for v in history["versions"]] == [
        (1, "lead", "first"),
        (2, "lead", "better evidence"),
    ]
    assert "+    value: 0.3" in history["versions"][1]["diff"] and history["can_restore"]
    compared = lead.get("/history/model/case-08?a=1&b=2")
    assert compared.status_code == 200 and "value: 0.1" in compared.text
    auditor = client_for("auditor").get("/history/model/case-08")
    assert auditor.status_code == 200 and "Restore a version" not in auditor.text
    assert client_for("nhs-finance").get("/history/model/case-08").status_code == 403
    assert lead.get("/history/model/nothing").status_code == 404
    assert lead.get("/history/nonsense/case-08.json").status_code == 404
    page = lead.get("/history/model/case-08")
    token = csrf_of(page.text)
    refused = lead.post(
        "/history/model/case-08/restore", data={"version": "1", "reason": " ", "csrf_token": token}
    )
    assert refused.status_code == 400 and "a restore needs a reason" in refused.text
    assert 'name="reason"' in refused.text and "Versions (newest first)" in refused.text
    restored = lead.post(
        "/history/model/case-08/restore",
        data={"version": "1", "reason": "evidence withdrawn", "csrf_token": token},
        follow_redirects=False,
    )
    assert restored.status_code == 303
    newest = _kept(web_place, "model", "case-08")[-1]
    assert (newest.version, newest.restored_from, newest.body) == (3, 1, _model(0.1))
