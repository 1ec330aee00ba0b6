"""Login throttling per user name and per address (TP204, 429, a growing wait held in the store) and the same
Argon2 work whether or not the user exists."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import Invoke
from tests.web.conftest import PASSWORD, csrf_of
from totalplace.place import Place
from totalplace.store import audit, clock
from totalplace.web.app import create_app

Advance = Callable[[timedelta], None]


@pytest.fixture
def advance(monkeypatch: pytest.MonkeyPatch) -> Advance:
    now = [clock.utc_datetime()]
    monkeypatch.setattr(clock, "utc_datetime", lambda: now[0])

    def move(by: timedelta) -> None:
        now[0] = now[0] + by

    return move


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes Argon2 verified against, one per call (the hasher's own verify, counted)."""
    calls: list[str] = []
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append(str(hash))
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


class Browser:
    """A client that logs in through the form."""

    def __init__(self, place: Place) -> None:
        self.client = TestClient(create_app(place))
        self.token = csrf_of(self.client.get("/login").text)

    def login(self, username: str, password: str) -> Response:
        answer: Response = self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": self.token},
            follow_redirects=False,
        )
        return answer


def test_fifty_wrong_then_right_is_refused_until_the_wait_is_over(
    web_place: Place, advance: Advance, verifications: list[str]
) -> None:
    browser = Browser(web_place)
    answers = [browser.login("lead", f"guess number {n}") for n in range(50)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert {a.status_code for a in answers[5:]} == {429}
    assert len(verifications) == 5  # refused attempts are not checked at all
    right = browser.login("lead", PASSWORD)
    assert right.status_code == 429 and "TP204" in right.text
    assert right.headers["retry-after"] == "30"
    assert re.search(r"try again after \d\d:\d\d:\d\d UTC \(in 30 seconds\)", right.text)
    advance(timedelta(seconds=31))
    assert browser.login("lead", PASSWORD).status_code == 303
    with web_place.read() as conn:
        actions = [r.action for r in audit.records(conn) if r.actor == "lead"]
    # Every checked attempt is audited as before; the refusals once per wait.
    assert actions.count("login.failed") == 5 and actions.count("login.throttled") == 1
    assert actions[-1] == "login"


def test_the_wait_doubles_and_a_right_password_clears_it(web_place: Place, advance: Advance) -> None:
    browser = Browser(web_place)
    for n in range(5):
        assert browser.login("finance", f"wrong {n}").status_code == 401
    advance(timedelta(seconds=31))
    assert browser.login("finance", "wrong again").status_code == 401
    longer = browser.login("finance", PASSWORD)
    assert longer.status_code == 429 and longer.headers["retry-after"] == "60"
    advance(timedelta(seconds=61))
    assert browser.login("finance", PASSWORD).status_code == 303
    # Cleared: four more wrong passwords are simply wrong, not throttled.
    again = Browser(web_place)
    assert [again.login("finance", f"w{n}").status_code for n in range(4)] == [401] * 4
    assert again.login("finance", PASSWORD).status_code == 303


def test_the_throttle_holds_across_server_processes(web_place: Place) -> None:
    first, second = Browser(web_place), Browser(web_place)  # two apps share only the store
    for n in range(5):
        first.login("auditor", f"wrong {n}")
    refused = second.login("auditor", PASSWORD)
    assert refused.status_code == 429


def test_one_address_guessing_many_user_names_is_throttled(
    web_place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOTALPLACE_LOGIN_ADDRESS_FREE_FAILURES", "3")
    browser = Browser(web_place)
    assert [browser.login(name, "Password1!xyz").status_code for name in ("lead", "x1", "x2")] == [401] * 3
    refused = browser.login("analyst", PASSWORD)
    assert refused.status_code == 429 and "this address" in refused.text


def test_unknown_disabled_and_known_users_all_run_argon2(
    web_place: Place, verifications: list[str], run: Invoke
) -> None:
    browser = Browser(web_place)
    assert browser.login("nobody-here", "some password").status_code == 401
    assert len(verifications) == 1
    assert browser.login("lead", "some password").status_code == 401
    assert len(verifications) == 2
    assert run("user", "disable", "auditor").exit_code == 0
    assert browser.login("auditor", PASSWORD).status_code == 401
    assert len(verifications) == 3
    # Unknown and disabled users are checked against the same dummy hash; known ones against their own.
    assert verifications[0] == verifications[2] != verifications[1]
    assert verifications[0].startswith("$argon2id$") and verifications[0][:30] == verifications[1][:30]


def test_unknown_user_names_are_throttled_like_real_ones(web_place: Place) -> None:
    browser = Browser(web_place)
    codes = [browser.login("ghost", f"guess {n}").status_code for n in range(6)]
    assert codes == [401] * 5 + [429]


def test_an_administrator_can_unblock_a_user(web_place: Place, run: Invoke) -> None:
    browser = Browser(web_place)
    for n in range(5):
        browser.login("analyst", f"wrong {n}")
    assert browser.login("analyst", PASSWORD).status_code == 429
    result = run("user", "unblock", "analyst")
    assert result.exit_code == 0 and "may try again now" in result.output
    assert browser.login("analyst", PASSWORD).status_code == 303
