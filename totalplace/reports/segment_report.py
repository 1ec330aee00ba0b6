"""A segmentation as charts and a report: the map of a level, the index-score heat map, the clusters."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from totalplace.reports.charts import RenderedChart, choropleth, index_heatmap
from totalplace.reports.render import render_html
from totalplace.store import areas as area_store
from totalplace.store.segments import ClusterRow, SegmentationRow, clusters_of, get_segmentation, members_of

if TYPE_CHECKING:
    from totalplace.place import Place


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


def segment_charts(
    place: Place, seg: SegmentationRow, clusters: list[ClusterRow], level: int
) -> dict[str, RenderedChart]:
    """The map of ``level`` and the heat map of its clusters' index scores."""
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


def segment_report_html(place: Place, name: str) -> str:
    """The whole segmentation, level by level, as a standalone HTML document (for PDF)."""
    with place.read() as conn:
        seg = get_segmentation(conn, name)
        clusters = clusters_of(conn, seg.id)
    levels = [
        {
            "number": level + 1,
            "clusters": [c for c in clusters if c.level == level],
            "charts": segment_charts(place, seg, clusters, level),
        }
        for level in range(len(seg.levels))
    ]
    return render_html("segments_report.html", seg=seg, levels=levels, place_name=place.config.name)
