"""An object's history: its versions with who, when and why and the diff to the one before, two versions
compared, and a form to restore one (with a reason). ``/history/{kind}/{name}`` and its ``.json`` twin.

Who sees it is :func:`totalplace.history.may_view` (the audit trail's readers, and whoever may change the
object); who may restore, :func:`totalplace.history.may_restore`; the restore itself asks the policy again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from totalplace.errors import TotalplaceError, VersionNotFoundError
from totalplace.governance.roles import Principal
from totalplace.history import Comparison, compare, object_history, restore
from totalplace.place import Place
from totalplace.store.versions import KINDS
from totalplace.web import params
from totalplace.web.render import page, twin
from totalplace.web.session import check_csrf, current_principal

router = APIRouter()
MAX_VERSION = 1_000_000


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


def _object(request: Request) -> tuple[str, str]:
    kind = params.path_name(request, "kind", "kind")
    if kind not in KINDS:
        raise VersionNotFoundError(f"no kind {kind[:40]!r} of versioned object", hint=", ".join(KINDS))
    return kind, params.path_name(request, "name", "name")


def _history(request: Request, principal: Principal, restore_form: dict[str, Any]) -> dict[str, Any]:
    """The page's data: the history, two versions compared (``?a=&b=``), and the restore form's state."""
    kind, name = _object(request)
    place = _place(request)
    found = object_history(place, principal, kind, name)
    newest = found.steps[-1].version.version
    a = params.whole(request, "a", max(1, newest - 1), 1, MAX_VERSION)
    b = params.whole(request, "b", newest, 1, MAX_VERSION)
    compared: Comparison | None = None
    if "a" in request.query_params or "b" in request.query_params:
        compared = compare(place, principal, kind, name, a, b)
    return {
        **found.to_dict(),
        "compare": None if compared is None else compared.to_dict(),
        "a": a,
        "b": b,
        "restore": restore_form,
    }


@twin(router, "/history/{kind}/{name}", "history.html")
def history_page(request: Request, principal: Principal) -> dict[str, Any]:
    """Every version of the object with its diff, every audit record about it, and the restore form."""
    return _history(request, principal, {"version": "", "reason": "", "error": None})


@router.post("/history/{kind}/{name}/restore")
def restore_version(
    request: Request,
    csrf_token: Annotated[str, Form()],
    version: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Bring a version back as the newest (a new version); a refusal shows the page again with the form as
    typed and the problem beside it."""
    principal = current_principal(request)
    check_csrf(request, csrf_token)
    kind, name = _object(request)
    form: dict[str, Any] = {"version": version[:20], "reason": reason[:500], "error": None}
    try:
        number = _version_number(version)
        restore(_place(request), principal, kind, name, number, reason[:500])
    except TotalplaceError as exc:
        form["error"] = {**exc.to_dict(), "field": _field_of(exc, version)}
        data = _history(request, principal, form)
        return page(request, "history.html", data, status_code=exc.http_status, principal=principal)
    return RedirectResponse(f"/history/{kind}/{name}", status_code=303)


def _version_number(text: str) -> int:
    if not text.strip().isdigit() or not 0 < int(text) <= MAX_VERSION:
        raise VersionNotFoundError(f"{text[:20]!r} is not a version number", hint="choose a version")
    return int(text)


def _field_of(error: TotalplaceError, version: str) -> str:
    """Which field a refusal is about, to show it there: the version, the reason, or the form as a whole."""
    if isinstance(error, VersionNotFoundError):
        return "version"
    if "reason" in error.message:
        return "reason"
    return "form"
