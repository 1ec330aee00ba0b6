"""Segmentations as the store keeps them: the run's settings, clusters with profiles, each area's cluster.

A segmentation is written whole in one transaction; names given to clusters are kept with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from totalplace.errors import ConflictError, NotFoundError
from totalplace.store import audit
from totalplace.store.clock import utc_now
from totalplace.store.schema import segment_clusters, segment_members, segmentations


@dataclass(frozen=True)
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
    detail: dict[str, Any]
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
            "detail": self.detail,
            "created_at": self.created_at,
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class ClusterRow:
    """A cluster of a stored segmentation."""

    code: str
    level: int
    parent_code: str | None
    name: str
    size: int
    description: str
    profile: dict[str, Any]
    centroid: list[float] | None

    @property
    def label(self) -> str:
        """The code and a short name, for a map's legend ("2 Older terraces")."""
        return f"{self.code} {self.name.removeprefix(f'Cluster {self.code}: ')}"[:48]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "code": self.code,
            "level": self.level,
            "parent": self.parent_code,
            "name": self.name,
            "size": self.size,
            "description": self.description,
            "profile": self.profile,
        }


@dataclass(frozen=True)
class MemberRow:
    """An area's cluster at the finest level (and, for an assignment, its distances)."""

    area_code: str
    code: str
    distance: float | None
    runner_up: str | None
    runner_up_distance: float | None


def save_segmentation(
    conn: Connection,
    record: dict[str, Any],
    clusters: list[dict[str, Any]],
    members: list[dict[str, Any]],
    *,
    replace: bool,
    actor: str,
) -> int:
    """Store a segmentation whole (replacing one of the same name when ``replace``); return its id."""
    existing = conn.execute(select(segmentations.c.id).where(segmentations.c.name == record["name"])).first()
    if existing is not None:
        if not replace:
            raise ConflictError(
                f"a segmentation called {record['name']!r} exists",
                hint="choose another --name, or pass --replace",
            )
        for table in (segment_members, segment_clusters):
            conn.execute(delete(table).where(table.c.segmentation_id == existing.id))
        conn.execute(delete(segmentations).where(segmentations.c.id == existing.id))
    values = {
        **record,
        "levels": json.dumps(record["levels"]),
        "variables": json.dumps(record["variables"]),
        "ranges": None if record.get("ranges") is None else json.dumps(record["ranges"]),
        "detail": json.dumps(record["detail"]),
        "created_at": utc_now(),
        "created_by": actor,
    }
    inserted = conn.execute(insert(segmentations).values(**values)).inserted_primary_key
    assert inserted is not None
    seg_id = int(inserted[0])
    conn.execute(
        insert(segment_clusters),
        [
            {
                **c,
                "segmentation_id": seg_id,
                "profile": json.dumps(c["profile"]),
                "centroid": None if c.get("centroid") is None else json.dumps(c["centroid"]),
            }
            for c in clusters
        ],
    )
    conn.execute(insert(segment_members), [{**m, "segmentation_id": seg_id} for m in members])
    audit.append(
        conn,
        actor=actor,
        action="segment.save",
        object_type="segmentation",
        object_id=record["name"],
        detail={"method": record["method"], "areas": len(members), "clusters": len(clusters)},
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
        json.loads(r.detail),
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
            json.loads(r.profile),
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


def rename_cluster(conn: Connection, name: str, code: str, new_name: str, *, actor: str) -> None:
    """Give a cluster a name people will use."""
    seg = get_segmentation(conn, name)
    result = conn.execute(
        update(segment_clusters)
        .where(segment_clusters.c.segmentation_id == seg.id, segment_clusters.c.code == code)
        .values(name=new_name)
    )
    if result.rowcount != 1:
        raise NotFoundError(f"{name} has no cluster {code!r}")
    audit.append(
        conn,
        actor=actor,
        action="segment.rename",
        object_type="segmentation",
        object_id=name,
        detail={"code": code, "name": new_name},
    )
