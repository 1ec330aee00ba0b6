"""Running a segmentation on a place and keeping it: build from scratch, or assign to published centroids."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from totalplace.engines.segment.assign import Centroids, assign
from totalplace.engines.segment.cluster import Hierarchy, Ranges, build_hierarchy, diagnostics, transform
from totalplace.engines.segment.profile import profile
from totalplace.engines.segment.spec import SegmentSpec
from totalplace.engines.segment.variables import VariableMatrix, place_variables
from totalplace.errors import InvalidInputError
from totalplace.store.segments import SegmentationRow, get_segmentation, save_segmentation

if TYPE_CHECKING:
    from totalplace.place import Place

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildRequest:
    """What to build: levels (e.g. [4, 18]), random starts per k-means, the seed, and the name to keep."""

    name: str
    levels: list[int]
    seed: int
    starts: int = 100
    title: str | None = None
    ranges: Ranges | None = None
    replace: bool = False


_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise InvalidInputError(
            f"{name!r} cannot name a segmentation", hint="use lower-case letters, digits, - and _ (up to 60)"
        )


def variables_for(place: Place, spec: SegmentSpec) -> VariableMatrix:
    """The specification's variables over the place's areas."""
    with place.analytics() as engine:
        return place_variables(engine, spec)


def build_segmentation(
    place: Place, spec: SegmentSpec, request: BuildRequest, *, actor: str, progress: Progress | None = None
) -> SegmentationRow:
    """Derive the variables, cluster them level by level, profile every cluster and store the result."""
    _check_name(request.name)
    say = progress or (lambda _stage: None)
    say("deriving variables")
    matrix = variables_for(place, spec)
    data, ranges = transform(matrix.values, matrix.codes, request.ranges)
    say(f"clustering {len(matrix.areas):,} areas ({request.starts} starts per k-means)")
    hierarchy = build_hierarchy(data, request.levels, starts=request.starts, seed=request.seed)
    say("profiling clusters")
    clusters = _clusters(matrix, hierarchy)
    members = [
        {"area_code": a, "code": c, "distance": None, "runner_up": None, "runner_up_distance": None}
        for a, c in zip(matrix.areas, hierarchy.codes[-1], strict=True)
    ]
    record = {
        "name": request.name,
        "title": request.title or f"{spec.title}: {'/'.join(map(str, request.levels))} clusters",
        "method": "build",
        "spec": spec.name,
        "level": spec.level,
        "levels": request.levels,
        "seed": request.seed,
        "starts": request.starts,
        "variables": matrix.codes,
        "ranges": ranges.to_dict(),
        "detail": {
            "wcss": hierarchy.wcss,
            "variables": matrix.to_dict(),
            "ranges_from": _ranges_from(request),
        },
    }
    with place.begin() as conn:
        save_segmentation(conn, record, clusters, members, replace=request.replace, actor=actor)
        return get_segmentation(conn, request.name)


def _ranges_from(request: BuildRequest) -> str:
    return "supplied" if request.ranges is not None else "the place's own areas"


def _clusters(matrix: VariableMatrix, hierarchy: Hierarchy) -> list[dict[str, Any]]:
    out = []
    for level, codes in enumerate(hierarchy.codes):
        labels = np.array(codes)
        parents = dict(zip(codes, hierarchy.codes[level - 1], strict=True)) if level else {}
        for code in sorted(set(codes)):
            rows = np.flatnonzero(labels == code)
            found = profile(matrix, code, level, parents.get(code), rows)
            out.append(_cluster_row(found.to_dict(), level, hierarchy.centroids.get(code)))
    return out


def _cluster_row(found: dict[str, Any], level: int, centroid: np.ndarray[Any, Any] | None) -> dict[str, Any]:
    return {
        "code": found["code"],
        "level": level,
        "parent_code": found["parent"],
        "name": found["name"],
        "size": found["size"],
        "description": found["description"],
        "profile": {k: found[k] for k in ("share", "above", "below", "index")},
        "centroid": None if centroid is None else [round(float(x), 6) for x in centroid],
    }


def assign_segmentation(
    place: Place,
    spec: SegmentSpec,
    centroids: Centroids,
    *,
    name: str,
    ranges: Ranges | None,
    actor: str,
    replace: bool = False,
) -> SegmentationRow:
    """Assign the place's areas to published centroids, profile each cluster and store the result."""
    _check_name(name)
    matrix = variables_for(place, spec)
    result = assign(matrix, centroids, ranges)
    labels = np.array(result.nearest)
    clusters = []
    for index, code in enumerate(centroids.codes):
        rows = np.flatnonzero(labels == code)
        found = profile(matrix, code, 0, None, rows).to_dict() if len(rows) else _empty(code)
        clusters.append(_cluster_row(found, 0, centroids.values[index]))
    members = [
        {
            "area_code": a,
            "code": n,
            "distance": float(d),
            "runner_up": r,
            "runner_up_distance": float(rd),
        }
        for a, n, d, r, rd in zip(
            result.areas,
            result.nearest,
            result.distance,
            result.runner_up,
            result.runner_up_distance,
            strict=True,
        )
    ]
    record = {
        "name": name,
        "title": f"{spec.title}: assigned to {len(centroids.codes)} published centroids",
        "method": "assign",
        "spec": spec.name,
        "level": spec.level,
        "levels": [len(centroids.codes)],
        "seed": None,
        "starts": None,
        "variables": result.variables_used,
        "ranges": None if ranges is None else ranges.to_dict(),
        "detail": {
            "variables_missing": result.variables_missing,
            "variables": matrix.to_dict(),
            "ranges_from": "supplied" if ranges is not None else "the place's own areas",
            "doubtful": result.rows()[:20],
        },
    }
    with place.begin() as conn:
        save_segmentation(conn, record, clusters, members, replace=replace, actor=actor)
        return get_segmentation(conn, name)


def _empty(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "parent": None,
        "name": f"Cluster {code}",
        "size": 0,
        "description": "No area of the place is nearest to this centroid.",
        "share": 0.0,
        "above": [],
        "below": [],
        "index": {},
    }


def diagnose(
    place: Place, spec: SegmentSpec, ks: list[int], *, starts: int, seed: int
) -> list[dict[str, Any]]:
    """Diagnostics for choosing k: within-cluster sum of squares, silhouette and sizes for each k."""
    matrix = variables_for(place, spec)
    data, _ = transform(matrix.values, matrix.codes)
    return diagnostics(data, ks, starts=starts, seed=seed)
