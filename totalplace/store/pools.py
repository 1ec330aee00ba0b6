"""Pools, the versions of their agreements, and their posted settlements.

An agreement is never overwritten: a variation adds a version. A settlement is recorded once per year.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
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
    """One version of a pool's agreement: its fields as JSON text, the YAML it came from, and why it was made.

    The store keeps the agreement as JSON with sorted keys; the pool engine reads it back into its typed
    agreement (the store does not know the agreement's shape).
    """

    version: int
    effective_from: date
    agreement_json: str
    source_yaml: str
    sha256: str
    reason: str
    created_at: str
    created_by: str


@dataclass(frozen=True, slots=True)
class SettledShare:
    """One partner's figures in a posted settlement, in pence (the lines of its statement)."""

    partner: str
    contribution: int
    brought_forward: int
    overspend: int
    underspend: int
    returned: int
    carried_forward: int
    settlement: int
    share_of_spend: int


@dataclass(frozen=True, slots=True)
class SettledStep:
    """One step of the risk-share clause as applied: what it took and each partner's part, in pence."""

    step: str
    amount: int
    shares: dict[str, int]


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    """A year's settlement as the store keeps it (and ``pool settle --json`` shows it), pence as integers."""

    year: str
    available_pence: int
    spend_pence: int
    variance_pence: int
    scheme_spend: dict[str, int]
    partners: tuple[SettledShare, ...]
    steps: tuple[SettledStep, ...]
    notes: tuple[str, ...]
    reinvest_into: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the order the settlement has always been shown."""
        return {
            "year": self.year,
            "available_pence": self.available_pence,
            "spend_pence": self.spend_pence,
            "variance_pence": self.variance_pence,
            "scheme_spend": dict(self.scheme_spend),
            "partners": [asdict(p) for p in self.partners],
            "steps": [asdict(s) for s in self.steps],
            "notes": list(self.notes),
            "reinvest_into": self.reinvest_into,
        }

    @classmethod
    def from_json(cls, text: str) -> SettlementRecord:
        """The record from its stored JSON text."""
        data = json.loads(text)
        return cls(
            year=str(data["year"]),
            available_pence=int(data["available_pence"]),
            spend_pence=int(data["spend_pence"]),
            variance_pence=int(data["variance_pence"]),
            scheme_spend={str(k): int(v) for k, v in data.get("scheme_spend", {}).items()},
            partners=tuple(SettledShare(**p) for p in data["partners"]),
            steps=tuple(
                SettledStep(
                    str(s["step"]), int(s["amount"]), {str(k): int(v) for k, v in s["shares"].items()}
                )
                for s in data.get("steps", [])
            ),
            notes=tuple(str(n) for n in data.get("notes", [])),
            reinvest_into=data.get("reinvest_into"),
        )

    def share_of(self, partner: str) -> SettledShare | None:
        """The figures of the partner called ``partner``, if it took part in the settlement."""
        return next((p for p in self.partners if p.partner == partner), None)


def create_pool(
    conn: Connection,
    *,
    name: str,
    title: str,
    budget_type: str,
    agreement_json: str,
    source_yaml: str,
    effective_from: date,
    actor: str,
) -> PoolRow:
    """Store a new pool with version 1 of its agreement (``agreement_json``: its fields, keys sorted)."""
    if conn.execute(select(pools.c.id).where(pools.c.name == name)).first() is not None:
        raise ConflictError(
            f"a pool called {name!r} already exists", hint=f"vary it with `totalplace pool vary {name} FILE`"
        )
    now = utc_now()
    try:
        with conn.begin_nested():
            pool_id = conn.execute(
                pools.insert()
                .values(name=name, title=title, budget_type=budget_type, created_at=now, created_by=actor)
                .returning(pools.c.id)
            ).scalar_one()
    except IntegrityError:
        raise ConflictError(f"a pool called {name!r} already exists") from None
    row = PoolRow(int(pool_id), name, title, budget_type, now, actor)
    add_version(
        conn,
        row,
        agreement_json=agreement_json,
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
    agreement_json: str,
    source_yaml: str,
    effective_from: date,
    reason: str,
    actor: str,
) -> VersionRow:
    """Add the next version of the pool's agreement, in effect from ``effective_from``."""
    digest = hashlib.sha256(agreement_json.encode("utf-8")).hexdigest()
    number = _next_version(conn, pool.id, effective_from)
    now = utc_now()
    conn.execute(
        pool_versions.insert().values(
            pool_id=pool.id,
            version=number,
            effective_from=effective_from.isoformat(),
            agreement=agreement_json,
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
    return VersionRow(number, effective_from, agreement_json, source_yaml, digest, reason, now, actor)


def _next_version(conn: Connection, pool_id: int, effective_from: date) -> int:
    """The number the next version takes; refused if it would take effect before the latest version."""
    latest = conn.execute(
        select(func.coalesce(func.max(pool_versions.c.version), 0)).where(pool_versions.c.pool_id == pool_id)
    ).scalar_one()
    if latest:
        last = versions(conn, pool_id)[-1]
        if effective_from < last.effective_from:
            raise ConflictError(
                f"a variation cannot take effect on {effective_from}, before version {last.version} "
                f"({last.effective_from})",
                hint="variations are applied in date order",
            )
    return int(latest) + 1


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
            r.agreement,
            r.source_yaml,
            r.sha256,
            r.reason,
            r.created_at,
            r.created_by,
        )
        for r in rows
    ]


def record_settlement(
    conn: Connection, pool_id: int, year: str, txn_id: int | None, result: SettlementRecord, actor: str
) -> None:
    """Mark ``year`` settled by transaction ``txn_id``; a second settlement of the year is refused."""
    try:
        with conn.begin_nested():
            conn.execute(
                pool_settlements.insert().values(
                    pool_id=pool_id,
                    year=year,
                    txn_id=txn_id,
                    result=json.dumps(result.to_dict(), sort_keys=True),
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


def settlement_record(conn: Connection, pool_id: int, year: str) -> SettlementRecord | None:
    """The stored settlement of ``year``, if it is settled."""
    row = conn.execute(
        select(pool_settlements.c.result).where(
            pool_settlements.c.pool_id == pool_id, pool_settlements.c.year == year
        )
    ).first()
    return None if row is None else SettlementRecord.from_json(row.result)


def record_statement_read(
    conn: Connection, pool_id: int, *, year: str, partners: list[str], via: str, actor: str
) -> None:
    """Write to the audit log that ``actor`` read the statements of ``partners`` (restricted data), and how
    (``via``: the page, its JSON, a PDF, the command line)."""
    audit.append(
        conn,
        actor=actor,
        action="statement.read",
        object_type="pool",
        object_id=pool_id,
        detail={"year": year, "partners": sorted(partners), "via": via},
    )
