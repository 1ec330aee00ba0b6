"""Logging in and out, and a user's own account: their sessions and a new password.

Every password check is throttled per user name and per client address (``store.login_throttle``), runs one
Argon2 verification whether or not the user exists, and is written to the audit trail.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from totalplace.errors import AuthenticationError, LoginThrottledError, NotFoundError, RequestInvalidError
from totalplace.governance.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, verify_password
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store import audit, clock, login_throttle, sessions
from totalplace.store.login_throttle import Refusal, ThrottleKey, ThrottlePolicy
from totalplace.store.users import User, set_password, user_by_name
from totalplace.web.forms import form_page
from totalplace.web.render import page, wants_json
from totalplace.web.session import check_csrf, csrf_token, current_session, session_state

router = APIRouter()


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


def _safe_next(target: str) -> str:
    # Only local paths: an open redirect would let a link send a user elsewhere after logging in.
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _address(request: Request) -> str:
    # Behind a reverse proxy this is the proxy unless uvicorn trusts its X-Forwarded-For (docs/guide.md).
    return request.client.host if request.client else "unknown"


def _throttled(refusal: Refusal, now: datetime) -> LoginThrottledError:
    wait = max(1, math.ceil((refusal.until - now).total_seconds()))
    whom = "this user name" if refusal.kind == "user" else "this address"
    return LoginThrottledError(
        f"too many wrong passwords in a row for {whom}; try again after "
        f"{refusal.until:%H:%M:%S} UTC (in {wait} second{'s' if wait != 1 else ''})",
        retry_after=wait,
        hint="the wait doubles with each further wrong password; an administrator can clear it with "
        "`totalplace user unblock NAME`",
    )


def check_password(request: Request, username: str, password: str, *, purpose: str) -> User | None:
    """The user whose password this is, or None; throttled, the same work for unknown users, audited.

    Raises LoginThrottledError, without checking the password, while the user name or address must wait.
    """
    place, name = _place(request), username.strip().lower()[:80]
    keys = (ThrottleKey.of("user", name), ThrottleKey.of("address", _address(request)))
    now, policy = clock.utc_datetime(), ThrottlePolicy.from_settings()
    with place.begin() as conn:
        refusal = login_throttle.begin_attempt(conn, keys, now, policy)
        if refusal is not None and refusal.first:
            detail = {"until": clock.as_text(refusal.until), "by": refusal.kind}
            audit.append(
                conn,
                actor=name or "?",
                action="login.throttled",
                object_type="session",
                object_id=purpose,
                detail=detail,
            )
    if refusal is not None:
        raise _throttled(refusal, now)
    with place.read() as conn:
        try:
            user: User | None = user_by_name(conn, name)
        except NotFoundError:
            user = None
    usable = user is not None and user.active
    # Argon2 runs for unknown and disabled users too (against a dummy hash), so timing tells nothing.
    ok = verify_password(user.password_hash if user is not None and usable else None, password) and usable
    with place.begin() as conn:
        if ok:
            login_throttle.attempt_succeeded(conn, keys)
        audit.append(
            conn,
            actor=name or "?",
            action="login" if ok else "login.failed",
            object_type="session",
            object_id=purpose,
            detail={},
        )
    return user if ok else None


def _start_session(request: Request, user_id: int) -> None:
    """A new session (a new id: session fixation) replacing the request's old one, if any."""
    state, place = session_state(request), _place(request)
    now, policy = clock.utc_datetime(), sessions.SessionPolicy.from_settings()
    with place.begin() as conn:
        if state.cookie_id is not None:
            sessions.end_session(conn, state.cookie_id)
        sessions.purge_expired(conn, now, policy)
        login_throttle.purge(conn, now, ThrottlePolicy.from_settings())
        new = sessions.start_session(
            conn,
            user_id=user_id,
            now=now,
            policy=policy,
            address=_address(request),
            user_agent=request.headers.get("user-agent"),
        )
    state.begin(new)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The login form."""
    return page(request, "login.html", {"next": _safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password and start a session."""
    check_csrf(request, csrf_token)
    try:
        user = check_password(request, username, password, purpose="web")
    except LoginThrottledError as error:
        response = page(
            request, "login.html", {"next": _safe_next(next), "error": error.to_dict()}, status_code=429
        )
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if user is None:
        wrong = AuthenticationError("wrong user name or password")
        return page(
            request, "login.html", {"next": _safe_next(next), "error": wrong.to_dict()}, status_code=401
        )
    _start_session(request, user.id)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
    """End the session: its row is deleted, so the cookie is worthless from now on, wherever it went."""
    state = session_state(request)
    active = state.active()
    if active is not None and state.cookie_id is not None:
        check_csrf(request, csrf_token)
        with _place(request).begin() as conn:
            sessions.end_session(conn, state.cookie_id)
            audit.append(
                conn,
                actor=active.username,
                action="logout",
                object_type="session",
                object_id="web",
                detail={},
            )
    state.end()
    return RedirectResponse("/login", status_code=303)


