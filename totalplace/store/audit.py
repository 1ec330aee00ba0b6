"""The append-only, hash-chained audit log (DESIGN.md §7).

Each record's hash covers its own fields and the previous record's hash, so editing, deleting or reordering
any record breaks the chain from that point on. The single ``audit_head`` row names the newest record: it is
locked by every append (serialising writers on PostgreSQL as BEGIN IMMEDIATE does on SQLite) and it exposes a
deleted tail, which a chain alone cannot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from totalplace.store.clock import utc_now
from totalplace.store.schema import audit_head, audit_log

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the audit log."""

    seq: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: str
    prev_hash: str
    hash: str


@dataclass
class AuditVerification:
    """What ``audit verify`` found: ``ok`` is True only when every record and the head agree."""

    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the chain is intact."""
        return not self.problems


def record_hash(
    seq: int, at: str, actor: str, action: str, object_type: str, object_id: str, detail: str, prev: str
) -> str:
    """SHA-256 over the record's fields in a fixed, unambiguous encoding (a JSON array)."""
    payload = json.dumps([seq, at, actor, action, object_type, object_id, detail, prev], ensure_ascii=True)
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def lock_head(conn: Connection) -> None:
    """Take the audit head's row lock now, serialising this write transaction with every other one."""
    conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1).with_for_update()).one()


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    detail: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """Add a record inside the caller's transaction: it commits or rolls back with the change it records."""
    head = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    ).one()
    seq = int(head.seq) + 1
    at = utc_now()
    detail_text = json.dumps(dict(detail or {}), sort_keys=True, default=str)
    oid = str(object_id)
    digest = record_hash(seq, at, actor, action, object_type, oid, detail_text, head.hash)
    conn.execute(
        audit_log.insert().values(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=oid,
            detail=detail_text,
            prev_hash=head.hash,
            hash=digest,
        )
    )
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    return AuditRecord(seq, at, actor, action, object_type, oid, detail_text, head.hash, digest)


def records(
    conn: Connection, *, limit: int | None = None, newest_first: bool = False
) -> Iterator[AuditRecord]:
    """The audit records in sequence order (or newest first)."""
    order = audit_log.c.seq.desc() if newest_first else audit_log.c.seq
    query = select(audit_log).order_by(order)
    if limit is not None:
        query = query.limit(limit)
    for row in conn.execute(query):
        yield AuditRecord(**row._mapping)


def verify(conn: Connection) -> AuditVerification:
    """Check every record's hash, the links between them, their numbering and the head."""
    result = AuditVerification()
    prev_hash = GENESIS_HASH
    expected_seq = 1
    for rec in records(conn):
        result.records += 1
        if rec.seq != expected_seq:
            result.problems.append(f"record {rec.seq}: expected sequence number {expected_seq}")
        if rec.prev_hash != prev_hash:
            result.problems.append(f"record {rec.seq}: does not follow the record before it")
        digest = record_hash(
            rec.seq, rec.at, rec.actor, rec.action, rec.object_type, rec.object_id, rec.detail, rec.prev_hash
        )
        if digest != rec.hash:
            result.problems.append(f"record {rec.seq}: contents were changed after it was written")
        prev_hash = rec.hash
        expected_seq = rec.seq + 1
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    if head is None:
        result.problems.append("the audit head is missing")
    elif head.seq != expected_seq - 1 or head.hash != prev_hash:
        result.problems.append(
            f"the newest record should be number {head.seq}, but the log ends at {expected_seq - 1}"
        )
    return result
