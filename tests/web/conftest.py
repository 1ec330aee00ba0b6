"""A served place with users in each role, and a logged-in client helper."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from tests.datasets.files import GOOD_ROWS, HEADER, csv_bytes
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.governance import passwords
from totalplace.governance.passwords import hash_password
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.partners import add_partner, partner_by_name
from totalplace.store.users import add_user, grant_role
from totalplace.web.app import create_app

PASSWORD = "correct horse battery"

USERS = {  # username: (role, partner, purpose)
    "lead": ("partnership_lead", None, "planning"),
    "finance": ("partner_finance", "Council", "finance"),
    "auditor": ("auditor", None, "audit"),
    "analyst": ("analyst", None, "analysis"),
}


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with light parameters, so the many logins of these tests take milliseconds.

    Verification reads the parameters from each hash, and the dummy hash for unknown users is made again
    with these, so what is tested (the same work for every user) holds as it does with the real ones.
    """
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(passwords, "_dummy_hash", None)


@pytest.fixture
def web_place(sqlite_place: Place) -> Place:
    with sqlite_place.begin() as conn:
        add_partner(conn, name="NHS", kind="nhs", code=None, actor="t")
        for name, (role, partner, purpose) in USERS.items():
            user = add_user(
                conn,
                username=name,
                display_name=name.title(),
                password_hash=hash_password(PASSWORD),
                is_admin=False,
                actor="t",
            )
            pid = partner_by_name(conn, partner).id if partner else None
            grant_role(conn, user_id=user.id, role=role, partner_id=pid, purpose=purpose, actor="t")
    import_file(
        sqlite_place,
        csv_bytes(HEADER + "\n" + GOOD_ROWS),
        ImportRequest("spend", "Council"),
        principal=OPERATOR,
        source_name="first.csv",
    )
    return sqlite_place


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
def client_for(web_place: Place) -> Iterator[Callable[[str], TestClient]]:
    clients: list[TestClient] = []

    def login(username: str) -> TestClient:
        client = TestClient(create_app(web_place))
        clients.append(client)
        token = csrf_of(client.get("/login").text)
        response = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client

    yield login
    for client in clients:
        client.close()