@router.get("/session.json")
def session_json(request: Request) -> Response:
    """Who is logged in and the CSRF token API clients send as X-CSRF-Token."""
    active = current_session(request)
    return JSONResponse(
        {
            "user": active.username,
            "is_admin": active.is_admin,
            "roles": [g.__dict__ for g in active.grants],
            "csrf_token": csrf_token(request),
            "expires_at": clock.as_text(active.expires_at),
        }
    )


@form_page(router, "/account", "account.html")
def account(request: Request, principal: Principal) -> dict[str, Any]:
    """The user's own sessions (where and when), the form for a new password, and "log out everywhere"."""
    active = current_session(request)
    with _place(request).read() as conn:
        listed = sessions.list_sessions(conn, active.user_id)
    return {
        "user": principal.username,
        "password_min_length": MIN_LENGTH,
        "changed": request.query_params.get("changed"),
        "sessions": [
            {
                "created_at": s.created_at,
                "last_seen_at": s.last_seen_at,
                "expires_at": s.expires_at,
                "address": s.address,
                "user_agent": s.user_agent,
                "current": s.id_hash == active.id_hash,
            }
            for s in listed
        ],
    }


def _new_password_problems(new_password: str, confirm_password: str) -> list[dict[str, str]]:
    """What is wrong with a new password, beside its field (the password itself is never echoed)."""
    if not MIN_LENGTH <= len(new_password) <= MAX_LENGTH:
        message = f"a password has from {MIN_LENGTH} to {MAX_LENGTH} characters"
        return [{"parameter": "new_password", "message": message}]
    if new_password != confirm_password:
        return [{"parameter": "confirm_password", "message": "type the same new password twice"}]
    return []


_PASSWORDS = ("current_password", "new_password", "confirm_password")


@router.post("/account/password")
def change_password(
    request: Request,
    current_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
    confirm_password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
) -> Response:
    """A new password: every session of the user ends, and this browser gets a fresh one. A refusal is
    shown again in the account page, beside the field it is about."""
    active = current_session(request)
    check_csrf(request, csrf_token)
    principal = Principal(active.username, active.is_admin, active.grants)
    blank = dict.fromkeys(_PASSWORDS, "")

    def change() -> Response:
        problems = _new_password_problems(new_password, confirm_password)
        if problems:
            raise RequestInvalidError(problems)
        new_hash = hash_password(new_password)
        if check_password(request, active.username, current_password, purpose="password-change") is None:
            wrong = AuthenticationError(
                "the current password is wrong", hint="type the password you log in with"
            )
            if wants_json(request):
                raise wrong
            return account.refused(
                request, principal, wrong, blank, main="current_password", secret=_PASSWORDS
            )
        with _place(request).begin() as conn:
            ended = set_password(
                conn, username=active.username, password_hash=new_hash, actor=active.username
            )
        _start_session(request, active.user_id)
        return RedirectResponse(f"/account?changed={max(0, ended - 1)}", status_code=303)

    return account.submit(request, principal, blank, change, secret=_PASSWORDS)


account.receives("/account/password", secret=_PASSWORDS)


@router.post("/account/logout-others")
def logout_others(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
    """Log out everywhere else: every other session of the user ends."""
    active = current_session(request)
    check_csrf(request, csrf_token)
    with _place(request).begin() as conn:
        sessions.end_user_sessions(
            conn, active.user_id, actor=active.username, reason="log out everywhere else", keep=active.id_hash
        )
    return RedirectResponse("/account", status_code=303)
