"""Running a segmentation on a place and keeping it: build from scratch, or assign to published centroids."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from totalplace.engines.segment.assign import Assignment, Centroids, assign, centroids_csv, ranges_csv
from totalplace.engines.segment.cluster import (
    Diagnostic,
    FloatArray,
    Hierarchy,
    Ranges,
    build_hierarchy,
    diagnostics,
    transform,
)
from totalplace.engines.segment.coverage import require_share, share_of_variables
from totalplace.engines.segment.profile import ClusterProfile, empty_profile, profile
from totalplace.engines.segment.spec import SegmentSpec
from totalplace.engines.segment.variables import VariableMatrix, place_variables
from totalplace.errors import InvalidInputError
from totalplace.governance.policy import Resource
from totalplace.governance.roles import Principal
from totalplace.store.segments import (
    ClusterRow,
    MemberRow,
    NewSegmentation,
    SegmentationDetail,
    SegmentationRow,
    clusters_of,
    get_segmentation,
    save_segmentation,
)

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
    allow_partial: bool = False


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
    place: Place,
    spec: SegmentSpec,
    request: BuildRequest,
    *,
    principal: Principal,
    progress: Progress | None = None,
) -> SegmentationRow:
    """Derive the variables, cluster them level by level, profile every cluster and store the result."""
    principal.require("segmentation.change", Resource("segmentation", request.name))
    _check_name(request.name)
    say = progress or (lambda _stage: None)
    say("deriving variables")
    matrix = variables_for(place, spec)
    share = share_of_variables(len(matrix.codes), len(spec.variables))
    require_share(share, allow_partial=request.allow_partial, what=f"classification {request.name}")
    data, ranges = transform(matrix.values, matrix.codes, request.ranges)
    say(f"clustering {len(matrix.areas):,} areas ({request.starts} starts per k-means)")
    hierarchy = build_hierarchy(data, request.levels, starts=request.starts, seed=request.seed)
    say("profiling clusters")
    clusters = _clusters(matrix, hierarchy)
    members = [
        MemberRow(a, c, None, None, None) for a, c in zip(matrix.areas, hierarchy.codes[-1], strict=True)
    ]
    record = NewSegmentation(
        name=request.name,
        title=request.title or f"{spec.title}: {'/'.join(map(str, request.levels))} clusters",
        method="build",
        spec=spec.name,
        level=spec.level,
        levels=request.levels,
        seed=request.seed,
        starts=request.starts,
        variables=matrix.codes,
        ranges=ranges.to_dict(),
        detail=SegmentationDetail(
            matrix.describe(), _ranges_from(request.ranges), wcss=tuple(hierarchy.wcss)
        ),
    )
    return _keep(place, record, clusters, members, replace=request.replace, actor=principal.username)


def _keep(
    place: Place,
    record: NewSegmentation,
    clusters: list[ClusterRow],
    members: list[MemberRow],
    *,
    replace: bool,
    actor: str,
) -> SegmentationRow:
    """Store the segmentation whole and read it back as kept."""
    with place.begin() as conn:
        save_segmentation(conn, record, clusters, members, replace=replace, actor=actor)
        return get_segmentation(conn, record.name)


def _ranges_from(ranges: Ranges | None) -> str:
    return "supplied" if ranges is not None else "the place's own areas"


def _clusters(matrix: VariableMatrix, hierarchy: Hierarchy) -> list[ClusterRow]:
    out = []
    for level, codes in enumerate(hierarchy.codes):
        labels = np.array(codes)
        parents = dict(zip(codes, hierarchy.codes[level - 1], strict=True)) if level else {}
        for code in sorted(set(codes)):
            rows = np.flatnonzero(labels == code)
            found = profile(matrix, code, level, parents.get(code), rows)
            out.append(_cluster_row(found, level, hierarchy.centroids.get(code)))
    return out


def _cluster_row(found: ClusterProfile, level: int, centroid: FloatArray | None) -> ClusterRow:
    return ClusterRow(
        found.code,
        level,
        found.parent,
        found.name,
        found.size,
        found.description,
        found.stored(),
        None if centroid is None else [round(float(x), 6) for x in centroid],
    )


def assign_segmentation(
    place: Place,
    spec: SegmentSpec,
    centroids: Centroids,
    *,
    name: str,
    ranges: Ranges | None,
    principal: Principal,
    replace: bool = False,
    allow_partial: bool = False,
) -> SegmentationRow:
    """Assign the place's areas to published centroids, profile each cluster and store the result.

    Refused (TP703) when the place has less than the minimum share of the centroids' variables, unless
    ``allow_partial``.
    """
    principal.require("segmentation.change", Resource("segmentation", name))
    _check_name(name)
    matrix = variables_for(place, spec)
    result = assign(matrix, centroids, ranges)
    share = share_of_variables(len(result.variables_used), len(centroids.variables))
    require_share(share, allow_partial=allow_partial, what=f"assignment {name}")
    record = NewSegmentation(
        name=name,
        title=f"{spec.title}: assigned to {len(centroids.codes)} published centroids",
        method="assign",
        spec=spec.name,
        level=spec.level,
        levels=[len(centroids.codes)],
        seed=None,
        starts=None,
        variables=result.variables_used,
        ranges=None if ranges is None else ranges.to_dict(),
        detail=SegmentationDetail(
            matrix.describe(),
            _ranges_from(ranges),
            variables_missing=tuple(result.variables_missing),
            doubtful=tuple(result.rows()[:20]),
        ),
    )
    clusters = _assigned_clusters(matrix, centroids, result)
    return _keep(place, record, clusters, result.members(), replace=replace, actor=principal.username)


def _assigned_clusters(matrix: VariableMatrix, centroids: Centroids, result: Assignment) -> list[ClusterRow]:
    """One cluster per published centroid, profiled over the areas nearest to it (empty if none is)."""
    labels = np.array(result.nearest)
    clusters = []
    for index, code in enumerate(centroids.codes):
        rows = np.flatnonzero(labels == code)
        found = profile(matrix, code, 0, None, rows) if len(rows) else empty_profile(code)
        clusters.append(_cluster_row(found, 0, centroids.values[index]))
    return clusters


def diagnose(place: Place, spec: SegmentSpec, ks: list[int], *, starts: int, seed: int) -> list[Diagnostic]:
    """Diagnostics for choosing k: within-cluster sum of squares, silhouette and sizes for each k."""
    matrix = variables_for(place, spec)
    data, _ = transform(matrix.values, matrix.codes)
    return diagnostics(data, ks, starts=starts, seed=seed)


@dataclass(frozen=True, slots=True)
class Publication:
    """A classification's centroids at one level (and its ranges), as the CSV files another place assigns
    its areas with (``clusters`` 0: the level has no centroids)."""

    clusters: int
    centroids_csv: str
    ranges_csv: str | None


def publish(place: Place, name: str, level: int) -> Publication:
    """The centroids of level ``level`` (0 the coarsest) of a stored segmentation, and its ranges if kept."""
    with place.read() as conn:
        seg = get_segmentation(conn, name)
        chosen = [c for c in clusters_of(conn, seg.id) if c.level == level and c.centroid is not None]
    return Publication(
        len(chosen),
        centroids_csv([c.code for c in chosen], seg.variables, [c.centroid or [] for c in chosen]),
        ranges_csv(seg.ranges) if seg.ranges else None,
    )
