"""Segmentations as the store keeps them: the run's settings, clusters with profiles, each area's cluster.

A segmentation is written whole in one transaction; names given to clusters are kept with it, and every
change of them is a version of the segmentation's names (kind ``segment_names``, :mod:`.versions`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import yaml
from sqlalchemy import Connection, delete, insert, select, update

from totalplace.errors import ConflictError, NotFoundError
from totalplace.governance.policy import Resource
from totalplace.store import audit, versions
from totalplace.store.clock import utc_now
from totalplace.store.schema import segment_clusters, segment_members, segmentations

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal

NAMES_KIND: Final = "segment_names"


@dataclass(frozen=True, slots=True)
class Distinctive:
    """A variable that sets a cluster apart, with its index score (100 = the place average)."""

    code: str
    name: str
    index: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"code": self.code, "name": self.name, "index": self.index}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Distinctive:
        """From :meth:`to_dict`'s shape (as stored)."""
        return cls(str(data["code"]), str(data["name"]), float(data["index"]))


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """A cluster's profile as kept: its share of the areas, the variables above and below, every index."""

    share: float
    above: tuple[Distinctive, ...]
    below: tuple[Distinctive, ...]
    index: dict[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the stored shape)."""
        return {
            "share": self.share,
            "above": [a.to_dict() for a in self.above],
            "below": [b.to_dict() for b in self.below],
            "index": self.index,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> StoredProfile:
        """From :meth:`to_dict`'s shape (as stored)."""
        return cls(
            data["share"],
            tuple(Distinctive.of(a) for a in data.get("above", [])),
            tuple(Distinctive.of(b) for b in data.get("below", [])),
            dict(data.get("index", {})),
        )


@dataclass(frozen=True, slots=True)
class VariableSummary:
    """One derived variable over the areas: its range, mean and how many areas had a zero denominator."""

    code: str
    name: str
    table: str
    measure: str
    min: float | None
    mean: float | None
    max: float | None
    zero_denominators: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "code": self.code,
            "name": self.name,
            "table": self.table,
            "measure": self.measure,
            "min": self.min,
            "mean": self.mean,
            "max": self.max,
            "zero_denominators": self.zero_denominators,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> VariableSummary:
        """From :meth:`to_dict`'s shape (as stored)."""
        return cls(
            data["code"],
            data["name"],
            data["table"],
            data["measure"],
            data["min"],
            data["mean"],
            data["max"],
            data["zero_denominators"],
        )


@dataclass(frozen=True, slots=True)
class MissingVariable:
    """A variable the imported tables cannot give, and why."""

    code: str
    name: str
    table: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return {"code": self.code, "name": self.name, "table": self.table, "reason": self.reason}

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> MissingVariable:
        """From :meth:`to_dict`'s shape (as stored)."""
        return cls(data["code"], data["name"], data["table"], data["reason"])


@dataclass(frozen=True, slots=True)
class VariablesDescription:
    """What a specification gave over the place's areas: each derived variable, and each missing one."""

    specification: str
    areas: int
    derived: int
    of_total: int
    variables: tuple[VariableSummary, ...]
    missing: tuple[MissingVariable, ...]
    areas_without_counts: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``of_total`` shows as ``of``)."""
        return {
            "specification": self.specification,
            "areas": self.areas,
            "derived": self.derived,
            "of": self.of_total,
            "variables": [v.to_dict() for v in self.variables],
            "missing": [m.to_dict() for m in self.missing],
            "areas_without_counts": list(self.areas_without_counts),
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> VariablesDescription:
        """From :meth:`to_dict`'s shape (as stored)."""
        return cls(
            data["specification"],
            data["areas"],
            data["derived"],
            data["of"],
            tuple(VariableSummary.of(v) for v in data["variables"]),
            tuple(MissingVariable.of(m) for m in data["missing"]),
            tuple(data["areas_without_counts"]),
        )


@dataclass(frozen=True, slots=True)
class AssignedArea:
    """An area's nearest and runner-up centroid, and the margin between them (small: doubtful)."""

    area: str
    code: str
    distance: float
    runner_up: str
    runner_up_distance: float
    margin: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "area": self.area,
            "code": self.code,
            "distance": self.distance,
            "runner_up": self.runner_up,
            "runner_up_distance": self.runner_up_distance,
            "margin": self.margin,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> AssignedArea:
        """From :meth:`to_dict`'s shape (as stored)."""
        return cls(
            data["area"],
            data["code"],
            data["distance"],
            data["runner_up"],
            data["runner_up_distance"],
            data["margin"],
        )


