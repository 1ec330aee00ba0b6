"""The upload form: the same import framework as the CLI, refusals shown in the page beside their fields.

The file is streamed to disk by ``upload_stream.receive_upload`` (who may upload is settled early, before the
body is read, and exactly by the importer for the partner or indicators the file is for) and the importer
is handed its path. The form offers only the kinds of data and the partners the user may import for, and
"the whole place" only to those who may change the place's own data (geography.change).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from totalplace.datasets.importer import ImportRequest, ImportResult, import_file
from totalplace.datasets.kinds import KINDS
from totalplace.engines.estate.sites import import_sites
from totalplace.engines.segment.census import import_census
from totalplace.engines.segment.spec import load_spec
from totalplace.errors import (
    ImportRejectedError,
    NotFoundError,
    PartnerRequiredError,
    PermissionDeniedError,
    TotalplaceError,
)
from totalplace.governance.policy import Resource
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store.areas import AREA_LEVELS
from totalplace.store.partners import list_partners
from totalplace.web.render import page, twin
from totalplace.web.upload_stream import UploadForm, receive_upload, upload_route

router = APIRouter()
TYPED_FIELDS = ("kind", "partner", "level", "asset_type")


def upload_choices(place: Place, principal: Principal) -> dict[str, Any]:
    """What the form offers this principal: the kinds of data it may import, the partners it may import
    for, whether it may import for the whole place, and the area levels."""
    with place.read() as conn:
        partners = list_partners(conn)
    mine = [p.name for p in partners if principal.can("batch.import", Resource("batch", p.name, owner=p.id))]
    whole_place = principal.can("geography.change")
    offered = {
        "partner": bool(mine),
        "place": whole_place,
        "indicator": principal.may("indicator.count"),
        "records": False,  # records about people have their own form, naming their agreement
    }
    kinds = {name: kind for name, kind in KINDS.items() if offered[kind.access]}
    return {
        "kinds": {name: kind.schema.title for name, kind in kinds.items()},
        "kind_access": {name: kind.access for name, kind in kinds.items()},
        "partners": mine,
        "whole_place": whole_place,
        "levels": AREA_LEVELS,
    }


@twin(router, "/datasets/upload", "upload.html")
def upload_form(request: Request, principal: Principal) -> dict[str, Any]:
    """The upload form, offering what this user may import."""
    principal.require_any("batch.import")
    data = upload_choices(request.app.state.place, principal)
    return {**data, "typed": {"level": "lsoa"}, "problems": {}}


def _run_upload(place: Place, form: UploadForm) -> ImportResult:
    """Import the form's file as its kind: a partner's data for the partner chosen, the place's own data or
    observations for the whole place (the partner field is not theirs). The importer asks the policy."""
    kind, principal = form.required("kind"), form.principal
    access = KINDS[kind].access if kind in KINDS else "partner"
    partner = form.text("partner").strip() or None if access == "partner" else None
    upload = form.file("file")
    if kind == "census":
        return import_census(place, upload.path, load_spec("oac2021"), principal=principal)[0]
    if kind == "assets":
        asset_type = form.text("asset_type") or None
        return import_sites(
            place, upload.path, partner=partner or "", asset_type=asset_type, principal=principal
        )[0]
    options = {"level": form.text("level", "lsoa")} if kind == "geography" else {}
    request_ = ImportRequest(kind, partner, options=options)
    return import_file(
        place, upload.path, request_, principal=principal, source_name=upload.filename or "upload"
    )


def _field_of(error: TotalplaceError, access: str) -> str:
    """The field of the form a refusal is about, to show it beside."""
    if isinstance(error, PartnerRequiredError | NotFoundError) and access == "partner":
        return "partner"
    if isinstance(error, PermissionDeniedError):
        return {"partner": "partner", "place": "kind"}.get(access, "file")
    return "file"


def refused_upload(request: Request, form: UploadForm, error: TotalplaceError) -> Response:
    """The form again, inside the page, with what was typed and the problem beside its field."""
    kind = form.text("kind")
    access = KINDS[kind].access if kind in KINDS else "partner"
    message = (
        f"{error.message} ({error.hint}) [{error.code}]" if error.hint else f"{error.message} [{error.code}]"
    )
    data = {
        **upload_choices(request.app.state.place, form.principal),
        "typed": {**{name: form.text(name) for name in TYPED_FIELDS}, "level": form.text("level") or "lsoa"},
        "problems": {_field_of(error, access): message},
        "rejected": error.to_dict() if isinstance(error, ImportRejectedError) else None,
    }
    return page(request, "upload.html", data, status_code=error.http_status, principal=form.principal)


@upload_route(router, "/datasets/upload")
async def upload(request: Request) -> Response:
    """Import an uploaded file; on refusal show the form again with every problem."""
    place: Place = request.app.state.place
    async with receive_upload(request, "batch.import") as form:
        try:
            result = await run_in_threadpool(_run_upload, place, form)
        except TotalplaceError as error:
            return refused_upload(request, form, error)
    return RedirectResponse(f"/datasets/{result.batch.id}?status={result.status}", status_code=303)


@upload_route(router, "/datasets/upload.json")
async def upload_json(request: Request) -> Response:
    """The upload as an API, with the session's token in X-CSRF-Token (multipart fields: file, kind,
    partner, level, asset_type).

    Answers 201 when imported, 200 when unchanged, 422 with every problem when refused.
    """
    place: Place = request.app.state.place
    async with receive_upload(request, "batch.import", csrf="header") as form:
        result = await run_in_threadpool(_run_upload, place, form)
    return JSONResponse(result.to_dict(), status_code=201 if result.status == "imported" else 200)
