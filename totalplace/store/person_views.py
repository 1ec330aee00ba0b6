"""The audit of every view of data about people: who looked, at whom, and why (DESIGN.md §7)."""

from __future__ import annotations

from sqlalchemy import Connection

from totalplace.store import audit
from totalplace.store.audit import AuditRecord


def record_view(
    conn: Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    subject_id: str,
    purpose: str,
    reason: str | None,
    records: int,
) -> AuditRecord:
    """Append the audit record of one view (``action`` e.g. ``person.view`` or ``person.reveal``)."""
    return audit.append(
        conn,
        actor=actor,
        action=action,
        object_type=subject,
        object_id=subject_id,
        detail={"purpose": purpose, "reason": reason, "records": records},
    )
