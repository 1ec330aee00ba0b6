"""Keying an existing place's audit chain, rotating its key, and the head to print for a scrutiny committee.

Keying never rehashes history: the old chain is verified as it stands (plain SHA-256), then an ``audit.keyed``
record, sealed with the new key, names the plain head it follows. From there on every record is an HMAC and
every committed head is anchored. A rotation is itself a record (sealed by the old key) naming the new key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from totalplace.errors import AuditChainError, ConflictError
from totalplace.store import audit, audit_anchor
from totalplace.store.audit_keys import key_id_of
from totalplace.store.audit_verify import verify_chain

if TYPE_CHECKING:
    from totalplace.place import Place


@dataclass(frozen=True)
class KeyChange:
    """What ``audit upgrade`` or ``audit rotate-key`` did."""

    record: audit.AuditRecord
    key_id: int
    key_source: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "seq": self.record.seq,
            "action": self.record.action,
            "key": self.key_id,
            "key_source": self.key_source,
            "fingerprint": audit.fingerprint(self.record.hash),
        }


def _require_intact(place: Place, *, keying: bool = False) -> audit.AuditVerification:
    with place.read() as conn:
        result = verify_chain(conn, expect_keyed=not keying)
    if not result.ok:
        raise AuditChainError(
            "the audit chain does not verify, so its key cannot be changed: "
            + "; ".join(result.problems[:3]),
            hint="run `totalplace audit verify` and restore the store from a backup that verifies",
        )
    return result


def _key_source(place: Place, key_id: int) -> str:
    if place.audit.keyring.from_setting:
        return f"TOTALPLACE_AUDIT_KEY (key {key_id})"
    return str(place.dir / "keys" / f"audit-{key_id}.key")


def key_existing_chain(place: Place, *, actor: str) -> KeyChange:
    """Verify the plain chain as it is, then key it from an ``audit.keyed`` record on."""
    result = _require_intact(place, keying=True)
    if result.keyed_from is not None:
        raise ConflictError(
            f"this place's audit chain is already keyed (from record {result.keyed_from})",
            hint="to change its key use `totalplace audit rotate-key`",
        )
    keyring = place.audit.keyring
    # A key left by an interrupted upgrade sealed nothing yet, so it is used rather than skipped.
    key_id = max(keyring.known_ids(), default=1)
    keyring.create(key_id)
    audit_anchor.create(place.audit.anchor_path)
    with place.begin() as conn:
        record = audit.key_chain(conn, key_id, actor=actor)
    return KeyChange(record, key_id, _key_source(place, key_id))


def rotate(place: Place, *, actor: str) -> KeyChange:
    """Make the next audit key and record that it seals every record after the rotation record."""
    _require_intact(place)
    with place.read() as conn:
        current = key_id_of(audit.head_alg(conn))
    if current is None:
        raise ConflictError(
            "this place's audit chain is not keyed yet", hint="key it with `totalplace audit upgrade`"
        )
    new_id = max([current, *place.audit.keyring.known_ids()]) + 1
    if place.audit.keyring.from_setting:
        new_id = current + 1
    place.audit.keyring.create(new_id)
    with place.begin() as conn:
        record = audit.rotate_key(conn, new_id, actor=actor)
    return KeyChange(record, new_id, _key_source(place, new_id))


def printable_head(place: Place) -> tuple[audit.Head, audit.AuditVerification]:
    """The current head and whether the chain (and anchor) verify, for ``audit anchor`` and /audit."""
    with place.read() as conn:
        result = audit.verify(conn)
    return result.head or audit.Head(0, audit.GENESIS_HASH, "", "sha256"), result
