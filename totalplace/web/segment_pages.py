"""The segmentation pages: the list, one segmentation's map, profiles and names, and its GeoJSON."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from totalplace.engines.segment.assign import read_centroids, read_ranges
from totalplace.engines.segment.run import BuildRequest, assign_segmentation, build_segmentation, diagnose
from totalplace.engines.segment.spec import PACKAGED, load_spec
from totalplace.errors import InvalidInputError, RequestInvalidError
from totalplace.governance.roles import Principal
from totalplace.history import may_view
from totalplace.place import Place
from totalplace.reports.render import to_pdf
from totalplace.reports.segment import (
    diagnose_page,
    segment_collection,
    segment_page,
    segment_report_html,
    segments_page,
)
from totalplace.store import versions
from totalplace.store.segments import (
    NAMES_KIND,
    SegmentationRow,
    clusters_of,
    get_segmentation,
    list_segmentations,
    rename_cluster,
)
from totalplace.web import params
from totalplace.web.forms import form_page
from totalplace.web.render import twin
from totalplace.web.session import acting_user, current_principal
from totalplace.web.upload_stream import receive_upload, upload_route

router = APIRouter()


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


@form_page(router, "/segments", "segments.html")
def segments(request: Request, principal: Principal) -> dict[str, Any]:
    """The place's segmentations."""
    principal.require("figures.read")
    with _place(request).read() as conn:
        rows = list_segmentations(conn)
    return segments_page(rows, PACKAGED, can_build=principal.may("segmentation.change")).to_dict()


def _level(request: Request, seg: SegmentationRow) -> int:
    """The ``level`` of the hierarchy to show: 0 (the coarsest) to the segmentation's deepest."""
    return params.whole(request, "level", 0, 0, max(len(seg.levels) - 1, 0))


@twin(router, "/segments-diagnose", "segment_diagnose.html")
def segment_diagnose(request: Request, principal: Principal) -> dict[str, Any]:
    """Help choosing k: ``?spec=oac2021&k=2-10&starts=10``, within-cluster SS, silhouette and sizes per k."""
    principal.require("figures.read")
    # the web never reads a specification from a path it is given: only a packaged one, by name
    spec_name = params.choice(request, "spec", sorted(PACKAGED), "oac2021") or "oac2021"
    found = re.fullmatch(r"(\d{1,3})(?:-(\d{1,3}))?", params.text(request, "k", longest=7) or "2-10")
    if found is None:
        raise InvalidInputError("k is a range like 2-10", hint="e.g. k=2-10")
    low, high = int(found.group(1)), int(found.group(2) or found.group(1))
    ks = list(range(low, high + 1))
    starts = params.whole(request, "starts", 10, 1, 200)
    if low < 2 or not 1 < len(ks) <= 20:
        raise InvalidInputError("try between 2 and 20 values of k, each at least 2", hint="e.g. k=2-10")
    rows = diagnose(_place(request), load_spec(spec_name), ks, starts=starts, seed=1)
    view = diagnose_page(spec_name, starts, rows)
    return {**view.to_dict(), "_charts": view.charts}


