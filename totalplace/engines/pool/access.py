"""Who may see and change what in a pool: the pool as a resource of the access policy, and what one
principal sees of it.

The one place a pool's agreement is turned into a :class:`~totalplace.governance.policy.Resource`: its
partners' ids, its host's id and whether the agreement opens the books. A posting belongs to one partner: the
partner a contribution or in-kind time names, the owner of the scheme an allocation or spend is against,
and for a reversal the partner the reversed transaction belonged to. A line of the ledger belongs to the
partner it names, else to the owner of its scheme; a line that names neither is the pool's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from totalplace.governance.policy import Resource, allowed, authorize, partners_shown
from totalplace.store.partners import list_partners

if TYPE_CHECKING:
    from totalplace.engines.pool.fund import Fund
    from totalplace.governance.roles import Principal
    from totalplace.store.ledger import Entry


def partner_ids(conn: Connection) -> dict[str, int]:
    """Each partner of the place's id, by name."""
    return {p.name: p.id for p in list_partners(conn)}


def scheme_owners(fund: Fund) -> dict[str, str]:
    """Each scheme's owning partner, over every version of the agreement (the newest owner wins)."""
    owners: dict[str, str] = {}
    for version in fund.versions:
        for scheme in fund.agreement_on(version.effective_from).schemes:
            owners[scheme.name] = scheme.owner
    return owners


def pool_resource(conn: Connection, fund: Fund) -> Resource:
    """The pool as the access policy sees it: its partners, its host, and whether its books are open."""
    ids = partner_ids(conn)
    agreement = fund.agreement
    return Resource(
        "pool",
        fund.name,
        members=frozenset(ids[p] for p in agreement.partners if p in ids),
        host=ids.get(agreement.host),
        open_books=agreement.open_books,
    )


def owned(ids: dict[str, int], pool: Resource, kind: str, partner: str | None) -> Resource:
    """A posting or statement of ``pool`` that belongs to ``partner`` (None: it names no partner); ``ids``
    are the place's partners' ids by name (:func:`partner_ids`)."""
    owner = ids.get(partner) if partner else None
    label = f"{pool.name}: {partner or 'no partner'}"
    return Resource(kind, label, owner, pool.members, pool.host, pool.open_books)


@dataclass(frozen=True, slots=True)
class Sight:
    """What one principal sees of a pool: every partner's lines (``shown`` None) or those of ``shown``."""

    pool: Resource
    shown: frozenset[str] | None
    owners: dict[str, str]

    @property
    def everything(self) -> bool:
        """True when every partner's lines are shown."""
        return self.shown is None

    def sees(self, partner: str | None) -> bool:
        """Whether the lines of ``partner`` are shown (a line of no partner only to who sees everything)."""
        return self.shown is None or (partner is not None and partner in self.shown)

    def owner_of_scheme(self, scheme: str | None) -> str | None:
        """The partner that owns ``scheme``."""
        return self.owners.get(scheme) if scheme else None

    def sees_scheme(self, scheme: str | None) -> bool:
        """Whether the lines of ``scheme`` (its budget, allocation and spend) are shown."""
        return self.sees(self.owner_of_scheme(scheme))

    def sees_entry(self, entry: Entry) -> bool:
        """Whether one side of a transaction is shown: it belongs to its partner, else its scheme's owner."""
        return self.sees(entry.partner or self.owner_of_scheme(entry.scheme))

    def sees_account(self, account: str) -> bool:
        """Whether an account's balance is shown: ``partner:P:year`` is P's, ``scheme:S``/``spend:S``
        the owner of S's, and the pool's cash is shown to everyone (it is the pool's, a total)."""
        kind, _, rest = account.partition(":")
        if kind == "partner":
            return self.sees(rest.rsplit(":", 1)[0])
        if kind in ("scheme", "spend"):
            return self.sees_scheme(rest)
        return True


def sight(conn: Connection, fund: Fund, principal: Principal) -> Sight:
    """What ``principal`` sees of ``fund``; refuses one who may not read the pool at all (TP201)."""
    pool = pool_resource(conn, fund)
    shown_ids = partners_shown(principal, pool)
    if shown_ids is None:
        return Sight(pool, None, scheme_owners(fund))
    ids = partner_ids(conn)
    names = frozenset(p for p in fund.agreement.partners if ids.get(p) in shown_ids)
    return Sight(pool, names, scheme_owners(fund))


def require(conn: Connection, fund: Fund, principal: Principal, action: str) -> Resource:
    """Refuse unless ``principal`` may take ``action`` (pool.manage, pool.read_all) on the pool."""
    pool = pool_resource(conn, fund)
    authorize(principal, action, pool)
    return pool


def can(conn: Connection, fund: Fund, principal: Principal, action: str) -> bool:
    """Whether ``principal`` may take ``action`` on the pool: to show a form or a link."""
    return allowed(principal, action, pool_resource(conn, fund))


def postable_partners(conn: Connection, fund: Fund, principal: Principal) -> list[str]:
    """The pool's partners ``principal`` may post for (pool.post): to offer them in the post form."""
    pool, ids = pool_resource(conn, fund), partner_ids(conn)
    return [
        p for p in fund.agreement.partners if allowed(principal, "pool.post", owned(ids, pool, "posting", p))
    ]


def posting_resource(conn: Connection, fund: Fund, partner: str | None) -> Resource:
    """A posting (or a partner's forecast) of ``fund`` that belongs to ``partner``."""
    return owned(partner_ids(conn), pool_resource(conn, fund), "posting", partner)


def visible_partners(conn: Connection, fund: Fund, principal: Principal) -> set[str] | None:
    """The partners (by name) whose lines ``principal`` sees in ``fund``: None for all of them.

    Refuses a principal who may not read the pool at all.
    """
    shown = sight(conn, fund, principal).shown
    return None if shown is None else set(shown)
