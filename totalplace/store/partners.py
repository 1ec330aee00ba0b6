"""Partners: the agencies of the place (council, NHS, police, fire, DWP, voluntary sector, …)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from totalplace.errors import ConflictError, InvalidInputError, NotFoundError
from totalplace.store import audit
from totalplace.store.clock import utc_now
from totalplace.store.schema import partners

PARTNER_KINDS: Final = ("local_authority", "nhs", "police", "fire", "dwp", "vcs", "other")


@dataclass(frozen=True)
class Partner:
    """One agency taking part in the place."""

    id: int
    name: str
    kind: str
    code: str | None
    created_at: str


def add_partner(conn: Connection, *, name: str, kind: str, code: str | None, actor: str) -> Partner:
    """Register a partner; its name must be new."""
    name = name.strip()
    if not name:
        raise InvalidInputError("a partner needs a name")
    if kind not in PARTNER_KINDS:
        raise InvalidInputError(
            f"unknown partner kind {kind!r}", hint=f"use one of: {', '.join(PARTNER_KINDS)}"
        )
    if conn.execute(select(partners.c.id).where(partners.c.name == name)).first() is not None:
        raise ConflictError(f"a partner called {name!r} already exists", hint="see `totalplace partner list`")
    created = utc_now()
    try:
        with conn.begin_nested():
            pid = conn.execute(
                partners.insert()
                .values(name=name, kind=kind, code=code, created_at=created)
                .returning(partners.c.id)
            ).scalar_one()
    except IntegrityError:
        raise ConflictError(f"a partner called {name!r} already exists") from None
    audit.append(
        conn,
        actor=actor,
        action="partner.add",
        object_type="partner",
        object_id=pid,
        detail={"name": name, "kind": kind, "code": code},
    )
    return Partner(int(pid), name, kind, code, created)


def list_partners(conn: Connection) -> list[Partner]:
    """All partners, by name."""
    rows = conn.execute(select(partners).order_by(partners.c.name))
    return [Partner(**r._mapping) for r in rows]


def partner_by_name(conn: Connection, name: str) -> Partner:
    """The partner with this name (case-insensitive), or a NotFoundError that lists the others."""
    for p in list_partners(conn):
        if p.name.lower() == name.strip().lower():
            return p
    known = ", ".join(p.name for p in list_partners(conn)) or "none yet"
    raise NotFoundError(f"no partner called {name!r}", hint=f"partners are: {known}")


def partner_by_id(conn: Connection, partner_id: int) -> Partner:
    """The partner with this id."""
    row = conn.execute(select(partners).where(partners.c.id == partner_id)).first()
    if row is None:
        raise NotFoundError(f"no partner with id {partner_id}")
    return Partner(**row._mapping)
