"""The policy's resources for a pool and a partner's postings in it (a stand-in until engines/pool/access.py).

The lead unifies this with the pool access helper at merge: both build the same :class:`Resource` from the
pool's agreement and the place's partner ids.
"""

from __future__ import annotations

from sqlalchemy import Connection

from totalplace.engines.pool.fund import Fund
from totalplace.governance.policy import Resource, partners_shown
from totalplace.governance.roles import Principal
from totalplace.store.partners import list_partners


def _ids(conn: Connection) -> dict[str, int]:
    """Each partner's id by its name as agreements spell it (names are matched without case)."""
    return {p.name.lower(): p.id for p in list_partners(conn)}


def pool_resource(conn: Connection, fund: Fund) -> Resource:
    """The pool as the policy sees it: its partners, its host (by id)."""
    ids = _ids(conn)
    agreement = fund.agreement
    members = frozenset(ids[p.lower()] for p in agreement.partners if p.lower() in ids)
    return Resource("pool", fund.name, members=members, host=ids.get(agreement.host.lower()))


def posting_resource(conn: Connection, fund: Fund, partner: str) -> Resource:
    """A posting (or a forecast) that belongs to ``partner`` in the pool (an unknown partner owns nothing)."""
    pool = pool_resource(conn, fund)
    return Resource(
        "posting",
        f"{fund.name}:{partner}",
        owner=_ids(conn).get(partner.lower()),
        members=pool.members,
        host=pool.host,
    )


def visible_partners(conn: Connection, fund: Fund, principal: Principal) -> set[str] | None:
    """The partners (by name) whose lines the principal may see in the pool: None for all of them.

    Refuses a principal who may not read the pool at all.
    """
    pool = pool_resource(conn, fund)
    shown = partners_shown(principal, pool)
    if shown is None:
        return None
    ids = _ids(conn)
    return {p for p in fund.agreement.partners if ids.get(p.lower()) in shown}
