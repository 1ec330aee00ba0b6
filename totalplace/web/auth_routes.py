"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from totalplace.errors import AuthenticationError, NotFoundError
from totalplace.governance.passwords import verify_password
from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.users import user_by_name
from totalplace.web.render import page
from totalplace.web.session import check_csrf

router = APIRouter()


def _safe_next(target: str) -> str:
    # Only local paths: an open redirect would let a link send a user elsewhere after logging in.
    return target if target.startswith("/") and not target.startswith("//") else "/"


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
    place: Place = request.app.state.place
    with place.begin() as conn:
        try:
            user = user_by_name(conn, username)
            ok = user.active and verify_password(user.password_hash, password)
        except NotFoundError:
            ok = False
        audit.append(
            conn,
            actor=username.strip().lower()[:80] or "?",
            action="login" if ok else "login.failed",
            object_type="session",
            object_id="web",
            detail={},
        )
    if not ok:
        error = AuthenticationError("wrong user name or password")
        return page(
            request, "login.html", {"next": _safe_next(next), "error": error.to_dict()}, status_code=401
        )
    # A new session on login: nothing from before (including the CSRF token) carries over (session fixation).
    request.session.clear()
    request.session["user"] = user.username
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
    """End the session."""
    check_csrf(request, csrf_token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/session.json")
def session_json(request: Request) -> Response:
    """Who is logged in and the CSRF token API clients send as X-CSRF-Token."""
    from fastapi.responses import JSONResponse

    from totalplace.web.session import csrf_token, current_principal

    principal = current_principal(request)
    return JSONResponse(
        {
            "user": principal.username,
            "is_admin": principal.is_admin,
            "roles": [g.__dict__ for g in principal.grants],
            "csrf_token": csrf_token(request),
        }
    )
