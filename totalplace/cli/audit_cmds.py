"""``totalplace audit``: verify the keyed, anchored chain, show it, print its head, key it, rotate its key."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, table
from totalplace.place import Place

if TYPE_CHECKING:
    from totalplace.store.audit import AuditVerification, Head


@click.group("audit")
def audit_group() -> None:
    """The append-only audit trail: keyed (HMAC), hash-chained and anchored beside the place."""


@audit_group.command("verify")
@click.option(
    "--against",
    default=None,
    metavar="SEQ:HASH",
    help="A head printed earlier by `audit anchor` (SEQ:HASH, SEQ:FINGERPRINT or HASH): the chain must "
    "still run through it.",
)
@with_place
def audit_verify(place: Place, out: Output, against: str | None) -> None:
    """Check that no audit record was edited, deleted or reordered, and that the anchor agrees.

    Exits 1, listing every problem, if anything does not verify.
    """
    from totalplace.store import audit

    with place.read() as conn:
        result = audit.verify(conn, against=against)
    out.emit(result.to_dict(), lambda: _print_verification(result))
    if not result.ok:
        sys.exit(1)


def _print_verification(result: AuditVerification) -> None:
    if result.ok:
        keyed = f"keyed from record {result.keyed_from}" if result.keyed_from else "not keyed"
        anchored = f", anchored to record {result.anchored_seq}" if result.anchored_seq is not None else ""
        console.print(
            f"[green]The audit trail verifies: {result.records} records, chain intact ({keyed}{anchored}).[/]"
        )
    else:
        console.print("[red]The audit trail does NOT verify:[/]\n  " + "\n  ".join(result.problems))
    for note in result.notes:
        console.print(f"Note: {note}")


@audit_group.command("log")
@click.option("--limit", default=50, show_default=True, help="How many of the newest records to show.")
@click.option(
    "--object",
    "ref",
    default=None,
    metavar="KIND:NAME",
    help="One object's history instead: its versions (who, when, why) and every audit record about it "
    "(any audited object, e.g. pool:NAME, has its records).",
)
@with_place
def audit_log(place: Place, out: Output, limit: int, ref: str | None) -> None:
    """Show the newest audit records, or one versioned object's history (--object model:falls-service)."""
    from totalplace.store import audit

    if ref is not None:
        _object_log(place, out, ref)
        return
    with place.read() as conn:
        recs = list(audit.records(conn, limit=limit, newest_first=True))
    out.emit(
        [r.__dict__ for r in recs],
        lambda: table(
            "Audit trail (newest first)",
            ("seq", "at", "actor", "action", "object", "detail"),
            [
                (r.seq, r.at[:19], r.actor, r.action, f"{r.object_type} {r.object_id}", r.detail[:80])
                for r in recs
            ],
        ),
    )


def _object_log(place: Place, out: Output, ref: str) -> None:
    """``audit log --object``: the object's versions, each with its diff against the one before, and its
    audit records."""
    from totalplace.governance.roles import OPERATOR
    from totalplace.history import object_history
    from totalplace.store.versions import KINDS, audit_records, parse_ref

    kind, _, name = ref.partition(":")
    if kind not in KINDS and name:  # any other audited object (a pool, a batch, a user): its records only
        with place.read() as conn:
            recs = audit_records(conn, kind, name)
        rows = [(r.seq, r.at[:19], r.actor, r.action, r.detail[:100]) for r in recs]
        out.emit(
            {"object": ref, "versions": [], "audit": [r.__dict__ for r in recs]},
            lambda: table(f"Audit records about {ref}", ("seq", "at", "actor", "action", "detail"), rows),
        )
        return
    found = object_history(place, OPERATOR, *parse_ref(ref))

    def show() -> None:
        table(
            f"History of {found.ref}",
            ("version", "at", "by", "why", "restores", "sha256"),
            [
                (v.version, v.created_at[:19], v.created_by, v.reason, v.restored_from or "", v.sha256[:16])
                for v in (s.version for s in found.steps)
            ],
        )
        table(
            f"Audit records about {found.ref}",
            ("seq", "at", "actor", "action", "detail"),
            [(r.seq, r.at[:19], r.actor, r.action, r.detail[:100]) for r in found.records],
        )

    out.emit(found.to_dict(), show)


@audit_group.command("anchor")
@with_place
def audit_anchor_cmd(place: Place, out: Output) -> None:
    """Print the chain's current head to hand to a scrutiny committee (exits 1 if the chain does not verify).

    Keep the printed record number and hash (or the fingerprint, short enough to read aloud); later,
    `totalplace audit verify --against SEQ:HASH` proves that the history up to it was not rewritten.
    """
    from totalplace.store.audit_admin import printable_head

    head, result = printable_head(place)
    data = {"place": place.config.name, **head.to_dict(), "verification": result.to_dict()}
    out.emit(data, lambda: _print_head(place, head, result))
    if not result.ok:
        sys.exit(1)


def _print_head(place: Place, head: Head, result: AuditVerification) -> None:
    lines = (
        f"Audit head of {place.config.name}: record {head.seq}, written {head.at[:19]} UTC",
        f"  hash         {head.hash}",
        f"  fingerprint  [bold]{head.fingerprint}[/]",
        f"  sealed with  {head.alg}",
        f"Check it later: totalplace audit verify --against {head.seq}:{head.hash}",
    )
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False)  # never wrapped: people copy these
    _print_verification(result)


@audit_group.command("upgrade")
@with_place
def audit_upgrade(place: Place, out: Output) -> None:
    """Key the audit chain of a place made before chains were keyed (verifies the old chain first)."""
    from totalplace.store.audit_admin import key_existing_chain

    change = key_existing_chain(place, actor="cli")
    out.emit(
        change.to_dict(),
        lambda: console.print(
            f"The audit chain is keyed from record {change.record.seq} on, with key {change.key_id} "
            f"({change.key_source}). Back the key up apart from the database; see docs/audit.md."
        ),
    )


@audit_group.command("rotate-key")
@with_place
def audit_rotate(place: Place, out: Output) -> None:
    """Make a new audit key; records after the rotation record are sealed with it (keep the old key too)."""
    from totalplace.store.audit_admin import rotate

    change = rotate(place, actor="cli")
    out.emit(
        change.to_dict(),
        lambda: console.print(
            f"Record {change.record.seq} rotates the audit key: key {change.key_id} ({change.key_source}) "
            "seals every record after it. Keep the old key as well: it still verifies older records."
        ),
    )
