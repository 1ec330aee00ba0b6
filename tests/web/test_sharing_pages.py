"""The information-sharing agreement pages: the list with status badges, one agreement whole, and the forms
to add and vary one (pasted or uploaded), a refusal shown again with the text kept and each problem's line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, csrf_of
from totalplace.demo import PARTNERS
from totalplace.demo.sharing import DIRECT_CARE, EVALUATION, PLANNING, add_sharing, agreement_text
from totalplace.governance.passwords import hash_password
from totalplace.place import Place
from totalplace.store.partners import add_partner, partner_by_name
from totalplace.store.users import add_user, grant_role
from totalplace.web.app import create_app

USERS = {  # username: (role, partner, purpose)
    "lead": ("partnership_lead", None, "planning"),
    "dpo": ("data_protection_officer", "Northbridge NHS", "governance"),
    "fire-dpo": ("data_protection_officer", "Northbridge Fire and Rescue", "governance"),
    "finance": ("partner_finance", "Northbridge NHS", "finance"),
}


@pytest.fixture
def sharing_place(sqlite_place: Place) -> Place:
    with sqlite_place.begin() as conn:
        for name, kind in PARTNERS:
            add_partner(conn, name=name, kind=kind, code=None, actor="t")
        for username, (role, partner, purpose) in USERS.items():
            user = add_user(
                conn,
                username=username,
                display_name=username,
                password_hash=hash_password(PASSWORD),
                is_admin=False,
                actor="t",
            )
            pid = partner_by_name(conn, partner).id if partner else None
            grant_role(conn, user_id=user.id, role=role, partner_id=pid, purpose=purpose, actor="t")
    add_sharing(sqlite_place)
    return sqlite_place


@pytest.fixture
def login(sharing_place: Place) -> Iterator[Callable[[str], TestClient]]:
    clients: list[TestClient] = []

    def as_user(username: str) -> TestClient:
        client = TestClient(create_app(sharing_place))
        clients.append(client)
        token = csrf_of(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        return client

    yield as_user
    for client in clients:
        client.close()


def _post(client: TestClient, url: str, text: str, reason: str, *, upload: bool = False) -> object:
    token = csrf_of(client.get("/sharing").text)
    data = {"csrf_token": token, "reason": reason, "yaml": "" if upload else text}
    files = {"file": ("agreement.yaml", text.encode() if upload else b"", "application/x-yaml")}
    return client.post(url, data=data, files=files, follow_redirects=False)


def test_the_list_shows_each_agreement_with_its_status(login: Callable[[str], TestClient]) -> None:
    client = login("finance")
    page = client.get("/sharing")
    assert page.status_code == 200
    assert 'class="badge badge-review_due"' in page.text and 'class="badge badge-current"' in page.text
    assert 'href="/sharing"' in page.text  # the nav link, for whoever reads agreements
    assert "/sharing-new" not in page.text  # finance may not add one
    twin = client.get("/sharing.json").json()
    assert [a["name"] for a in twin["agreements"]] == [DIRECT_CARE, EVALUATION, PLANNING]
    assert {a["name"]: a["status"] for a in twin["agreements"]}[EVALUATION] == "review_due"
    assert client.get("/sharing-new").status_code == 403


def test_one_agreement_whole(login: Callable[[str], TestClient]) -> None:
    client = login("dpo")
    page = client.get(f"/sharing/{DIRECT_CARE}")
    assert page.status_code == 200
    for shown in (
        "joint controller",
        "Children Act 2004, section 10",
        "https://www.legislation.gov.uk/ukpga/2012/7/section/251B",
        "children social care",
        "related_local_id",
        "72 months, then reviewed",
        "NB-DPIA-2025-014: approved",
        "does not apply",
        "Caldicott Guardian",
        f'href="/history/sharing/{DIRECT_CARE}"',
        "Vary this agreement",
    ):
        assert shown in page.text, shown
    twin = client.get(f"/sharing/{DIRECT_CARE}.json").json()
    assert twin["agreement"]["purpose"] == "direct_care" and twin["can_vary"]
    assert len(twin["agreement"]["flows"]) == 12
    assert client.get("/sharing/no-such.json").json()["error"]["code"] == "TP905"
    assert client.get(f"/history/sharing/{DIRECT_CARE}").status_code == 200
    # The Fire and Rescue DPO is not party to the evaluation: no form to vary it.
    fire = login("fire-dpo").get(f"/sharing/{EVALUATION}.json").json()
    assert fire["can_vary"] is False and fire["history"] is None


def test_add_a_pasted_agreement_and_vary_it_by_upload(login: Callable[[str], TestClient]) -> None:
    client = login("dpo")
    document = yaml.safe_load(agreement_text(EVALUATION, dt.date.today())) | {"name": "nhs-audit"}
    text = yaml.safe_dump(document, sort_keys=False)
    added = _post(client, "/sharing-new", text, "a clinical audit")
    assert added.status_code == 303 and added.headers["location"] == "/sharing/nhs-audit"  # type: ignore[attr-defined]
    later = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    varied = yaml.safe_dump(yaml.safe_load(text) | {"review_date": later}, sort_keys=False)
    answer = _post(client, "/sharing/nhs-audit/vary", varied, "reviewed", upload=True)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    shown = client.get("/sharing/nhs-audit.json").json()
    assert shown["version"] == 2 and shown["status"] == "current" and shown["kept"]["reason"] == "reviewed"


def test_a_refused_agreement_is_shown_again_with_its_text_and_each_line(
    login: Callable[[str], TestClient],
) -> None:
    client = login("lead")
    text = agreement_text(EVALUATION, dt.date.today())
    text = text.replace(f"name: {EVALUATION}", "name: new-one").replace(
        "- nhs_act_2006_s251", "- no_such_act"
    )
    text = text.replace("Northbridge Police", "Northbridge Probation")
    answer = _post(client, "/sharing-new", text, "trying")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    html = answer.text  # type: ignore[attr-defined]
    assert "<nav>" in html and "no_such_act" in html and "Nothing was kept" in html
    line = text.splitlines().index("  - partner: Northbridge Probation") + 1
    assert f"parties.2.partner: line {line}: Northbridge Probation is not a partner" in html
    assert "legal.powers.2: line" in html and "TP906" in html
    assert "Northbridge Probation" in html.split("<textarea", 1)[1]  # the text is kept
    with_no_reason = _post(client, "/sharing-new", agreement_text(EVALUATION, dt.date.today()), " ")
    assert with_no_reason.status_code == 422 and 'id="problem-reason"' in with_no_reason.text  # type: ignore[attr-defined]
    renamed = agreement_text(EVALUATION, dt.date.today()).replace(f"name: {EVALUATION}", "name: other")
    refused = _post(client, f"/sharing/{EVALUATION}/vary", renamed + "\n", "rename")
    assert refused.status_code == 422 and "TP908" in refused.text and "Vary this agreement" in refused.text  # type: ignore[attr-defined]


def test_who_may_change(login: Callable[[str], TestClient]) -> None:
    text = agreement_text(EVALUATION, dt.date.today()).replace("review_date:", "review_date: 2030-01-01\n#")
    fire = _post(login("fire-dpo"), f"/sharing/{EVALUATION}/vary", text, "not ours")
    assert fire.status_code == 403  # type: ignore[attr-defined]
    finance = _post(login("finance"), f"/sharing/{EVALUATION}/vary", text, "not ours")
    assert finance.status_code == 403  # type: ignore[attr-defined]
