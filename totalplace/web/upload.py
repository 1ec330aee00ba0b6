"""The upload form: the same import framework as the CLI, refusals shown row by row (HTTP 422)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from totalplace import settings
from totalplace.datasets.importer import ImportRequest, ImportResult, import_file
from totalplace.datasets.kinds import KINDS
from totalplace.datasets.problems import FILE_TOO_LARGE
from totalplace.engines.estate.sites import import_sites
from totalplace.engines.segment.census import import_census
from totalplace.engines.segment.spec import load_spec
from totalplace.errors import ImportRejectedError, RowProblem
from totalplace.place import Place
from totalplace.store.areas import AREA_LEVELS
from totalplace.store.partners import list_partners, partner_by_name
from totalplace.web.render import page
from totalplace.web.session import check_csrf, current_principal

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
    principal.require("datasets.import")
    return page(request, "upload.html", _form_data(request), principal=principal)


async def _run_upload(
    request: Request, file: UploadFile, kind: str, partner: str, level: str, asset_type: str = ""
) -> ImportResult:
    principal = current_principal(request)
    place: Place = request.app.state.place
    partner_id = None
    if partner:
        with place.read() as conn:
            partner_id = partner_by_name(conn, partner).id
    principal.require("datasets.import", partner_id)
    limit = settings.get_int("max_import_bytes")
    data = await file.read(limit + 1)
    name = file.filename or "upload"
    if len(data) > limit:
        raise ImportRejectedError(
            name, [RowProblem(FILE_TOO_LARGE, name, 0, "", "", f"the file is larger than {limit:,} bytes")]
        )
    if kind in ("census", "assets"):
        return _import_via_reader(place, data, name, kind, partner, asset_type, principal.username)
    request_ = ImportRequest(
        kind, partner or None, principal.username, options={"level": level} if kind == "geography" else {}
    )
    return import_file(place, data, request_, source_name=name)


def _import_via_reader(
    place: Place, data: bytes, name: str, kind: str, partner: str, asset_type: str, actor: str
) -> ImportResult:
    """Census tables and site registers are read in their published layouts first, from a private copy."""
    with tempfile.TemporaryDirectory(dir=place.dir / "data") as work:
        path = Path(work) / Path(name).name
        path.write_bytes(data)
        if kind == "census":
            result, _ = import_census(place, path, load_spec("oac2021"), actor=actor)
        else:
            result, _ = import_sites(place, path, partner=partner, asset_type=asset_type or None, actor=actor)
    return result


@router.post("/datasets/upload")
async def upload(
    request: Request,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    partner: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "lsoa",
    asset_type: Annotated[str, Form()] = "",
) -> Response:
    """Import an uploaded file; on refusal show every problem on the form again."""
    check_csrf(request, csrf_token)
    try:
        result = await _run_upload(request, file, kind, partner, level, asset_type)
    except ImportRejectedError as error:
        data = {
            **_form_data(request),
            "rejected": error.to_dict(),
            "chosen": {"kind": kind, "partner": partner},
        }
        return page(request, "upload.html", data, status_code=422, principal=current_principal(request))
    return RedirectResponse(f"/datasets/{result.batch.id}?status={result.status}", status_code=303)


@router.post("/datasets/upload.json")
async def upload_json(
    request: Request,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
    partner: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "lsoa",
    asset_type: Annotated[str, Form()] = "",
) -> Response:
    """The upload as an API, with the session's token in X-CSRF-Token.

    Answers 201 when imported, 200 when unchanged, 422 with every problem when refused.
    """
    check_csrf(request, request.headers.get("x-csrf-token"))
    result = await _run_upload(request, file, kind, partner, level, asset_type)
    return JSONResponse(result.to_dict(), status_code=201 if result.status == "imported" else 200)
