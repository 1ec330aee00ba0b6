"""Roles, purposes and the principal who acts.

A role is held for a partner (or the whole place) and a purpose; each role is held for the purposes listed
in :data:`ROLE_PURPOSES`. What each role may do is the access policy (:mod:`totalplace.governance.policy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from totalplace.errors import InvalidInputError
from totalplace.governance import policy
from totalplace.governance.policy import PLACE, Resource
from totalplace.store.users import RoleGrant

ROLES: Final[dict[str, str]] = {
    "partnership_lead": "sets up the place, partners, outcomes, plan and deal; reads the whole picture",
    "partner_finance": "uploads its partner's spending and contributions; sees its own lines and statement",
    "fund_manager": "manages the pooled funds its partner hosts: forecasts, variations and settlement",
    "analyst": "runs analyses on pseudonymised data",
    "case_worker": "sees profiles of families it has a legitimate relationship with",
    "auditor": "reads totals, settlements and the audit trail; changes nothing",
    "data_protection_officer": "records and reviews information-sharing agreements and the opt-out list",
}

PURPOSES: Final[dict[str, str]] = {
    "planning": "planning and commissioning services for the place",
    "finance": "managing and accounting for public money",
    "analysis": "analysis and evaluation on pseudonymised data",
    "direct_care": "delivering care and support to individuals",
    "audit": "audit and scrutiny",
    "governance": "information governance and data protection",
}

# The purposes each role may be held for: the purpose limits what the role's data may be used for (UK GDPR
# Art. 5(1)(b), purpose limitation), so a role is never granted for a purpose its work does not serve.
ROLE_PURPOSES: Final[dict[str, frozenset[str]]] = {
    "partnership_lead": frozenset({"planning", "finance"}),
    "partner_finance": frozenset({"finance"}),
    "fund_manager": frozenset({"finance"}),
    "analyst": frozenset({"analysis", "planning"}),
    "case_worker": frozenset({"direct_care"}),
    "auditor": frozenset({"audit"}),
    "data_protection_officer": frozenset({"governance", "planning"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user with their roles (the CLI acts as a trusted local operator)."""

    username: str
    is_admin: bool
    grants: tuple[RoleGrant, ...]

    def can(self, action: str, resource: Resource = PLACE) -> bool:
        """True when the access policy allows ``action`` on ``resource``."""
        return policy.allowed(self, action, resource)

    def require(self, action: str, resource: Resource = PLACE) -> None:
        """Raise PermissionDeniedError (or PartnerRequiredError) unless the policy allows."""
        policy.authorize(self, action, resource)

    def may(self, action: str) -> bool:
        """Whether some role may take ``action`` on something: enough to show a link, never to allow."""
        return policy.holds_any(self, action)

    def require_any(self, action: str) -> None:
        """Refuse early, before the resource is known, an action no role of the principal could take."""
        policy.require_any(self, action)

    @property
    def partner_ids(self) -> frozenset[int]:
        """The partners this principal holds a role for (a grant for the whole place adds none)."""
        return frozenset(g.partner_id for g in self.grants if g.partner_id is not None)


def trusted(name: str) -> Principal:
    """The trusted local operator acting under ``name`` (the command line, the demo builder, a test): whoever
    holds the place's files and keys may take every action; every change is still audited under the name."""
    return Principal(name, True, ())


OPERATOR = trusted("cli")


def check_role(role: str, purpose: str) -> None:
    """Refuse an unknown role or purpose, or a purpose the role is not held for, listing the known ones."""
    if role not in ROLES:
        raise InvalidInputError(f"unknown role {role!r}", hint=f"roles are: {', '.join(ROLES)}")
    if purpose not in PURPOSES:
        raise InvalidInputError(f"unknown purpose {purpose!r}", hint=f"purposes are: {', '.join(PURPOSES)}")
    if purpose not in ROLE_PURPOSES[role]:
        raise InvalidInputError(
            f"the role {role} is not held for {purpose}",
            hint=f"{role} is held for: {', '.join(sorted(ROLE_PURPOSES[role]))}",
        )
