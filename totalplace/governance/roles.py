"""Roles, purposes and the permissions they carry.

A role is held for a partner (or the whole place) and a purpose. The table below is the whole access model
of this release; person-level permissions arrive with the linkage and cases engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from totalplace.errors import InvalidInputError, PermissionDeniedError
from totalplace.store.users import RoleGrant

ROLES: Final[dict[str, str]] = {
    "partnership_lead": "sets up the place, partners, outcomes, plan and deal; reads the whole picture",
    "partner_finance": "uploads its partner's spending and contributions; sees its own ledger",
    "analyst": "runs analyses on pseudonymised data",
    "case_worker": "sees profiles of families it has a legitimate relationship with",
    "auditor": "reads totals, settlements and the audit trail; changes nothing",
}

PURPOSES: Final[dict[str, str]] = {
    "planning": "planning and commissioning services for the place",
    "finance": "managing and accounting for public money",
    "analysis": "analysis and evaluation on pseudonymised data",
    "direct_care": "delivering care and support to individuals",
    "audit": "audit and scrutiny",
}

# Which roles may take each action. Admins may take every action.
PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    "place.manage": frozenset({"partnership_lead"}),
    "datasets.import": frozenset({"partnership_lead", "partner_finance", "analyst"}),
    "datasets.read": frozenset(ROLES),
    "audit.read": frozenset({"partnership_lead", "auditor"}),
    "pool.read": frozenset({"partnership_lead", "partner_finance", "auditor"}),
    "pool.manage": frozenset({"partnership_lead"}),
    "pool.post": frozenset({"partnership_lead", "partner_finance"}),
    "segment.manage": frozenset({"partnership_lead", "analyst"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user with their roles (the CLI acts as a trusted local operator)."""

    username: str
    is_admin: bool
    grants: tuple[RoleGrant, ...]

    def can(self, action: str, partner_id: int | None = None) -> bool:
        """True when some role allows ``action`` (for ``partner_id``, when the action is about a partner)."""
        if self.is_admin:
            return True
        allowed = PERMISSIONS.get(action, frozenset())
        return any(
            g.role in allowed and (g.partner_id is None or partner_id is None or g.partner_id == partner_id)
            for g in self.grants
        )

    def require(self, action: str, partner_id: int | None = None) -> None:
        """Raise PermissionDeniedError unless allowed."""
        if not self.can(action, partner_id):
            raise PermissionDeniedError(
                f"{self.username} may not {action.replace('.', ' ')}",
                hint="ask a partnership lead to grant you a role that allows it",
            )

    def pool_statements(self, members: dict[str, int]) -> set[str]:
        """Whose statements in a pool this user may read (``members``: partner name to id).

        Only the pool's partners and the auditor see a pool (DESIGN.md §7). Admins, auditors and place-wide
        partnership leads see every statement; a partner's own roles see only that partner's statement.
        """
        if self.is_admin:
            return set(members)
        whole = {
            g
            for g in self.grants
            if g.role == "auditor" or (g.role == "partnership_lead" and g.partner_id is None)
        }
        if whole:
            return set(members)
        own = {name for name, pid in members.items() if any(g.partner_id == pid for g in self.grants)}
        if not own or not self.can("pool.read"):
            raise PermissionDeniedError(
                f"{self.username} is not in this pool",
                hint="only the pool's partners and the auditor can see it",
            )
        return own


OPERATOR = Principal("cli", True, ())


def check_role(role: str, purpose: str) -> None:
    """Refuse an unknown role or purpose, listing the known ones."""
    if role not in ROLES:
        raise InvalidInputError(f"unknown role {role!r}", hint=f"roles are: {', '.join(ROLES)}")
    if purpose not in PURPOSES:
        raise InvalidInputError(f"unknown purpose {purpose!r}", hint=f"purposes are: {', '.join(PURPOSES)}")
