"""The segmentation pages: the list, one segmentation's map, profiles and names, and its GeoJSON."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.charts import RenderedChart, choropleth, index_heatmap
from totalplace.store import areas as area_store
from totalplace.store.segments import (
    ClusterRow,
    SegmentationRow,
    clusters_of,
    get_segmentation,
    list_segmentations,
    members_of,
    rename_cluster,
)
from totalplace.web.render import twin
from totalplace.web.session import acting_user, current_principal

router = APIRouter()


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


@twin(router, "/segments", "segments.html")
def segments(request: Request, principal: Principal) -> dict[str, Any]:
    """The place's segmentations."""
    principal.require("datasets.read")
    with _place(request).read() as conn:
        return {"segmentations": [s.to_dict() for s in list_segmentations(conn)]}


def _level(request: Request, seg: SegmentationRow) -> int:
    try:
        level = int(request.query_params.get("level") or 0)
    except ValueError:
        level = 0
    return max(0, min(level, len(seg.levels) - 1))


def _labels(place: Place, seg: SegmentationRow, clusters: list[ClusterRow], level: int) -> dict[str, str]:
    """Each area's cluster code at ``level`` (walking up from the finest level it was stored at)."""
    parent = {c.code: c.parent_code for c in clusters}
    depth = {c.code: c.level for c in clusters}
    with place.read() as conn:
        members = members_of(conn, seg.id)
    out = {}
    for member in members:
        code: str | None = member.code
        while code is not None and depth.get(code, 0) > level:
            code = parent.get(code)
        out[member.area_code] = code or member.code
    return out


def segment_features(place: Place, seg: SegmentationRow, level: int) -> list[dict[str, Any]]:
    """The segmentation's areas as GeoJSON features with their cluster code and name at ``level``."""
    with place.read() as conn:
        clusters = clusters_of(conn, seg.id)
        outlines = area_store.boundaries(conn, seg.level)
    labels = _labels(place, seg, clusters, level)
    names = {c.code: c.name for c in clusters}
    legend = {c.code: c.label for c in clusters}
    return [
        {
            "type": "Feature",
            "geometry": json.loads(geometry),
            "properties": {
                "code": code,
                "name": name,
                "segment": labels[code],
                "segment_name": names.get(labels[code], labels[code]),
                "label": legend.get(labels[code], labels[code]),
            },
        }
        for code, name, _, geometry in outlines
        if code in labels
    ]


def _charts(
    place: Place, seg: SegmentationRow, clusters: list[ClusterRow], level: int
) -> dict[str, RenderedChart]:
    charts: dict[str, RenderedChart] = {}
    features = segment_features(place, seg, level)
    if features:
        charts["map"] = choropleth(
            features,
            value="label",
            title=f"{seg.name}, level {level + 1}",
            value_title="cluster",
            categorical=True,
        )
    names = {v["code"]: v["name"] for v in seg.detail.get("variables", {}).get("variables", [])}
    rows = [
        {"cluster": c.code, "variable": names.get(code, code), "index": max(1.0, score)}
        for c in clusters
        if c.level == level and c.size
        for code, score in c.profile.get("index", {}).items()
        if score is not None
    ]
    if rows:
        charts["profiles"] = index_heatmap(rows, title="Index scores against the place (100 = average)")
    return charts


@router.get("/segments/{name}.geojson")
def segment_geojson(request: Request, name: str) -> Response:
    """The areas as a GeoJSON FeatureCollection (``?level=`` picks the level); before the page's route."""
    current_principal(request).require("datasets.read")
    place = _place(request)
    with place.read() as conn:
        seg = get_segmentation(conn, name)
    features = segment_features(place, seg, _level(request, seg))
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, media_type="application/geo+json"
    )


@twin(router, "/segments/{name}", "segment.html")
def segment(request: Request, principal: Principal) -> dict[str, Any]:
    """One segmentation: its map, clusters with descriptions and names, profiles and (if assigned) doubts."""
    principal.require("datasets.read")
    name = request.path_params["name"]
    place = _place(request)
    with place.read() as conn:
        seg = get_segmentation(conn, name)
        clusters = clusters_of(conn, seg.id)
    level = _level(request, seg)
    return {
        "segmentation": seg.to_dict(),
        "level": level,
        "levels": list(range(len(seg.levels))),
        "clusters": [c.to_dict() for c in clusters],
        "can_rename": principal.can("segment.manage"),
        "_charts": _charts(place, seg, clusters, level),
    }


@router.post("/segments/{name}/rename")
def rename(
    request: Request,
    name: str,
    code: Annotated[str, Form()],
    new_name: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
) -> Response:
    """Give a cluster a name people will use."""
    principal = acting_user(request, csrf_token, "segment.manage")
    with _place(request).begin() as conn:
        rename_cluster(conn, name, code, new_name.strip()[:200], actor=principal.username)
    return RedirectResponse(f"/segments/{name}", status_code=303)
