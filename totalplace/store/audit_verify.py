"""``audit verify``: the chain, the head, the anchor file and a head printed earlier, checked together.

What a pass proves (docs/audit.md): every record is sealed as its algorithm says (HMAC records by a key the
store does not hold), each follows the one before, the numbering has no gap, the head row names the last
record and the algorithm that comes next, every anchored (record, hash) is the store's, and the store holds
at least as many records as the anchor has seen, and every version of a versioned object is the one its audit
record describes (:func:`totalplace.store.versions.check_versions`: same SHA-256, author, time, reason).
The anchor is read before the store, so a record committed
and anchored meanwhile by another process is in the store by the time it is read.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from totalplace.errors import InvalidInputError
from totalplace.store import audit_anchor, versions
from totalplace.store.audit import (
    GENESIS_HASH,
    KEYED_ACTION,
    ROTATED_ACTION,
    AuditRecord,
    AuditVerification,
    Head,
    fingerprint,
    records,
    seal,
)
from totalplace.store.audit_keys import ALG_PLAIN, AuditContext, alg_name, context_of, key_id_of
from totalplace.store.schema import audit_head

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FINGERPRINT = re.compile(r"^[A-Z2-7]{16}$")


@dataclass(frozen=True)
class Against:
    """A head printed earlier: its record number (if given) and its hash or fingerprint."""

    seq: int | None
    hash: str | None
    fingerprint: str | None

    def matches(self, rec: AuditRecord) -> bool:
        """True when ``rec`` is that head."""
        if self.hash is not None:
            return hmac.compare_digest(self.hash, rec.hash)
        return self.fingerprint == fingerprint(rec.hash).replace("-", "")


def parse_against(text: str) -> Against:
    """``SEQ:HASH``, ``SEQ:FINGERPRINT`` or a bare ``HASH`` (as ``totalplace audit anchor`` prints them)."""
    seq_text, sep, value = text.strip().rpartition(":")
    value = value.strip()
    seq: int | None = None
    if sep:
        if not seq_text.strip().isdigit():
            raise _bad_against(text)
        seq = int(seq_text)
    if _HEX64.match(value.lower()):
        return Against(seq, value.lower(), None)
    compact = value.replace("-", "").replace(" ", "").upper()
    if seq is not None and _FINGERPRINT.match(compact):
        return Against(seq, None, compact)
    raise _bad_against(text)


def _bad_against(text: str) -> InvalidInputError:
    return InvalidInputError(
        f"{text!r} is not a head printed by `totalplace audit anchor`",
        hint="give SEQ:HASH (e.g. 812:3fa9…), SEQ:FINGERPRINT (812:ABCD-EFGH-JKLM-NPQR) or the 64-digit hash",
    )


@dataclass
class _Walk:
    """The state of one pass over the records."""

    result: AuditVerification
    context: AuditContext | None
    anchored: dict[int, list[audit_anchor.AnchorLine]]
    against: Against | None
    prev_hash: str = GENESIS_HASH
    expected_seq: int = 1
    expected_alg: str = ALG_PLAIN
    against_found: AuditRecord | None = None
    keys_used: set[int] = field(default_factory=set)
    # what the audit records say of each version of a versioned object, compared with its row afterwards
    versions: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)


def verify_chain(
    conn: Connection, *, against: str | None = None, expect_keyed: bool = True
) -> AuditVerification:
    """Run every check (see the module's docstring); problems and notes are gathered, not raised.

    ``expect_keyed`` False (only for ``audit upgrade``) accepts a plain chain beside an unused key.
    """
    target = parse_against(against) if against else None
    context = context_of(conn)
    result = AuditVerification()
    anchor = _read_anchor(context)
    anchored: dict[int, list[audit_anchor.AnchorLine]] = {}
    for line in anchor.lines if anchor else ():
        anchored.setdefault(line.seq, []).append(line)
    walk = _Walk(result, context, anchored, target)
    last: AuditRecord | None = None
    for last in records(conn):  # the last record is the verified head
        _check_record(walk, last)
    last_seq = walk.expected_seq - 1
    result.head_seq = last_seq
    if last is not None:
        result.head = Head(last.seq, last.hash, last.at, last.alg)
    _check_head(conn, walk)
    result.problems.extend(versions.check_versions(conn, walk.versions))
    if expect_keyed:
        _check_keying(walk)
    if anchor is not None:
        _check_anchor(walk, anchor, last_seq)
    if target is not None:
        _check_against(walk, target, last_seq)
    return result


def _read_anchor(context: AuditContext | None) -> audit_anchor.AnchorReading | None:
    if context is None:
        return None
    return audit_anchor.read(context.anchor_path, context.keyring.key)


def _check_record(walk: _Walk, rec: AuditRecord) -> None:
    problems = walk.result.problems
    walk.result.records += 1
    if rec.seq != walk.expected_seq:
        problems.append(f"record {rec.seq}: expected sequence number {walk.expected_seq}")
    if rec.prev_hash != walk.prev_hash:
        problems.append(f"record {rec.seq}: does not follow the record before it")
    _check_alg(walk, rec)
    try:
        digest = seal(walk.context, rec.alg, _fields(rec))
    except ValueError:
        problems.append(f"record {rec.seq}: names an unknown algorithm {rec.alg!r}")
    else:
        if not hmac.compare_digest(digest, rec.hash):
            problems.append(f"record {rec.seq}: contents were changed after it was written")
    for line in walk.anchored.get(rec.seq, ()):
        if line.hash != rec.hash:
            problems.append(
                f"anchor line {line.number} names record {rec.seq} with hash {line.hash[:16]}…, but the "
                f"store's record {rec.seq} is {rec.hash[:16]}…: it, or the history before it, was rewritten"
            )
    target = walk.against
    if target is not None and walk.against_found is None and _is_target(target, rec):
        walk.against_found = rec
    audited = versions.audited_version(rec)
    if audited is not None:
        walk.versions[audited[0]] = audited[1]
    walk.prev_hash = rec.hash
    walk.expected_seq = rec.seq + 1


def _is_target(target: Against, rec: AuditRecord) -> bool:
    return target.seq == rec.seq if target.seq is not None else target.matches(rec)


def _fields(rec: AuditRecord) -> tuple[int, str, str, str, str, str, str, str]:
    return (rec.seq, rec.at, rec.actor, rec.action, rec.object_type, rec.object_id, rec.detail, rec.prev_hash)


def _check_alg(walk: _Walk, rec: AuditRecord) -> None:
    """A chain is keyed only from its first record or an ``audit.keyed`` record, never unkeyed again, and
    changes key only after an ``audit.key_rotated`` record naming the new key."""
    try:
        key_id = key_id_of(rec.alg)
    except ValueError:
        return  # reported with the seal
    starts_keying = walk.expected_alg == ALG_PLAIN and key_id is not None
    if starts_keying and (rec.seq == 1 or rec.action == KEYED_ACTION):
        walk.expected_alg = rec.alg
        walk.result.keyed_from = rec.seq
    if rec.alg != walk.expected_alg:
        walk.result.problems.append(
            f"record {rec.seq}: sealed as {rec.alg} where the chain requires {walk.expected_alg}"
        )
    if key_id is not None:
        walk.keys_used.add(key_id)
    if rec.action == ROTATED_ACTION and key_id is not None:
        walk.expected_alg = _rotation_target(walk, rec)


def _rotation_target(walk: _Walk, rec: AuditRecord) -> str:
    try:
        target = json.loads(rec.detail)["to"]
        if not isinstance(target, int) or target < 1:
            raise ValueError(target)
    except (ValueError, KeyError, TypeError):
        walk.result.problems.append(f"record {rec.seq}: a key rotation that names no new key")
        return walk.expected_alg
    return alg_name(target)


def _check_head(conn: Connection, walk: _Walk) -> None:
    row = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash, audit_head.c.alg).where(audit_head.c.id == 1)
    ).first()
    last_seq = walk.expected_seq - 1
    if row is None:
        walk.result.problems.append("the audit head is missing")
        return
    if row.seq != last_seq or row.hash != walk.prev_hash:
        walk.result.problems.append(
            f"the newest record should be number {row.seq}, but the log ends at {last_seq}"
        )
    if row.alg != walk.expected_alg:
        walk.result.problems.append(
            f"the audit head would seal the next record as {row.alg}, but the chain requires "
            f"{walk.expected_alg}"
        )


def _check_keying(walk: _Walk) -> None:
    result = walk.result
    if result.keyed_from is not None:
        return
    known = walk.context.keyring.known_ids() if walk.context else []
    if known:
        result.problems.append(
            f"an audit key exists (key {known[-1]}) but no record is sealed with it: the keyed chain was "
            "replaced by a plain one, or `totalplace audit upgrade` was interrupted (then run it again)"
        )
    elif result.records:
        result.notes.append(
            "this place's audit chain is not keyed (plain SHA-256, which anyone who can write the database "
            "could recompute): run `totalplace audit upgrade` to key and anchor it"
        )


def _check_anchor(walk: _Walk, anchor: audit_anchor.AnchorReading, last_seq: int) -> None:
    result = walk.result
    result.problems.extend(anchor.problems)
    result.anchor_lines = len(anchor.lines)
    newest = anchor.newest
    result.anchored_seq = newest.seq if newest else None
    for line in anchor.lines:
        if line.seq > last_seq:
            result.problems.append(
                f"anchor line {line.number} names record {line.seq}, but the store ends at record "
                f"{last_seq}: records were deleted from the end"
            )
    if result.keyed_from is None:
        return
    if not anchor.exists or newest is None:
        result.problems.append(
            f"the audit anchor {walk.context.anchor_path if walk.context else ''} is "
            f"{'missing' if not anchor.exists else 'empty'} though the chain is keyed from record "
            f"{result.keyed_from}: it was deleted or emptied (restore it from its backup)"
        )
    elif newest.seq < last_seq:
        result.notes.append(
            f"the anchor is {last_seq - newest.seq} record(s) behind the store (its newest line names record "
            f"{newest.seq}, the store ends at {last_seq}): changes committed but not yet anchored, e.g. the "
            "process stopped in between. They verify by the chain from the anchored record on; the next "
            "change anchors them"
        )


def _check_against(walk: _Walk, target: Against, last_seq: int) -> None:
    result = walk.result
    found = walk.against_found
    named = f"record {target.seq}" if target.seq is not None else "the given hash"
    if found is None:
        result.problems.append(
            f"the head printed earlier ({named}) is not in the store, which ends at record {last_seq}: "
            "records were deleted or the chain rewritten"
        )
    elif not target.matches(found):
        result.problems.append(
            f"record {found.seq} is not the head printed earlier (its fingerprint is now "
            f"{fingerprint(found.hash)}): it, or the history before it, was rewritten"
        )
    else:
        result.notes.append(
            f"the chain still runs through the head printed earlier (record {found.seq}, "
            f"{fingerprint(found.hash)}); {last_seq - found.seq} record(s) were added since"
        )
