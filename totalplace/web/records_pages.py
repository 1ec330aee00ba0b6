"""Records about people on the web: importing a partner's extract under its agreement, and the national data
opt-out list (its status, and uploading a new response). Refusals are shown in the page beside their field;
every page has a ``.json`` twin. No page shows an identifier.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from totalplace.datasets.records import SHARING, RecordsResult, import_records
from totalplace.engines.people.optout import OptOutStatus, import_optout, optout_status
from totalplace.errors import (
    ImportRejectedError,
    InvalidInputError,
    NoAgreementError,
    NotFoundError,
    PermissionDeniedError,
    SharingError,
    TotalplaceError,
)
from totalplace.governance.policy import Resource
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.records import optout_view, records_result_view
from totalplace.store import versions
from totalplace.store.partners import list_partners
from totalplace.web.render import page, twin
from totalplace.web.upload_stream import UploadForm, receive_upload, upload_route

router = APIRouter()
RECORDS_FIELDS = ("partner", "agreement", "source")


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


def records_choices(place: Place, principal: Principal) -> dict[str, Any]:
    """The partners this principal may import records for, and the agreements the place holds."""
    with place.read() as conn:
        partners = list_partners(conn)
        agreements = [v.name for v in versions.currents(conn, SHARING)]
    mine = [
        p.name for p in partners if principal.can("records.import", Resource("batch", p.name, owner=p.id))
    ]
    return {"partners": mine, "agreements": agreements}


@twin(router, "/people/records/upload", "records_upload.html")
def records_form(request: Request, principal: Principal) -> dict[str, Any]:
    """The form to import a partner's extract of records about people under an agreement."""
    principal.require_any("records.import")
    return {**records_choices(_place(request), principal), "typed": {}, "problems": {}, "result": None}


def _run_records(place: Place, form: UploadForm) -> RecordsResult:
    upload = form.file("file")
    return import_records(
        place,
        form.principal,
        upload.path,
        partner=form.required("partner"),
        agreement=form.required("agreement"),
        source=form.required("source"),
        source_name=upload.filename or "upload",
    )


def _records_field(error: TotalplaceError) -> str:
    """The field of the form a refusal is about."""
    if isinstance(error, NotFoundError | PermissionDeniedError):
        return "partner"
    if isinstance(error, NoAgreementError | SharingError):
        return "agreement"
    return "file"


def _message(error: TotalplaceError) -> str:
    return (
        f"{error.message} ({error.hint}) [{error.code}]" if error.hint else f"{error.message} [{error.code}]"
    )


@upload_route(router, "/people/records/upload")
async def records_upload(request: Request) -> Response:
    """Import the uploaded extract; show what was kept, dropped and excluded, or the form and its problems."""
    place = _place(request)
    async with receive_upload(request, "records.import") as form:
        data = {
            **records_choices(place, form.principal),
            "typed": {name: form.text(name) for name in RECORDS_FIELDS},
            "problems": {},
            "result": None,
        }
        try:
            result = await run_in_threadpool(_run_records, place, form)
        except TotalplaceError as error:
            data["problems"] = {_records_field(error): _message(error)}
            data["rejected"] = error.to_dict() if isinstance(error, ImportRejectedError) else None
            return page(
                request, "records_upload.html", data, status_code=error.http_status, principal=form.principal
            )
    data["result"] = records_result_view(result)
    status = 201 if result.status == "imported" else 200
    return page(request, "records_upload.html", data, status_code=status, principal=form.principal)


@upload_route(router, "/people/records/upload.json")
async def records_upload_json(request: Request) -> Response:
    """The import as an API (multipart fields: file, partner, agreement, source; X-CSRF-Token header)."""
    async with receive_upload(request, "records.import", csrf="header") as form:
        result = await run_in_threadpool(_run_records, _place(request), form)
    status = 201 if result.status == "imported" else 200
    return JSONResponse(records_result_view(result), status_code=status)


@twin(router, "/people/optout", "optout.html")
def optout_page(request: Request, principal: Principal) -> dict[str, Any]:
    """The national data opt-out list in force (date, expiry, count) and the form to upload a new one."""
    principal.require_any("optout.manage")
    return {"status": optout_view(optout_status(_place(request), principal)), "typed": {}, "problems": {}}


def _date(form: UploadForm, name: str, *, required: bool) -> dt.date | None:
    text = form.text(name).strip()
    if not text and not required:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{name}: {text[:20]!r} is not a date", hint="write it as YYYY-MM-DD"
        ) from None


def _run_optout(place: Place, form: UploadForm) -> OptOutStatus:
    form.principal.require("optout.manage")
    list_date = _date(form, "date", required=True)
    expires = _date(form, "expires", required=False)
    upload = form.file("file")
    return import_optout(
        place,
        form.principal,
        upload.path,
        list_date=list_date or dt.date.today(),
        expires=expires,
        source_name=upload.filename or "upload",
    )


@upload_route(router, "/people/optout")
async def optout_upload(request: Request) -> Response:
    """Keep an uploaded response of the opt-out check; show the status, or the form with its problems."""
    place = _place(request)
    async with receive_upload(request, "optout.manage") as form:
        typed = {"date": form.text("date"), "expires": form.text("expires")}
        try:
            status = await run_in_threadpool(_run_optout, place, form)
        except TotalplaceError as error:
            field = "date" if isinstance(error, InvalidInputError) else "file"
            data: dict[str, Any] = {
                "status": optout_view(await run_in_threadpool(optout_status, place, form.principal)),
                "typed": typed,
                "problems": {field: _message(error)},
                "rejected": error.to_dict() if isinstance(error, ImportRejectedError) else None,
            }
            return page(request, "optout.html", data, status_code=error.http_status, principal=form.principal)
    shown = {"status": optout_view(status), "typed": {}, "problems": {}, "imported": True}
    return page(request, "optout.html", shown, status_code=201, principal=form.principal)
