"""Who is logged in, and the CSRF token of their session.

Sessions are signed cookies (Starlette's SessionMiddleware, itsdangerous). Every form carries the session's
CSRF token and every POST is refused without it (synchroniser-token pattern, OWASP CSRF cheat sheet).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from totalplace.errors import AuthenticationError, CsrfError
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store.users import grants_of, user_by_name


class LoginRequiredError(AuthenticationError):
    """No one is logged in; pages redirect to the login form, JSON answers 401."""

    code = "TP203"


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a POST whose token is not the session's."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfError("the form was not sent from this session", hint="reload the page and try again")


def current_principal(request: Request) -> Principal:
    """The logged-in user with their roles, or LoginRequiredError."""
    username = request.session.get("user")
    if not isinstance(username, str):
        raise LoginRequiredError("please log in")
    place: Place = request.app.state.place
    with place.read() as conn:
        try:
            user = user_by_name(conn, username)
        except Exception:
            request.session.clear()
            raise LoginRequiredError("please log in again") from None
        if not user.active:
            request.session.clear()
            raise LoginRequiredError("this account is disabled")
        return Principal(user.username, user.is_admin, tuple(grants_of(conn, user.id)))


def acting_user(request: Request, token: str, action: str) -> Principal:
    """The user behind a form that changes something: its CSRF token checked and ``action`` allowed."""
    check_csrf(request, token)
    principal = current_principal(request)
    principal.require(action)
    return principal