@dataclass(frozen=True, slots=True)
class SegmentationDetail:
    """How a segmentation was made. A built one keeps each level's within-cluster sum of squares; an
    assigned one the centroid variables the place lacks and its most doubtful areas (None: not kept)."""

    variables: VariablesDescription
    ranges_from: str
    wcss: tuple[float, ...] | None = None
    variables_missing: tuple[str, ...] | None = None
    doubtful: tuple[AssignedArea, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: only what was kept, in the stored order."""
        out: dict[str, Any] = {}
        if self.variables_missing is not None:
            out["variables_missing"] = list(self.variables_missing)
        if self.wcss is not None:
            out["wcss"] = list(self.wcss)
        out["variables"] = self.variables.to_dict()
        out["ranges_from"] = self.ranges_from
        if self.doubtful is not None:
            out["doubtful"] = [d.to_dict() for d in self.doubtful]
        return out

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> SegmentationDetail:
        """From :meth:`to_dict`'s shape (as stored)."""
        wcss, missing, doubtful = data.get("wcss"), data.get("variables_missing"), data.get("doubtful")
        return cls(
            VariablesDescription.of(data["variables"]),
            data["ranges_from"],
            None if wcss is None else tuple(wcss),
            None if missing is None else tuple(missing),
            None if doubtful is None else tuple(AssignedArea.of(d) for d in doubtful),
        )


@dataclass(frozen=True, slots=True)
class NewSegmentation:
    """A segmentation's settings, to store (the store adds when and who)."""

    name: str
    title: str
    method: str
    spec: str
    level: str
    levels: list[int]
    seed: int | None
    starts: int | None
    variables: list[str]
    ranges: dict[str, list[float]] | None
    detail: SegmentationDetail


@dataclass(frozen=True, slots=True)
class SegmentationRow:
    """A stored segmentation's settings and summary."""

    id: int
    name: str
    title: str
    method: str
    spec: str
    level: str
    levels: list[int]
    seed: int | None
    starts: int | None
    variables: list[str]
    ranges: dict[str, list[float]] | None
    detail: SegmentationDetail
    created_at: str
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "name": self.name,
            "title": self.title,
            "method": self.method,
            "spec": self.spec,
            "level": self.level,
            "levels": self.levels,
            "seed": self.seed,
            "starts": self.starts,
            "variables": self.variables,
            "detail": self.detail.to_dict(),
            "created_at": self.created_at,
            "created_by": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class ClusterRow:
    """A cluster of a segmentation (stored, or to store)."""

    code: str
    level: int
    parent_code: str | None
    name: str
    size: int
    description: str
    profile: StoredProfile
    centroid: list[float] | None

    @property
    def label(self) -> str:
        """The code and a short name, for a map's legend ("2 Older terraces"): at most 48 characters, a
        longer name cut at a word with an ellipsis (cut mid-word, the legend looked clipped)."""
        text = f"{self.code} {self.name.removeprefix(f'Cluster {self.code}: ')}"
        if len(text) <= 48:
            return text
        return text[:47].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "code": self.code,
            "level": self.level,
            "parent": self.parent_code,
            "name": self.name,
            "size": self.size,
            "description": self.description,
            "profile": self.profile.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class MemberRow:
    """An area's cluster at the finest level (and, for an assignment, its distances)."""

    area_code: str
    code: str
    distance: float | None
    runner_up: str | None
    runner_up_distance: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "area_code": self.area_code,
            "code": self.code,
            "distance": self.distance,
            "runner_up": self.runner_up,
            "runner_up_distance": self.runner_up_distance,
        }


def _remove_existing(conn: Connection, name: str, *, replace: bool) -> None:
    """Delete the segmentation called ``name`` (with its clusters and members), or refuse to replace it."""
    existing = conn.execute(select(segmentations.c.id).where(segmentations.c.name == name)).first()
    if existing is None:
        return
    if not replace:
        raise ConflictError(
            f"a segmentation called {name!r} exists", hint="choose another --name, or pass --replace"
        )
    for table in (segment_members, segment_clusters):
        conn.execute(delete(table).where(table.c.segmentation_id == existing.id))
    conn.execute(delete(segmentations).where(segmentations.c.id == existing.id))


def _cluster_values(seg_id: int, cluster: ClusterRow) -> dict[str, Any]:
    return {
        "segmentation_id": seg_id,
        "code": cluster.code,
        "level": cluster.level,
        "parent_code": cluster.parent_code,
        "name": cluster.name,
        "size": cluster.size,
        "description": cluster.description,
        "profile": json.dumps(cluster.profile.to_dict()),
        "centroid": None if cluster.centroid is None else json.dumps(cluster.centroid),
    }


def save_segmentation(
    conn: Connection,
    record: NewSegmentation,
    clusters: Sequence[ClusterRow],
    members: Sequence[MemberRow],
    *,
    replace: bool,
    actor: str,
) -> int:
    """Store a segmentation whole (replacing one of the same name when ``replace``); return its id."""
    _remove_existing(conn, record.name, replace=replace)
    values = {
        "name": record.name,
        "title": record.title,
        "method": record.method,
        "spec": record.spec,
        "level": record.level,
        "levels": json.dumps(record.levels),
        "seed": record.seed,
        "starts": record.starts,
        "variables": json.dumps(record.variables),
        "ranges": None if record.ranges is None else json.dumps(record.ranges),
        "detail": json.dumps(record.detail.to_dict()),
        "created_at": utc_now(),
        "created_by": actor,
    }
    inserted = conn.execute(insert(segmentations).values(**values)).inserted_primary_key
    assert inserted is not None
    seg_id = int(inserted[0])
    conn.execute(insert(segment_clusters), [_cluster_values(seg_id, c) for c in clusters])
    conn.execute(insert(segment_members), [{**m.to_dict(), "segmentation_id": seg_id} for m in members])
    audit.append(
        conn,
        actor=actor,
        action="segment.save",
        object_type="segmentation",
        object_id=record.name,
        detail={"method": record.method, "areas": len(members), "clusters": len(clusters)},
    )
    return seg_id


