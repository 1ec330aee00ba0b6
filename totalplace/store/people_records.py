"""Records about people in the store: pseudonym key generations, the provenance of each person_records batch,
and the national data opt-out lists (pseudonyms only). Rows are inserted, never edited; each insert is
audited in the caller's transaction. No clear identifier ever reaches these tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select

from totalplace.store import audit
from totalplace.store.clock import utc_now
from totalplace.store.schema import batches, optout_entries, optout_lists, pseudonym_keys, record_batches


@dataclass(frozen=True)
class KeyGeneration:
    """One generation of a purpose's pseudonym key, as recorded (the key itself is never stored)."""

    purpose: str
    generation: int
    fingerprint: str
    created_at: str
    created_by: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def key_generations(conn: Connection, purpose: str | None = None) -> list[KeyGeneration]:
    """Every recorded generation (of one purpose), oldest first."""
    query = select(pseudonym_keys).order_by(pseudonym_keys.c.purpose, pseudonym_keys.c.generation)
    if purpose is not None:
        query = query.where(pseudonym_keys.c.purpose == purpose)
    return [
        KeyGeneration(r.purpose, r.generation, r.fingerprint, r.created_at, r.created_by, r.reason)
        for r in conn.execute(query)
    ]


def latest_generation(conn: Connection, purpose: str) -> KeyGeneration | None:
    """The generation of ``purpose``'s key in force, or None before its first use."""
    found = key_generations(conn, purpose)
    return found[-1] if found else None


def record_generation(
    conn: Connection, *, purpose: str, fingerprint: str, actor: str, reason: str
) -> KeyGeneration:
    """Record the next generation of ``purpose``'s key (its fingerprint only) and audit it."""
    audit.lock_head(conn)
    now = latest_generation(conn, purpose)
    number = 1 if now is None else now.generation + 1
    at = utc_now()
    conn.execute(
        insert(pseudonym_keys).values(
            purpose=purpose,
            generation=number,
            fingerprint=fingerprint,
            created_at=at,
            created_by=actor,
            reason=reason,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="keys.rotate" if number > 1 else "keys.create",
        object_type="pseudonym_key",
        object_id=purpose,
        detail={"generation": number, "fingerprint": fingerprint, "reason": reason},
    )
    return KeyGeneration(purpose, number, fingerprint, at, actor, reason)


def first_generation(conn: Connection, *, purpose: str, fingerprint: str, actor: str) -> KeyGeneration:
    """The generation in force, recording ``fingerprint`` as generation 1 if there is none (under the audit
    head's lock, so two first uses at once record it once)."""
    audit.lock_head(conn)
    return latest_generation(conn, purpose) or record_generation(
        conn, purpose=purpose, fingerprint=fingerprint, actor=actor, reason="first use"
    )


@dataclass(frozen=True)
class RecordBatch:
    """The provenance of one person_records batch beyond the catalog's row."""

    batch_id: int
    agreement: str
    agreement_version: int
    purpose: str
    source: str
    key_generation: int
    records_read: int
    dropped: list[str]
    opt_out: dict[str, Any]
    identities_path: str | None
    identities_sha256: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (where the identities file is is left out: it is restricted)."""
        out = dict(self.__dict__)
        out.pop("identities_path")
        out["identities_kept"] = self.identities_path is not None
        return out


def insert_record_batch(conn: Connection, row: RecordBatch, *, actor: str) -> None:
    """Record a person_records batch's provenance and audit it (no identifier is in the detail)."""
    values = dict(row.__dict__)
    values["dropped"] = json.dumps(row.dropped)
    values["opt_out"] = json.dumps(row.opt_out, sort_keys=True)
    conn.execute(insert(record_batches).values(**values))
    audit.append(
        conn,
        actor=actor,
        action="records.import",
        object_type="batch",
        object_id=row.batch_id,
        detail=row.to_dict(),
    )


def record_batches_of(conn: Connection, purpose: str, *, active_only: bool = True) -> list[RecordBatch]:
    """The person_records batches shared for ``purpose``, oldest first (active ones only by default)."""
    query = (
        select(record_batches)
        .select_from(record_batches.join(batches, batches.c.id == record_batches.c.batch_id))
        .where(record_batches.c.purpose == purpose)
        .order_by(record_batches.c.batch_id)
    )
    if active_only:
        query = query.where(batches.c.status == "active")
    return [_record_batch(r) for r in conn.execute(query)]


def record_batch(conn: Connection, batch_id: int) -> RecordBatch | None:
    """The provenance of batch ``batch_id``, or None for a batch that is not one of records about people."""
    row = conn.execute(select(record_batches).where(record_batches.c.batch_id == batch_id)).first()
    return None if row is None else _record_batch(row)


def _record_batch(row: Any) -> RecordBatch:
    m = dict(row._mapping)
    m["dropped"] = json.loads(m["dropped"])
    m["opt_out"] = json.loads(m["opt_out"])
    return RecordBatch(**m)


@dataclass(frozen=True)
class OptOutList:
    """One imported response of the opt-out check: its date, expiry and size (never its numbers)."""

    id: int
    list_date: str
    expires: str
    entries: int
    sha256: str
    key_generation: int
    imported_at: str
    imported_by: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def insert_optout_list(
    conn: Connection,
    *,
    list_date: str,
    expires: str,
    sha256: str,
    key_generation: int,
    pseudonyms: Iterable[str],
    actor: str,
) -> OptOutList:
    """Keep an opt-out list as the pseudonyms of the NHS numbers that may be used, and audit its import."""
    audit.lock_head(conn)
    unique = sorted(set(pseudonyms))
    at = utc_now()
    values = {
        "list_date": list_date,
        "expires": expires,
        "entries": len(unique),
        "sha256": sha256,
        "key_generation": key_generation,
        "imported_at": at,
        "imported_by": actor,
    }
    inserted = conn.execute(insert(optout_lists).values(**values)).inserted_primary_key
    list_id = int(inserted[0]) if inserted else 0
    for start in range(0, len(unique), 5000):
        chunk = unique[start : start + 5000]
        conn.execute(insert(optout_entries), [{"list_id": list_id, "pseudonym": p} for p in chunk])
    detail = {k: v for k, v in values.items() if k not in ("imported_at", "imported_by")}
    audit.append(
        conn, actor=actor, action="optout.import", object_type="optout_list", object_id=list_id, detail=detail
    )
    return OptOutList(list_id, **values)  # type: ignore[arg-type]


def latest_optout_list(conn: Connection) -> OptOutList | None:
    """The opt-out list imported last (by date of the check, then by import), or None."""
    row = conn.execute(
        select(optout_lists).order_by(optout_lists.c.list_date.desc(), optout_lists.c.id.desc()).limit(1)
    ).first()
    return None if row is None else OptOutList(**dict(row._mapping))


def optout_pseudonyms(conn: Connection, list_id: int) -> frozenset[str]:
    """The pseudonyms of the NHS numbers list ``list_id`` says may be used."""
    rows = conn.execute(select(optout_entries.c.pseudonym).where(optout_entries.c.list_id == list_id))
    return frozenset(str(r[0]) for r in rows)


def optout_list_count(conn: Connection) -> int:
    """How many opt-out lists were ever imported."""
    return int(conn.execute(select(func.count()).select_from(optout_lists)).scalar_one())
