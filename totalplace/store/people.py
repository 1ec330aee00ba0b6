"""Linkage runs as the store keeps them: one row per run of a purpose's linkage, and its audit record.

A run's people and links are parquet files (:mod:`totalplace.datasets.people`); the row names them and keeps
the figures a page shows without reading them, the model version it used, and the highest person and
household numbers ever issued for the purpose, so the next run never reuses an id. Rows are only inserted.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, select

from totalplace.store import audit
from totalplace.store.clock import utc_now
from totalplace.store.schema import link_runs


@dataclass(frozen=True, slots=True)
class NewRun:
    """What a finished run records (the engine has written its parquet files already)."""

    purpose: str
    model_version: int
    threshold: float
    backend: str
    records: int
    people: int
    households: int
    links: int
    people_issued: int
    households_issued: int
    detail: dict[str, Any]
    people_path: str
    links_path: str
    seconds: float


@dataclass(frozen=True, slots=True)
class LinkRunRow:
    """One run as kept."""

    id: int
    purpose: str
    model_version: int
    threshold: float
    backend: str
    records: int
    people: int
    households: int
    links: int
    people_issued: int
    households_issued: int
    detail: dict[str, Any]
    people_path: str
    links_path: str
    seconds: float
    run_at: str
    run_by: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (file names without the place's directory)."""
        return {
            "id": self.id,
            "purpose": self.purpose,
            "model_version": self.model_version,
            "threshold": self.threshold,
            "backend": self.backend,
            "records": self.records,
            "people": self.people,
            "households": self.households,
            "links": self.links,
            "people_issued": self.people_issued,
            "households_issued": self.households_issued,
            "detail": self.detail,
            "seconds": round(self.seconds, 3),
            "run_at": self.run_at,
            "run_by": self.run_by,
        }


def _row(r: Any) -> LinkRunRow:
    return LinkRunRow(
        int(r.id),
        r.purpose,
        int(r.model_version),
        float(r.threshold),
        r.backend,
        int(r.records),
        int(r.people),
        int(r.households),
        int(r.links),
        int(r.people_issued),
        int(r.households_issued),
        json.loads(r.detail),
        r.people_path,
        r.links_path,
        float(r.seconds),
        r.run_at,
        r.run_by,
    )


def add_run(conn: Connection, run: NewRun, actor: str) -> LinkRunRow:
    """Record a finished run and audit it, in the caller's transaction (the caller asked the policy)."""
    audit.lock_head(conn)
    values = {**asdict(run), "detail": json.dumps(run.detail, sort_keys=True)}
    values.update(run_at=utc_now(), run_by=actor)
    run_id = conn.execute(link_runs.insert().values(**values)).inserted_primary_key[0]  # type: ignore[index]
    audit.append(
        conn,
        actor=actor,
        action="people.link",
        object_type="people",
        object_id=run.purpose,
        detail={
            "run": int(run_id),
            "model_version": run.model_version,
            "threshold": run.threshold,
            "records": run.records,
            "people": run.people,
            "households": run.households,
            "links": run.links,
        },
    )
    return _row(conn.execute(select(link_runs).where(link_runs.c.id == run_id)).one())


def latest_run(conn: Connection, purpose: str) -> LinkRunRow | None:
    """The purpose's newest run (None: never run)."""
    row = conn.execute(
        select(link_runs).where(link_runs.c.purpose == purpose).order_by(link_runs.c.id.desc()).limit(1)
    ).first()
    return None if row is None else _row(row)


def runs(conn: Connection, purpose: str | None = None) -> list[LinkRunRow]:
    """Every run (of one purpose, or all), newest first."""
    query = select(link_runs).order_by(link_runs.c.id.desc())
    if purpose is not None:
        query = query.where(link_runs.c.purpose == purpose)
    return [_row(r) for r in conn.execute(query)]


def next_run_id(conn: Connection) -> int:
    """The id the next run will take (names its files before the row is written); takes the audit lock, so
    the run's row is written by this transaction before any other can ask."""
    audit.lock_head(conn)
    latest = conn.execute(select(link_runs.c.id).order_by(link_runs.c.id.desc()).limit(1)).scalar()
    return 1 if latest is None else int(latest) + 1


def record_read(conn: Connection, purpose: str, run_id: int, what: str, actor: str) -> None:
    """Audit a read of a run's people or links (person-level data, pseudonymised)."""
    audit.append(
        conn,
        actor=actor,
        action="people.read",
        object_type="people",
        object_id=purpose,
        detail={"run": run_id, "read": what},
    )
