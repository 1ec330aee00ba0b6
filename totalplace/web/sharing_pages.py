"""The information-sharing agreement pages: the list with each agreement's status, one agreement whole, and
forms to add one and to vary one (YAML pasted or uploaded, with a reason). A refused agreement is shown again
with its text kept and each problem listed with its line. Every page has a ``.json`` twin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from totalplace.engines.people.sharing import (
    add_agreement,
    agreement_resource,
    get_agreement,
    list_agreements,
    vary_agreement,
)
from totalplace.errors import RequestInvalidError, TotalplaceError
from totalplace.governance.roles import Principal
from totalplace.history import may_view
from totalplace.place import Place
from totalplace.reports.sharing import agreement_view, agreements_view
from totalplace.web import params
from totalplace.web.forms import FORM_STATUSES, FormPage, form_page
from totalplace.web.render import twin, wants_json
from totalplace.web.upload_stream import UploadForm, receive_upload, upload_route

router = APIRouter()
# The YAML may be pasted (``yaml``) or uploaded (``file``); an uploaded file is read as the text.
_MAX_YAML = 256 * 1024


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


@twin(router, "/sharing", "sharing.html")
def agreements(request: Request, principal: Principal) -> dict[str, Any]:
    """The place's information-sharing agreements, each with its status."""
    found = list_agreements(_place(request), principal)
    return agreements_view(found, can_add=principal.may("sharing.change")).to_dict()


@form_page(router, "/sharing-new", "sharing_new.html")
def new_form(request: Request, principal: Principal) -> dict[str, Any]:
    """The form to add an agreement."""
    principal.require_any("sharing.change")
    return {}


@form_page(router, "/sharing/{name}", "sharing_agreement.html")
def agreement(request: Request, principal: Principal) -> dict[str, Any]:
    """One agreement whole, with the form to vary it for those who may."""
    place = _place(request)
    name = params.path_name(request, "name", "agreement name")
    detail = get_agreement(place, principal, name)
    with place.read() as conn:
        can_vary = principal.can("sharing.change", agreement_resource(conn, name))
        history = f"/history/sharing/{name}" if may_view(principal, conn, "sharing", name) else None
    return agreement_view(detail, can_vary=can_vary, history=history).to_dict()


async def _text(form: UploadForm) -> str:
    """The agreement's YAML: the uploaded file when one was chosen, else the pasted text."""
    upload = form.optional_file("file")
    if upload is not None and upload.size > 0:
        if upload.size > _MAX_YAML:
            raise RequestInvalidError([{"parameter": "file", "message": "an agreement is at most 256 KB"}])
        data = await run_in_threadpool(upload.path.read_bytes)
        return data.decode("utf-8-sig", errors="replace")
    text = form.text("yaml")
    if not text.strip():
        message = "paste the agreement's YAML here, or choose a file to upload"
        raise RequestInvalidError([{"parameter": "yaml", "message": message}])
    return text


@upload_route(router, "/sharing-new")
async def add(request: Request) -> Response:
    """Check an agreement and keep it as version 1, if the user may change an agreement between its
    parties; a refusal shows the form again with the text and each problem with its line."""
    async with receive_upload(request, "sharing.change") as form:
        principal, reason = form.principal, form.text("reason")[:500]
        values = {"yaml": form.text("yaml"), "reason": reason}

        async def change() -> Response:
            values["yaml"] = await _text(form)
            kept = await run_in_threadpool(
                add_agreement, _place(request), principal, values["yaml"], "agreement.yaml", reason
            )
            return RedirectResponse(f"/sharing/{kept.summary.name}", status_code=303)

        return await _submit(request, new_form, principal, values, change)


@upload_route(router, "/sharing/{name}/vary")
async def vary(request: Request, name: str) -> Response:
    """Keep the text as the agreement's next version, if the user may change it as its parties stand and
    as the variation would leave them; a refusal shows the agreement again with the form kept."""
    name = params.safe_name(name, "agreement name")
    async with receive_upload(request, "sharing.change") as form:
        principal, reason = form.principal, form.text("reason")[:500]
        values = {"yaml": form.text("yaml"), "reason": reason}

        async def change() -> Response:
            values["yaml"] = await _text(form)
            await run_in_threadpool(
                vary_agreement, _place(request), principal, name, values["yaml"], f"{name}.yaml", reason
            )
            return RedirectResponse(f"/sharing/{name}", status_code=303)

        return await _submit(request, agreement, principal, values, change)


async def _submit(
    request: Request,
    form_page_: FormPage,
    principal: Principal,
    values: dict[str, str],
    change: Callable[[], Awaitable[Response]],
) -> Response:
    """Run ``change``; a refusal of what was sent draws the form's page again with the text kept and each
    problem beside the YAML (with its line) or the reason (as :meth:`FormPage.submit`, awaited)."""
    try:
        return await change()
    except TotalplaceError as error:
        if wants_json(request) or error.http_status not in FORM_STATUSES:
            raise
        return await run_in_threadpool(form_page_.refused, request, principal, error, values, main="yaml")
