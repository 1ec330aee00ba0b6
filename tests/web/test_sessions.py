"""Sessions held in the store: logout, a new password, disabling a user and "log out everywhere" end them for
every copy of the cookie; expiry, cookie flags, a new id at login, and /openapi.json only when logged in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from tests.conftest import Invoke
from tests.web.conftest import PASSWORD, csrf_of
from totalplace.place import Place
from totalplace.store import clock
from totalplace.web.app import create_app
from totalplace.web.session import SESSION_COOKIE

Login = Callable[[str], TestClient]
NEW_PASSWORD = "a much longer new passphrase"


def _stolen_copy(place: Place, client: TestClient) -> TestClient:
    """Another browser holding a copy of ``client``'s session cookie (as an attacker who captured it)."""
    thief = TestClient(create_app(place))
    thief.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE], domain="testserver.local")
    return thief


def _token(client: TestClient) -> str:
    token: str = client.get("/session.json").json()["csrf_token"]
    return token


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Move the sessions' clock forward by a timedelta."""
    now = [clock.utc_datetime()]
    monkeypatch.setattr(clock, "utc_datetime", lambda: now[0])

    def advance(by: timedelta) -> None:
        now[0] = now[0] + by

    return advance


def test_logout_ends_the_session_for_every_copy_of_the_cookie(web_place: Place, client_for: Login) -> None:
    client = client_for("lead")
    thief = _stolen_copy(web_place, client)
    assert thief.get("/session.json").json()["user"] == "lead"  # the copy works while the session lives
    response = client.post("/logout", data={"csrf_token": _token(client)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    refused = thief.get("/session.json")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "TP203"
    assert thief.get("/datasets", follow_redirects=False).headers["location"] == "/login?next=/datasets"
    assert client.get("/session.json").status_code == 401
    thief.close()


def test_cookies_are_httponly_strict_and_secure_over_https(
    web_place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = TestClient(create_app(web_place))
    form = plain.get("/login")
    login_cookie = form.headers["set-cookie"]
    assert "HttpOnly" in login_cookie and "SameSite=Strict" in login_cookie and "Secure" not in login_cookie
    answer = plain.post(
        "/login",
        data={"username": "lead", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    session_cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
    assert "Max-Age=28800" in session_cookie and "Secure" not in session_cookie
    secure = TestClient(create_app(web_place), base_url="https://testserver")
    assert "Secure" in secure.get("/login").headers["set-cookie"]
    monkeypatch.setenv("TOTALPLACE_COOKIE_SECURE", "always")
    assert "Secure" in TestClient(create_app(web_place)).get("/login").headers["set-cookie"]


def test_login_issues_a_new_session_id_and_ends_the_old_one(web_place: Place, client_for: Login) -> None:
    client = client_for("lead")
    before = client.cookies[SESSION_COOKIE]
    thief = _stolen_copy(web_place, client)
    # Logging in again from the same browser (the form carries the session's token) gives a fresh id.
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"username": "lead", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert client.cookies[SESSION_COOKIE] != before
    assert client.get("/session.json").status_code == 200
    assert thief.get("/session.json").status_code == 401
    # An id planted before login (session fixation) is never adopted.
    planted = TestClient(create_app(web_place))
    planted.cookies.set(SESSION_COOKIE, "chosen-by-an-attacker", domain="testserver.local")
    token = csrf_of(planted.get("/login").text)
    planted.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": token})
    assert planted.cookies[SESSION_COOKIE] != "chosen-by-an-attacker"
    thief.close()
    planted.close()


def test_a_new_password_from_the_account_page_ends_the_other_sessions(
    web_place: Place, client_for: Login
) -> None:
    here, elsewhere = client_for("lead"), client_for("lead")
    page = here.get("/account")
    assert page.status_code == 200 and 'id="change-password"' in page.text
    assert len(here.get("/account.json").json()["sessions"]) == 2
    changed = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/account?changed=1"
    assert here.get("/session.json").json()["user"] == "lead"  # this browser carries on, with a new id
    assert elsewhere.get("/session.json").status_code == 401
    sessions = here.get("/account.json").json()["sessions"]
    assert [s["current"] for s in sessions] == [True]
    fresh = TestClient(create_app(web_place))
    token = csrf_of(fresh.get("/login").text)
    old = fresh.post("/login", data={"username": "lead", "password": PASSWORD, "csrf_token": token})
    assert old.status_code == 401
    new = fresh.post(
        "/login",
        data={"username": "lead", "password": NEW_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert new.status_code == 303
    fresh.close()


def test_a_wrong_current_password_changes_nothing(client_for: Login) -> None:
    client = client_for("lead")
    answer = client.post(
        "/account/password",
        data={
            "current_password": "not the password",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": _token(client),
        },
        headers={"accept": "application/json"},
    )
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "TP200"
    assert client.get("/session.json").status_code == 200


def test_cli_passwd_disable_and_logout_end_sessions(web_place: Place, client_for: Login, run: Invoke) -> None:
    lead, analyst, auditor = client_for("lead"), client_for("analyst"), client_for("auditor")
    result = run("user", "passwd", "lead", "--password-stdin", "--json", stdin=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert '"sessions_ended": 1' in result.output
    assert lead.get("/session.json").status_code == 401
    assert run("user", "disable", "analyst").exit_code == 0
    assert analyst.get("/session.json").status_code == 401
    token = csrf_of(analyst.get("/login").text)
    disabled = analyst.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": token})
    assert disabled.status_code == 401
    assert run("user", "enable", "analyst").exit_code == 0
    assert auditor.get("/session.json").status_code == 200
    assert run("user", "logout", "auditor").exit_code == 0
    assert auditor.get("/session.json").status_code == 401
    missing = run("user", "logout", "nobody")
    assert missing.exit_code == 1 and "TP104" in missing.output


def test_logout_everywhere_else_keeps_this_session(client_for: Login) -> None:
    here, elsewhere = client_for("finance"), client_for("finance")
    answer = here.post("/account/logout-others", data={"csrf_token": _token(here)}, follow_redirects=False)
    assert answer.status_code == 303
    assert here.get("/session.json").status_code == 200
    assert elsewhere.get("/session.json").status_code == 401


def test_idle_and_absolute_expiry(
    client_for: Login, frozen_clock: Callable[[timedelta], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    idle = client_for("lead")
    frozen_clock(timedelta(minutes=59))
    assert idle.get("/session.json").status_code == 200  # used: idle time starts again
    frozen_clock(timedelta(minutes=59))
    assert idle.get("/session.json").status_code == 200
    frozen_clock(timedelta(minutes=61))
    assert idle.get("/session.json").status_code == 401
    monkeypatch.setenv("TOTALPLACE_SESSION_IDLE_MINUTES", "600")
    busy = client_for("lead")
    for _ in range(8):
        frozen_clock(timedelta(minutes=55))
        assert busy.get("/session.json").status_code == 200
    frozen_clock(timedelta(minutes=45))  # 8 hours after login, however busy
    assert busy.get("/session.json").status_code == 401


def test_reading_a_session_is_one_lookup_and_last_seen_is_written_once_a_minute(
    web_place: Place, client_for: Login, frozen_clock: Callable[[timedelta], None]
) -> None:
    client = client_for("finance")
    statements: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        statements.append(" ".join(sql.split()).lower())

    # Every engine: the web app reads sessions through its own read-only engine over the same store.
    event.listen(Engine, "before_cursor_execute", record)
    try:
        for _ in range(5):
            assert client.get("/session.json").status_code == 200
        reads = [s for s in statements if "from sessions" in s]
        writes = [s for s in statements if s.startswith("update sessions")]
        assert len(reads) == 5 and not writes
        frozen_clock(timedelta(seconds=61))
        client.get("/session.json")
        client.get("/session.json")
        assert len([s for s in statements if s.startswith("update sessions")]) == 1
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_openapi_only_for_logged_in_users(web_place: Place, client_for: Login) -> None:
    anonymous = TestClient(create_app(web_place))
    refused = anonymous.get("/openapi.json")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "TP203"
    assert anonymous.get("/docs").status_code == 404
    described = client_for("auditor").get("/openapi.json")
    assert described.status_code == 200 and "/datasets/upload.json" in described.json()["paths"]


def test_session_expiry_is_reported_in_session_json(client_for: Login) -> None:
    data = client_for("lead").get("/session.json").json()
    assert datetime.fromisoformat(data["expires_at"]) > clock.utc_datetime() + timedelta(hours=7)
