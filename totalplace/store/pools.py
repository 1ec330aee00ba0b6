"""Pools and the versions of their agreements.

An agreement is never overwritten: a variation adds a version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from totalplace.errors import ConflictError, NotFoundError
from totalplace.store import audit
from totalplace.store.clock import utc_now
from totalplace.store.schema import pool_settlements, pool_versions, pools


@dataclass(frozen=True)
class PoolRow:
    """A pool as the store holds it."""

    id: int
    name: str
    title: str
    budget_type: str
    created_at: str
    created_by: str


@dataclass(frozen=True)
class VersionRow:
    """One version of a pool's agreement: its fields as JSON, the YAML it came from, and why it was made."""

    version: int
    effective_from: date
    agreement: dict[str, Any]
    source_yaml: str
    sha256: str
    reason: str
    created_at: str
    created_by: str


def create_pool(
    conn: Connection, *, fields: dict[str, Any], source_yaml: str, effective_from: date, actor: str
) -> PoolRow:
    """Store a new pool with version 1 of its agreement."""
    name = str(fields["name"])
    if conn.execute(select(pools.c.id).where(pools.c.name == name)).first() is not None:
        raise ConflictError(
            f"a pool called {name!r} already exists", hint=f"vary it with `totalplace pool vary {name} FILE`"
        )
    now = utc_now()
    try:
        with conn.begin_nested():
            pool_id = conn.execute(
                pools.insert()
                .values(
                    name=name,
                    title=str(fields["title"]),
                    budget_type=str(fields["budget_type"]),
                    created_at=now,
                    created_by=actor,
                )
                .returning(pools.c.id)
            ).scalar_one()
    except IntegrityError:
        raise ConflictError(f"a pool called {name!r} already exists") from None
    row = PoolRow(int(pool_id), name, str(fields["title"]), str(fields["budget_type"]), now, actor)
    add_version(
        conn,
        row,
        fields=fields,
        source_yaml=source_yaml,
        effective_from=effective_from,
        reason="agreement made",
        actor=actor,
    )
    return row


def add_version(
    conn: Connection,
    pool: PoolRow,
    *,
    fields: dict[str, Any],
    source_yaml: str,
    effective_from: date,
    reason: str,
    actor: str,
) -> VersionRow:
    """Add the next version of the pool's agreement, in effect from ``effective_from``."""
    text = json.dumps(fields, sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    number = (
        int(
            conn.execute(
                select(func.coalesce(func.max(pool_versions.c.version), 0)).where(
                    pool_versions.c.pool_id == pool.id
                )
            ).scalar_one()
        )
        + 1
    )
    latest = versions(conn, pool.id)[-1:] if number > 1 else []
    if latest and effective_from < latest[0].effective_from:
        raise ConflictError(
            f"a variation cannot take effect on {effective_from}, before version {latest[0].version} "
            f"({latest[0].effective_from})",
            hint="variations are applied in date order",
        )
    now = utc_now()
    conn.execute(
        pool_versions.insert().values(
            pool_id=pool.id,
            version=number,
            effective_from=effective_from.isoformat(),
            agreement=text,
            source_yaml=source_yaml,
            sha256=digest,
            reason=reason,
            created_at=now,
            created_by=actor,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="pool.create" if number == 1 else "pool.vary",
        object_type="pool",
        object_id=pool.id,
        detail={
            "name": pool.name,
            "version": number,
            "effective_from": effective_from.isoformat(),
            "sha256": digest,
            "reason": reason,
        },
    )
    return VersionRow(number, effective_from, fields, source_yaml, digest, reason, now, actor)


def list_pools(conn: Connection) -> list[PoolRow]:
    """All pools, by name."""
    return [PoolRow(**r._mapping) for r in conn.execute(select(pools).order_by(pools.c.name))]


def pool_by_name(conn: Connection, name: str) -> PoolRow:
    """The pool called ``name``, or a NotFoundError listing the others."""
    row = conn.execute(select(pools).where(pools.c.name == name.strip())).first()
    if row is None:
        known = ", ".join(p.name for p in list_pools(conn)) or "none yet"
        raise NotFoundError(
            f"no pool called {name!r}",
            hint=f"pools are: {known}; create one with `totalplace pool create FILE`",
        )
    return PoolRow(**row._mapping)


def versions(conn: Connection, pool_id: int) -> list[VersionRow]:
    """Every version of the pool's agreement, oldest first."""
    rows = conn.execute(
        select(pool_versions).where(pool_versions.c.pool_id == pool_id).order_by(pool_versions.c.version)
    )
    return [
        VersionRow(
            int(r.version),
            date.fromisoformat(r.effective_from),
            json.loads(r.agreement),
            r.source_yaml,
            r.sha256,
            r.reason,
            r.created_at,
            r.created_by,
        )
        for r in rows
    ]


def record_settlement(
    conn: Connection, pool_id: int, year: str, txn_id: int | None, result: dict[str, Any], actor: str
) -> None:
    """Mark ``year`` settled by transaction ``txn_id``; a second settlement of the year is refused."""
    try:
        with conn.begin_nested():
            conn.execute(
                pool_settlements.insert().values(
                    pool_id=pool_id,
                    year=year,
                    txn_id=txn_id,
                    result=json.dumps(result, sort_keys=True),
                    settled_at=utc_now(),
                    settled_by=actor,
                )
            )
    except IntegrityError:
        raise ConflictError(f"{year} is already settled") from None
    # Its own record: a year in which nothing moved settles with no transaction, so no posting records it.
    audit.append(
        conn,
        actor=actor,
        action="pool.settle",
        object_type="pool",
        object_id=pool_id,
        detail={"year": year, "transaction": txn_id},
    )


def settlement_record(conn: Connection, pool_id: int, year: str) -> dict[str, Any] | None:
    """The stored settlement result of ``year``, if it is settled."""
    row = conn.execute(
        select(pool_settlements.c.result).where(
            pool_settlements.c.pool_id == pool_id, pool_settlements.c.year == year
        )
    ).first()
    return None if row is None else dict(json.loads(row.result))
