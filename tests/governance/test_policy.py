"""The access policy: deny by default, partner scopes, the generated table, and a property test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from totalplace.errors import PartnerRequiredError, PermissionDeniedError
from totalplace.governance import policy
from totalplace.governance.policy import BY_ACTION, OWNED_KINDS, RULES, Resource, allowed, authorize
from totalplace.governance.roles import ROLES, Principal
from totalplace.reports.access import access_view
from totalplace.store.users import RoleGrant

ROOT = Path(__file__).resolve().parents[2]
COUNCIL, NHS, POLICE = 1, 2, 3
BCF = Resource("pool", "bcf", members=frozenset({COUNCIL, NHS}), host=COUNCIL)


def who(role: str, partner: int | None, purpose: str = "finance") -> Principal:
    return Principal(f"{role}@{partner}", False, (RoleGrant(role, partner, None, purpose),))


def test_docs_access_is_generated_from_the_policy() -> None:
    assert (ROOT / "docs" / "access.md").read_text(encoding="utf-8") == access_view().markdown()


def test_unknown_action_and_no_role_are_refused() -> None:
    assert not allowed(who("partnership_lead", None), "pool.delete_everything", BCF)
    assert not allowed(Principal("nobody", False, ()), "figures.read")
    with pytest.raises(PermissionDeniedError):
        authorize(Principal("nobody", False, ()), "figures.read")


def test_a_partner_role_never_acts_for_another_partner() -> None:
    nhs = who("partner_finance", NHS)
    assert allowed(nhs, "pool.post", Resource("posting", owner=NHS, members=BCF.members, host=COUNCIL))
    assert not allowed(
        nhs, "pool.post", Resource("posting", owner=COUNCIL, members=BCF.members, host=COUNCIL)
    )
    assert not allowed(nhs, "batch.download", Resource("batch", owner=COUNCIL))
    assert not allowed(nhs, "model.change", Resource("model", "falls-service"))  # the partnership's model
    assert not allowed(nhs, "library.change", Resource("library", "unit-costs"))
    assert not allowed(nhs, "geography.change")
    assert not allowed(nhs, "indicator.count", Resource("indicator", "asb", owner=POLICE))


@pytest.mark.parametrize("kind", sorted(OWNED_KINDS))
def test_naming_no_partner_is_refused_even_for_the_lead(kind: str) -> None:
    action = next(r.action for r in RULES if r.kind == kind)
    lead = who("partnership_lead", None, "planning")
    assert not allowed(lead, action, Resource(kind))
    with pytest.raises(PartnerRequiredError):
        authorize(lead, action, Resource(kind))


def test_pool_reading_totals_own_lines_and_open_books() -> None:
    assert policy.partners_shown(who("partner_finance", NHS), BCF) == frozenset({NHS})
    assert policy.partners_shown(who("partner_finance", COUNCIL), BCF) is None  # the host sees all
    assert policy.partners_shown(who("auditor", None, "audit"), BCF) is None
    opened = Resource("pool", "bcf", members=BCF.members, host=COUNCIL, open_books=True)
    assert policy.partners_shown(who("partner_finance", NHS), opened) is None
    with pytest.raises(PermissionDeniedError):
        policy.partners_shown(who("partner_finance", POLICE), BCF)


_roles = st.sampled_from(sorted(ROLES))
_partners = st.one_of(st.none(), st.integers(1, 5))
_members = st.frozensets(st.integers(1, 5), max_size=5)


@given(
    role=_roles,
    partner=_partners,
    action=st.sampled_from(sorted(BY_ACTION)),
    owner=_partners,
    members=_members,
    host=_partners,
    open_books=st.booleans(),
)
def test_policy_property(
    role: str,
    partner: int | None,
    action: str,
    owner: int | None,
    members: frozenset[int],
    host: int | None,
    open_books: bool,
) -> None:
    """For any role and resource: allowed only if the table names the role, a partner grant reaches only its
    own partner's things, and something that must belong to a partner but names none is never allowed."""
    rule = BY_ACTION[action]
    resource = Resource(rule.kind, "x", owner=owner, members=members, host=host, open_books=open_books)
    decided = allowed(who(role, partner), action, resource)
    scope = rule.scope_for(role)
    if scope is None or (rule.kind in OWNED_KINDS and owner is None):
        assert not decided
        return
    if partner is None or scope == "any":
        assert decided
    elif scope == "place":
        assert not decided
    elif scope == "own":
        assert decided == (owner == partner)
    elif scope == "host" or (scope == "books" and not open_books):
        assert decided == (host == partner)
    else:
        assert decided == (partner in members)
    assert allowed(Principal("admin", True, ()), action, resource)
