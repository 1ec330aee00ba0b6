"""The append-only, keyed, hash-chained and anchored audit log (DESIGN.md §7; docs/audit.md).

Each record is sealed over its own fields and the previous record's seal, so editing, deleting or reordering
any record breaks the chain from that point on. Since a chain of plain hashes can simply be recomputed by
whoever can write the database, records are sealed with HMAC-SHA256 under a key kept outside the store
(``audit_keys``), and the head of every committed transaction is written to an append-only anchor file beside
the place (``audit_anchor``), which a store writer cannot reach.

The single ``audit_head`` row names the newest record and the algorithm the next record must use: it is locked
by every append (serialising writers on PostgreSQL as BEGIN IMMEDIATE does on SQLite) and it exposes a deleted
tail. Records written before a place's chain was keyed keep their plain SHA-256 seal and are verified as they
were; the ``audit.keyed`` record says from where on the chain is keyed, and ``audit.key_rotated`` records
where one key gives way to the next.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select, update

from totalplace.errors import AuditChainError, ConflictError, KeyMissingError
from totalplace.store import audit_anchor
from totalplace.store.audit_keys import (
    ALG_PLAIN,
    AuditContext,
    PendingHead,
    alg_name,
    context_of,
    key_id_of,
    note_pending,
    take_pending,
)
from totalplace.store.clock import utc_now
from totalplace.store.schema import audit_head, audit_log

GENESIS_HASH = "0" * 64
KEYED_ACTION = "audit.keyed"
ROTATED_ACTION = "audit.key_rotated"


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
    alg: str = ALG_PLAIN


@dataclass(frozen=True)
class Head:
    """The newest record, as printed for a scrutiny committee (``totalplace audit anchor``)."""

    seq: int
    hash: str
    at: str
    alg: str

    @property
    def fingerprint(self) -> str:
        """A short form of the hash a person can read aloud or write down (80 bits)."""
        return fingerprint(self.hash)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the text to give to ``audit verify --against``."""
        return {
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "alg": self.alg,
            "fingerprint": self.fingerprint,
            "against": f"{self.seq}:{self.hash}",
        }


@dataclass
class AuditVerification:
    """What ``audit verify`` found: ``ok`` is True only when every record, the head and the anchor agree."""

    records: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    keyed_from: int | None = None
    head_seq: int = 0
    anchored_seq: int | None = None
    anchor_lines: int = 0
    head: Head | None = None  # the last record the walk verified

    @property
    def ok(self) -> bool:
        """True when the chain is intact."""
        return not self.problems

    @property
    def anchor_behind(self) -> int:
        """How many records the newest anchor line is behind the head (0 when up to date or unkeyed)."""
        if self.anchored_seq is None or self.keyed_from is None:
            return 0
        return max(0, self.head_seq - self.anchored_seq)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "ok": self.ok,
            "records": self.records,
            "problems": self.problems,
            "notes": self.notes,
            "keyed_from": self.keyed_from,
            "head_seq": self.head_seq,
            "anchored_seq": self.anchored_seq,
            "anchor_lines": self.anchor_lines,
            "anchor_behind": self.anchor_behind,
            "head": self.head.to_dict() if self.head else None,
        }


def record_hash(
    seq: int, at: str, actor: str, action: str, object_type: str, object_id: str, detail: str, prev: str
) -> str:
    """Plain SHA-256 over the record's fields in a fixed, unambiguous encoding (a JSON array)."""
    payload = json.dumps([seq, at, actor, action, object_type, object_id, detail, prev], ensure_ascii=True)
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def sealed_hash(key: bytes, alg: str, fields: tuple[int, str, str, str, str, str, str, str]) -> str:
    """HMAC-SHA256 under ``key`` over the algorithm's name and the record's fields (RFC 2104)."""
    payload = json.dumps(["totalplace-audit", alg, *fields], ensure_ascii=True)
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).hexdigest()


def seal(
    context: AuditContext | None, alg: str, fields: tuple[int, str, str, str, str, str, str, str]
) -> str:
    """The seal of a record under ``alg`` (plain SHA-256, or the HMAC with the key it names)."""
    key_id = key_id_of(alg)
    if key_id is None:
        return record_hash(*fields)
    if context is None:
        raise KeyMissingError(
            "this place's audit chain is keyed, but no audit key is available to this connection",
            hint="open the store through its place (Place.open), which finds the key beside it",
        )
    return sealed_hash(context.keyring.key(key_id), alg, fields)