@router.get("/segments/{name}.pdf")
def segment_pdf(request: Request, name: str) -> Response:
    """The segmentation as a report for partners: method, maps and profiles of each level, clusters."""
    current_principal(request).require("figures.read")
    place = _place(request)
    html = segment_report_html(place, params.safe_name(name, "segmentation name"))
    return Response(
        to_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@router.get("/segments/{name}.geojson")
def segment_geojson(request: Request, name: str) -> Response:
    """The areas as a GeoJSON FeatureCollection (``?level=`` picks the level); before the page's route."""
    current_principal(request).require("figures.read")
    place = _place(request)
    with place.read() as conn:
        seg = get_segmentation(conn, params.safe_name(name, "segmentation name"))
    return JSONResponse(
        segment_collection(place, seg, _level(request, seg)), media_type="application/geo+json"
    )


@form_page(router, "/segments/{name}", "segment.html")
def segment(request: Request, principal: Principal) -> dict[str, Any]:
    """One segmentation: its map, clusters with descriptions and names, profiles and (if assigned) doubts."""
    principal.require("figures.read")
    name = params.path_name(request, "name", "segmentation name")
    place = _place(request)
    with place.read() as conn:
        seg = get_segmentation(conn, name)
        clusters = clusters_of(conn, seg.id)
        named = versions.current(conn, NAMES_KIND, name) is not None
        history = (
            f"/history/{NAMES_KIND}/{name}" if named and may_view(principal, conn, NAMES_KIND, name) else None
        )
    view = segment_page(
        place, seg, clusters, _level(request, seg), can_rename=principal.may("segmentation.change")
    )
    return {**view.to_dict(), "history": history, "_charts": view.charts}


@router.post("/segments/{name}/rename")
def rename(
    request: Request,
    name: str,
    code: Annotated[str, Form()],
    new_name: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
) -> Response:
    """Give a cluster a name people will use; a refused name is shown again beside its cluster."""
    principal = acting_user(request, csrf_token, "segmentation.change")

    def save() -> Response:
        if not new_name.strip():
            raise RequestInvalidError([{"parameter": "new_name", "message": "give the cluster a name"}])
        with _place(request).begin() as conn:
            rename_cluster(conn, name, code, new_name.strip()[:200], principal=principal)
        return RedirectResponse(f"/segments/{name}", status_code=303)

    values = {"code": code, "new_name": new_name}
    return segment.submit(request, principal, values, save, main="new_name")


segment.receives("/segments/{name}/rename", main="new_name")


def _levels(levels: str) -> list[int]:
    """The numbers of clusters at each level, as typed ("4,18"); refused beside the field otherwise."""
    try:
        return [int(p) for p in levels.split(",") if p.strip()]
    except ValueError:
        message = "write the number of clusters at each level, like 4,18"
        raise RequestInvalidError([{"parameter": "levels", "message": message}]) from None


@router.post("/segments-build")
def build(
    request: Request,
    name: Annotated[str, Form()],
    levels: Annotated[str, Form()],
    seed: Annotated[int, Form()],
    csrf_token: Annotated[str, Form()],
    spec: Annotated[str, Form()] = "oac2021",
    starts: Annotated[int, Form()] = 100,
    allow_partial: Annotated[str, Form()] = "",
) -> Response:
    """Build a classification of the place's areas from a packaged specification; a refused one is shown
    again in the page with what was typed."""
    principal = acting_user(request, csrf_token, "segmentation.change")

    def run() -> Response:
        if spec not in PACKAGED:  # the web never reads a specification from a path it is given
            message = f"choose one of {', '.join(PACKAGED)}"
            raise RequestInvalidError([{"parameter": "spec", "message": message}])
        request_ = BuildRequest(
            name.strip(),
            _levels(levels),
            seed,
            max(1, min(starts, 1000)),
            allow_partial=allow_partial == "yes",
        )
        build_segmentation(_place(request), load_spec(spec), request_, principal=principal)
        return RedirectResponse(f"/segments/{request_.name}", status_code=303)

    values = {"name": name, "levels": levels, "seed": str(seed), "spec": spec, "starts": str(starts)}
    values["allow_partial"] = allow_partial
    return segments.submit(request, principal, values, run)


segments.receives("/segments-build")


@upload_route(router, "/segments-assign")
async def assign(request: Request) -> Response:
    """Assign the place's areas to an uploaded classification's centroids (and its ranges, if given)."""
    async with receive_upload(request, "segmentation.change") as form:
        principal, spec = form.principal, form.text("spec", "oac2021")
        if spec not in PACKAGED:  # the web never reads a specification from a path it is given
            raise InvalidInputError(f"no packaged specification {spec!r}", hint=f"use {', '.join(PACKAGED)}")
        published = read_centroids(form.file("centroids").path)
        ranges = form.optional_file("ranges")
        scale = None if ranges is None else read_ranges(ranges.path)
        name, replace = form.required("name"), form.text("replace")
        allow_partial = form.text("allow_partial") == "yes"
    seg = assign_segmentation(
        _place(request),
        load_spec(spec),
        published,
        name=name.strip(),
        ranges=scale,
        principal=principal,
        replace=replace == "yes",
        allow_partial=allow_partial,
    )
    return RedirectResponse(f"/segments/{seg.name}", status_code=303)
