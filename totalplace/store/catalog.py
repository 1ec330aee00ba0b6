"""The catalog of import batches: one row per accepted file, pointing at its immutable parquet file.

Rows are added and superseded, never edited in their content (DESIGN.md §4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update

from totalplace.errors import ConflictError, NotFoundError
from totalplace.store import audit
from totalplace.store.schema import batches, partners


@dataclass(frozen=True)
class NewBatch:
    """What the import framework knows of a batch before the catalog numbers it."""

    kind: str
    partner_id: int | None
    source_name: str
    sha256: str
    size_bytes: int
    importer: str
    imported_at: str
    row_count: int
    totals: dict[str, Any]
    parquet_path: str
    parquet_sha256: str


@dataclass(frozen=True)
class Batch(NewBatch):
    """One accepted import and its provenance, as the catalog holds it."""

    id: int
    partner_name: str | None
    status: str
    superseded_by: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready provenance."""
        return dict(self.__dict__)


def _query() -> Any:
    return select(batches, partners.c.name.label("partner_name")).select_from(
        batches.outerjoin(partners, partners.c.id == batches.c.partner_id)
    )


def _batch(row: Any) -> Batch:
    m = dict(row._mapping)
    m["totals"] = json.loads(m["totals"])
    return Batch(**m)


def find_by_sha(conn: Connection, kind: str, sha256: str) -> Batch | None:
    """The batch of this kind imported from exactly these bytes, if any."""
    row = conn.execute(_query().where(batches.c.kind == kind, batches.c.sha256 == sha256)).first()
    return None if row is None else _batch(row)


def next_batch_id(conn: Connection) -> int:
    """The id the next batch will take (the caller holds the write transaction)."""
    return int(conn.execute(select(func.coalesce(func.max(batches.c.id), 0))).scalar_one()) + 1


def insert_batch(conn: Connection, batch_id: int, new: NewBatch) -> Batch:
    """Record an accepted batch and audit it, inside the caller's transaction."""
    values = dict(new.__dict__)
    values["totals"] = json.dumps(new.totals, sort_keys=True)
    conn.execute(batches.insert().values(id=batch_id, status="active", superseded_by=None, **values))
    audit.append(
        conn,
        actor=new.importer,
        action="batch.import",
        object_type="batch",
        object_id=batch_id,
        detail={
            "kind": new.kind,
            "source": new.source_name,
            "sha256": new.sha256,
            "rows": new.row_count,
            "totals": new.totals,
        },
    )
    return get_batch(conn, batch_id)


def get_batch(conn: Connection, batch_id: int) -> Batch:
    """One batch by id."""
    row = conn.execute(_query().where(batches.c.id == batch_id)).first()
    if row is None:
        raise NotFoundError(f"no import batch {batch_id}", hint="see `totalplace datasets list`")
    return _batch(row)


def list_batches(conn: Connection, *, kind: str | None = None, active_only: bool = False) -> list[Batch]:
    """Batches, newest first."""
    query = _query().order_by(batches.c.id.desc())
    if kind is not None:
        query = query.where(batches.c.kind == kind)
    if active_only:
        query = query.where(batches.c.status == "active")
    return [_batch(r) for r in conn.execute(query)]


def record_download(conn: Connection, batch: Batch, *, actor: str, fmt: str) -> None:
    """Audit a download of a batch's raw rows, a read of restricted data, inside the caller's transaction."""
    audit.append(
        conn,
        actor=actor,
        action="batch.export",
        object_type="batch",
        object_id=batch.id,
        detail={"format": fmt, "rows": batch.row_count, "partner": batch.partner_name, "read": "restricted"},
    )


def supersede(conn: Connection, *, old_id: int, new_id: int, actor: str) -> None:
    """Mark ``old_id`` as replaced by ``new_id`` (same kind). Its file and row stay for the record."""
    old, new = get_batch(conn, old_id), get_batch(conn, new_id)
    if old.kind != new.kind:
        raise ConflictError(f"batch {old_id} is {old.kind} data and batch {new_id} is {new.kind} data")
    if old_id == new_id or old.status != "active" or new.status != "active":
        raise ConflictError(
            f"batch {old_id} cannot be superseded by batch {new_id}", hint="both must be active and different"
        )
    conn.execute(
        update(batches).where(batches.c.id == old_id).values(status="superseded", superseded_by=new_id)
    )
    audit.append(
        conn,
        actor=actor,
        action="batch.supersede",
        object_type="batch",
        object_id=old_id,
        detail={"superseded_by": new_id},
    )
