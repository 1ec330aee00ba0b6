"""Who is logged in, and the CSRF token of their session.

Sessions are held in the store (``store.sessions``); the browser keeps only a random id in an HttpOnly,
SameSite=Strict cookie (Secure over https). Logging out, a new password, disabling the user and "log out
everywhere" delete the row, so a cookie captured earlier stops working at once in every server process.

Every form carries the session's CSRF token and every POST is refused without it (synchroniser-token pattern,
OWASP CSRF cheat sheet). Before login there is no session, so the login form's token is kept in a cookie
signed with the place's secret key and checked against the form (signed double-submit cookie, same sheet).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from totalplace import settings
from totalplace.errors import AuthenticationError, ConfigurationError, CsrfError
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store import clock
from totalplace.store.sessions import (
    ActiveSession,
    NewSession,
    SessionPolicy,
    find_session,
    needs_touch,
    touch_session,
)

SESSION_COOKIE = "totalplace_session"
LOGIN_CSRF_COOKIE = "totalplace_login_csrf"
_SCOPE_KEY = "totalplace.session"
_SECURE_CHOICES = ("auto", "always", "never")


class LoginRequiredError(AuthenticationError):
    """No one is logged in; pages redirect to the login form, JSON answers 401."""

    code = "TP203"


class SessionState:
    """One request's session: read from the store at most once, and the cookies to send back."""

    def __init__(self, place: Place, cookie_id: str | None, login_csrf: str | None) -> None:
        self.place = place
        self.cookie_id = cookie_id or None
        self.login_csrf = login_csrf
        self._loaded = False
        self._active: ActiveSession | None = None
        self._set_session: NewSession | None = None
        self._clear_session = False
        self._new_login_csrf = False

    def active(self) -> ActiveSession | None:
        """The live session, if any: one indexed lookup, and a write of last-seen at most once a minute."""
        if self._loaded:
            return self._active
        self._loaded = True
        if self.cookie_id is None:
            return None
        now = clock.utc_datetime()
        with self.place.read() as conn:
            found = find_session(conn, self.cookie_id, now, SessionPolicy.from_settings())
        if found is None:
            self._clear_session = True  # the browser forgets a dead id
        elif needs_touch(found, now):
            with self.place.begin() as conn:
                touch_session(conn, found.id_hash, now)
        self._active = found
        return found

    def csrf_token(self) -> str:
        """The token forms carry: the session's, or before login the login form's (made on first use)."""
        active = self.active()
        if active is not None:
            return active.csrf_token
        if self.login_csrf is None:
            self.login_csrf = secrets.token_urlsafe(32)
            self._new_login_csrf = True
        return self.login_csrf

    def expected_csrf(self) -> str | None:
        """The token a POST must carry (never one made during this request)."""
        active = self.active()
        if active is not None:
            return active.csrf_token
        return None if self._new_login_csrf else self.login_csrf

    def begin(self, new: NewSession) -> None:
        """Send the new session's id; the login form's token is spent (nothing carries over a login)."""
        self._set_session, self._clear_session = new, False
        self.login_csrf, self._new_login_csrf = None, False

    def end(self) -> None:
        """Tell the browser to forget its session id."""
        self._set_session, self._clear_session = None, True
        self._loaded, self._active = True, None

    def cookie_headers(self, secret: bytes, secure: bool) -> list[str]:
        """The Set-Cookie headers this request's changes need."""
        out = []
        if self._set_session is not None:
            max_age = int(SessionPolicy.from_settings().absolute.total_seconds())
            out.append(_cookie(SESSION_COOKIE, self._set_session.cookie_id, max_age, secure))
            out.append(_cookie(LOGIN_CSRF_COOKIE, "", 0, secure))
        elif self._clear_session:
            out.append(_cookie(SESSION_COOKIE, "", 0, secure))
        if self._new_login_csrf and self.login_csrf is not None:
            out.append(_cookie(LOGIN_CSRF_COOKIE, _sign(secret, self.login_csrf), None, secure))
        return out


def _cookie(name: str, value: str, max_age: int | None, secure: bool) -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.insert(2, f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def _signature(secret: bytes, token: str) -> str:
    return hmac.new(secret, b"login-csrf:" + token.encode("ascii", "replace"), hashlib.sha256).hexdigest()


def _sign(secret: bytes, token: str) -> str:
    return f"{token}.{_signature(secret, token)}"


def _unsign(secret: bytes, value: str | None) -> str | None:
    token, _, signature = (value or "").partition(".")
    if not token or not hmac.compare_digest(_signature(secret, token), signature):
        return None
    return token


def secure_cookies(scope: Scope) -> bool:
    """Whether cookies get the Secure flag (TOTALPLACE_COOKIE_SECURE: auto, always or never)."""
    choice = (settings.get_str("cookie_secure") or "auto").lower()
    if choice not in _SECURE_CHOICES:
        raise ConfigurationError(
            f"TOTALPLACE_COOKIE_SECURE={choice!r} is not one of {', '.join(_SECURE_CHOICES)}"
        )
    return choice == "always" or (choice == "auto" and scope.get("scheme") == "https")


class SessionMiddleware:
    """Gives each request its :class:`SessionState` and sends back the cookies its changes need.

    Nothing is read from the store here: the session is looked up only when a route asks who is logged in,
    so static files and refused requests cost nothing.
    """

    def __init__(self, app: ASGIApp, *, place: Place) -> None:
        self.app = app
        self.place = place
        self.secret = place.secret_key().encode("utf-8")
        secure_cookies({})  # refuse a wrong setting when the app starts, not at the first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = next((v for k, v in scope["headers"] if k == b"cookie"), b"")
        cookies = cookie_parser(raw.decode("latin-1"))
        state = SessionState(
            self.place, cookies.get(SESSION_COOKIE), _unsign(self.secret, cookies.get(LOGIN_CSRF_COOKIE))
        )
        scope[_SCOPE_KEY] = state

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for value in state.cookie_headers(self.secret, secure_cookies(scope)):
                    headers.append("set-cookie", value)
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def session_state(request: Request) -> SessionState:
    """The request's session state (the app must run :class:`SessionMiddleware`)."""
    state = request.scope.get(_SCOPE_KEY)
    if not isinstance(state, SessionState):
        raise ConfigurationError("the web app runs without its session middleware")
    return state


def csrf_token(request: Request) -> str:
    """The token the request's forms carry."""
    return session_state(request).csrf_token()


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a POST whose token is not its session's (or, before login, not the login form's)."""
    expected = session_state(request).expected_csrf()
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfError("the form was not sent from this session", hint="reload the page and try again")


def current_session(request: Request) -> ActiveSession:
    """The live session, or LoginRequiredError."""
    state = session_state(request)
    active = state.active()
    if active is None:
        ended = state.cookie_id is not None
        raise LoginRequiredError("your session has ended; please log in again" if ended else "please log in")
    return active


def current_principal(request: Request) -> Principal:
    """The logged-in user with their roles, or LoginRequiredError."""
    active = current_session(request)
    return Principal(active.username, active.is_admin, active.grants)


def acting_user(request: Request, token: str, action: str) -> Principal:
    """The user behind a form that changes something: logged in, CSRF token checked, ``action`` allowed."""
    principal = current_principal(request)
    check_csrf(request, token)
    principal.require_any(action)  # the early check; the library function decides on the resource itself
    return principal
