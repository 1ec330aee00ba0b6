"""The upload form: the same import framework as the CLI, refusals shown row by row (HTTP 422).

The file is streamed to disk by ``upload_stream.receive_upload`` (who may upload is settled before the body is
read) and the importer is handed its path.
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
from totalplace.errors import ImportRejectedError
from totalplace.governance.policy import Resource
from totalplace.place import Place
from totalplace.store.areas import AREA_LEVELS
from totalplace.store.partners import list_partners, partner_by_name
from totalplace.web.render import page
from totalplace.web.session import current_principal
from totalplace.web.upload_stream import UploadForm, receive_upload, upload_route

router = APIRouter()


def _form_data(request: Request) -> dict[str, Any]:
    place: Place = request.app.state.place
    with place.read() as conn:
        partners = [p.name for p in list_partners(conn)]
    return {
        "kinds": {k: v.schema.title for k, v in KINDS.items()},
        "partners": partners,
        "levels": AREA_LEVELS,
    }


@router.get("/datasets/upload")
def upload_form(request: Request) -> Response:
    """The upload form."""
    principal = current_principal(request)
    principal.require_any("batch.import")
    return page(request, "upload.html", _form_data(request), principal=principal)


def _run_upload(place: Place, form: UploadForm) -> ImportResult:
    """Import the form's file as its kind, for its partner (the user must be allowed for that partner)."""
    kind, partner = form.required("kind"), form.text("partner")
    upload = form.file("file")
    partner_id = None
    if partner:
        with place.read() as conn:
            partner_id = partner_by_name(conn, partner).id
    if partner_id is None:
        form.principal.require("geography.change")
    else:
        form.principal.require("batch.import", Resource("batch", owner=partner_id))
    actor = form.principal.username
    if kind == "census":
        return import_census(place, upload.path, load_spec("oac2021"), actor=actor)[0]
    if kind == "assets":
        asset_type = form.text("asset_type") or None
        return import_sites(place, upload.path, partner=partner, asset_type=asset_type, actor=actor)[0]
    options = {"level": form.text("level", "lsoa")} if kind == "geography" else {}
    request_ = ImportRequest(kind, partner or None, actor, options=options)
    return import_file(place, upload.path, request_, source_name=upload.filename or "upload")


@upload_route(router, "/datasets/upload")
async def upload(request: Request) -> Response:
    """Import an uploaded file; on refusal show every problem on the form again."""
    place: Place = request.app.state.place
    async with receive_upload(request, "batch.import") as form:
        try:
            result = await run_in_threadpool(_run_upload, place, form)
        except ImportRejectedError as error:
            data = {
                **_form_data(request),
                "rejected": error.to_dict(),
                "chosen": {"kind": form.text("kind"), "partner": form.text("partner")},
            }
            return page(request, "upload.html", data, status_code=422, principal=form.principal)
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