def _row(r: Any) -> SegmentationRow:
    return SegmentationRow(
        r.id,
        r.name,
        r.title,
        r.method,
        r.spec,
        r.level,
        json.loads(r.levels),
        r.seed,
        r.starts,
        json.loads(r.variables),
        None if r.ranges is None else json.loads(r.ranges),
        SegmentationDetail.of(json.loads(r.detail)),
        r.created_at,
        r.created_by,
    )


def list_segmentations(conn: Connection) -> list[SegmentationRow]:
    """Every stored segmentation, newest first."""
    return [_row(r) for r in conn.execute(select(segmentations).order_by(segmentations.c.id.desc()))]


def get_segmentation(conn: Connection, name: str) -> SegmentationRow:
    """A segmentation by name."""
    row = conn.execute(select(segmentations).where(segmentations.c.name == name)).first()
    if row is None:
        known = [s.name for s in list_segmentations(conn)]
        raise NotFoundError(
            f"no segmentation called {name!r}",
            hint=f"segmentations are: {', '.join(known)}" if known else "build one: totalplace segment build",
        )
    return _row(row)


def clusters_of(conn: Connection, seg_id: int) -> list[ClusterRow]:
    """A segmentation's clusters, by level and code."""
    query = (
        select(segment_clusters)
        .where(segment_clusters.c.segmentation_id == seg_id)
        .order_by(segment_clusters.c.level, segment_clusters.c.code)
    )
    return [
        ClusterRow(
            r.code,
            r.level,
            r.parent_code,
            r.name,
            r.size,
            r.description,
            StoredProfile.of(json.loads(r.profile)),
            None if r.centroid is None else json.loads(r.centroid),
        )
        for r in conn.execute(query)
    ]


def members_of(conn: Connection, seg_id: int) -> list[MemberRow]:
    """Each area's finest-level cluster."""
    query = (
        select(segment_members)
        .where(segment_members.c.segmentation_id == seg_id)
        .order_by(segment_members.c.area_code)
    )
    return [
        MemberRow(r.area_code, r.code, r.distance, r.runner_up, r.runner_up_distance)
        for r in conn.execute(query)
    ]


def segment_names_text(conn: Connection, seg_id: int) -> str:
    """The segmentation's cluster names as the body of a ``segment_names`` version (YAML, code: name)."""
    names = {c.code: c.name for c in clusters_of(conn, seg_id)}
    return yaml.safe_dump(names, sort_keys=True, allow_unicode=True)


def rename_cluster(conn: Connection, name: str, code: str, new_name: str, *, principal: Principal) -> None:
    """Give a cluster a name people will use, if ``principal`` may change the segmentation; the names are
    versioned (kind ``segment_names``), the first change keeping the names as they were as version 1."""
    principal.require("segmentation.change", Resource("segmentation", name))
    seg = get_segmentation(conn, name)
    if versions.current(conn, NAMES_KIND, name) is None:
        versions.add(
            conn,
            kind=NAMES_KIND,
            name=name,
            body=segment_names_text(conn, seg.id),
            owner_id=None,
            actor=versions.MIGRATION_ACTOR,
            reason="the names as they were before the first change was versioned",
        )
    result = conn.execute(
        update(segment_clusters)
        .where(segment_clusters.c.segmentation_id == seg.id, segment_clusters.c.code == code)
        .values(name=new_name)
    )
    if result.rowcount != 1:
        raise NotFoundError(f"{name} has no cluster {code!r}")
    versions.add(
        conn,
        kind=NAMES_KIND,
        name=name,
        body=segment_names_text(conn, seg.id),
        owner_id=None,
        actor=principal.username,
        reason=f"cluster {code} named {new_name!r}",
    )


def restore_names(conn: Connection, name: str, number: int, *, principal: Principal, reason: str) -> None:
    """Bring back the cluster names of version ``number`` (a new version), if ``principal`` may."""
    principal.require("segmentation.change", Resource("segmentation", name))
    seg = get_segmentation(conn, name)
    old = versions.get(conn, NAMES_KIND, name, number)
    names = yaml.safe_load(old.body) or {}
    for code, cluster_name in names.items():
        conn.execute(
            update(segment_clusters)
            .where(segment_clusters.c.segmentation_id == seg.id, segment_clusters.c.code == str(code))
            .values(name=str(cluster_name))
        )
    versions.add(
        conn,
        kind=NAMES_KIND,
        name=name,
        body=segment_names_text(conn, seg.id),
        owner_id=None,
        actor=principal.username,
        reason=reason,
        restored_from=number,
    )