def fingerprint(digest: str) -> str:
    """The first 80 bits of a hash in base32 (letters and 2-7), in groups of four: ``ABCD-EFGH-JKLM-NPQR``."""
    text = base64.b32encode(bytes.fromhex(digest)[:10]).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


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
        select(audit_head.c.seq, audit_head.c.hash, audit_head.c.alg)
        .where(audit_head.c.id == 1)
        .with_for_update()
    ).one()
    alg = str(head.alg)
    try:
        key_id = key_id_of(alg)
    except ValueError:
        raise AuditChainError(
            f"the audit head names an unknown algorithm {alg!r}", hint="run `totalplace audit verify`"
        ) from None
    context = context_of(conn)
    seq = int(head.seq) + 1
    fields = (
        seq,
        utc_now(),
        actor,
        action,
        object_type,
        str(object_id),
        _detail_text(detail),
        str(head.hash),
    )
    digest = seal(context, alg, fields)
    record = AuditRecord(*fields, hash=digest, alg=alg)
    conn.execute(audit_log.insert().values(**record.__dict__))
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    if key_id is not None and context is not None:
        note_pending(conn, PendingHead(context, seq, digest, key_id))
    return record


def _detail_text(detail: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(detail or {}), sort_keys=True, default=str)


def committing(conn: Connection) -> PendingHead | None:
    """Call just before ``conn``'s transaction commits: the head to anchor once it has, if it appended.

    The head is read from the store inside the transaction (not remembered from ``append``) so that a record
    appended in a savepoint that was rolled back is never anchored.
    """
    pending = take_pending(conn)
    if pending is None:
        return None
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    return PendingHead(pending.context, int(row.seq), str(row.hash), pending.key_id)


def anchor(pending: PendingHead) -> bool:
    """Write the anchor line for a committed head (``Place.begin`` calls it after the commit)."""
    context = pending.context
    return audit_anchor.write_after_commit(
        context.anchor_path, context.keyring.key(pending.key_id), pending.key_id, pending.seq, pending.hash
    )


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


def head(conn: Connection) -> Head:
    """The newest record as the head row names it (seq 0 and the genesis hash for an empty log)."""
    row = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash, audit_log.c.at, audit_log.c.alg)
        .select_from(audit_head.outerjoin(audit_log, audit_log.c.seq == audit_head.c.seq))
        .where(audit_head.c.id == 1)
    ).first()
    if row is None:
        raise AuditChainError("the audit head is missing", hint="run `totalplace audit verify`")
    return Head(int(row.seq), str(row.hash), str(row.at or ""), str(row.alg or ALG_PLAIN))


def start_keyed(conn: Connection, key_id: int) -> None:
    """Seal a new, empty chain with key ``key_id`` from its first record on (``Place.init``)."""
    count = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
    seq = conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1).with_for_update()).scalar_one()
    if count or seq:
        raise ConflictError(
            "the audit log already holds records", hint="key it with `totalplace audit upgrade`"
        )
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(alg=alg_name(key_id)))


def key_chain(conn: Connection, key_id: int, *, actor: str) -> AuditRecord:
    """Key an existing plain chain from now on: the ``audit.keyed`` record is the first sealed one.

    The records before it are not rehashed; they keep their SHA-256 seals, and the keyed record names the
    plain head it follows, so what was verified before keying stays verifiable and visibly unkeyed.
    """
    lock_head(conn)
    current = head(conn)
    if key_id_of(head_alg(conn)) is not None:
        raise ConflictError(
            "this place's audit chain is already keyed", hint="rotate with `audit rotate-key`"
        )
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(alg=alg_name(key_id)))
    return append(
        conn,
        actor=actor,
        action=KEYED_ACTION,
        object_type="audit",
        object_id="chain",
        detail={"key": key_id, "plain_records": current.seq, "plain_head": current.hash},
    )


def rotate_key(conn: Connection, new_key_id: int, *, actor: str) -> AuditRecord:
    """Record that key ``new_key_id`` seals every record after this one (this one has the old key's seal)."""
    lock_head(conn)
    old = key_id_of(head_alg(conn))
    if old is None:
        raise ConflictError(
            "this place's audit chain is not keyed yet", hint="run `totalplace audit upgrade`"
        )
    if new_key_id <= old:
        raise ConflictError(f"audit key {new_key_id} is not newer than the current key {old}")
    record = append(
        conn,
        actor=actor,
        action=ROTATED_ACTION,
        object_type="audit",
        object_id="chain",
        detail={"from": old, "to": new_key_id},
    )
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(alg=alg_name(new_key_id)))
    return record


def head_seq(conn: Connection) -> int:
    """The number of the newest record as the head row names it (0 for an empty log)."""
    return int(conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar_one_or_none() or 0)


def head_alg(conn: Connection) -> str:
    """The algorithm the head row says the next record will be sealed with."""
    return str(conn.execute(select(audit_head.c.alg).where(audit_head.c.id == 1)).scalar_one())


def verify(conn: Connection, *, against: str | None = None) -> AuditVerification:
    """Check every record's seal, the links between them, their numbering, the head and the anchor file.

    ``against`` is a head printed earlier (``SEQ:HASH``, ``SEQ:FINGERPRINT`` or ``HASH``); the chain must
    still run through it.
    """
    from totalplace.store.audit_verify import verify_chain

    return verify_chain(conn, against=against)
