"""The one access policy: who may take which action on which resource. Deny by default.

A role is held for one partner (or the whole place) and a purpose (:mod:`totalplace.governance.roles`).
A resource has a kind and, where it belongs to someone, an owner (the partner whose postings, batch, scheme,
indicator or model it is), and for a pool its partners, its host and whether its agreement opens every
partner's figures to every partner. Each :class:`Rule` below says which roles may take an action and how far
a role's partner reaches:

- ``place``: only a grant for the whole place;
- ``own``: a grant for the resource's owner (or the whole place);
- ``member``: a grant for one of the pool's partners (or the whole place);
- ``host``: a grant for the pool's host partner (or the whole place);
- ``books``: as ``member`` when the agreement opens the books, else as ``host``;
- ``own_books``: as ``own``, and as ``books`` too (a partner's own statement, and every partner's where the
  role sees every partner's lines);
- ``any``: any grant of the role.

Data about people is held for one purpose, the purpose of the information-sharing agreement it came through
(``Resource.purpose``). A grant reaches it only when the grant's purpose is one that data may serve
(:data:`PURPOSE_SERVES`): a role held for finance never sees records shared for direct care, whatever its
scope (UK GDPR Art. 5(1)(b), purpose limitation).

Nothing else is allowed: an action missing from the table, a role missing from an action's rule, or a scope
the grant does not reach is refused. An action on something that must belong to a partner (a posting, a
spending batch, a statement) that names no partner is refused whoever asks: it is never read as "every
partner". ``docs/access.md`` is generated from :data:`RULES` (``totalplace access --markdown``).

We keep this small table of our own rather than a general authorisation library (pycasbin's RBAC with
domains was weighed): the decisions turn on relations a pool's agreement holds (its partners, its host,
whether its books are open) that casbin would need custom matcher functions for, the table must be
enumerable to generate the documentation and the route tests, and it is fifty lines a person can audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from totalplace.errors import PartnerRequiredError, PermissionDeniedError

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.store.users import RoleGrant

Scope = Literal["place", "own", "member", "host", "books", "own_books", "any"]

# Kinds whose every resource belongs to one partner: an action on one that names no partner is refused.
OWNED_KINDS: Final[frozenset[str]] = frozenset({"batch", "posting", "statement"})


@dataclass(frozen=True, slots=True)
class Resource:
    """What an action is taken on.

    ``owner`` is the id of the partner it belongs to (None: the whole place). For a pool and what lies in
    one (postings, statements), ``members`` are the pool's partners' ids, ``host`` the host partner's id and
    ``open_books`` whether the agreement opens every partner's figures to every partner. For data about
    people, ``members`` are the parties to its sharing agreement and ``purpose`` the agreement's purpose.
    """

    kind: str
    name: str = ""
    owner: int | None = None
    members: frozenset[int] = field(default_factory=frozenset)
    host: int | None = None
    open_books: bool = False
    purpose: str | None = None

    def label(self) -> str:
        """How the resource is named in a refusal."""
        return f"{self.kind} {self.name}".strip()


PLACE: Final = Resource("place")


@dataclass(frozen=True, slots=True)
class Rule:
    """One action: what it does, the kind of resource it is taken on, and each allowed role with its scope."""

    action: str
    kind: str
    what: str
    roles: tuple[tuple[str, Scope], ...]

    def scope_for(self, role: str) -> Scope | None:
        """The scope ``role`` has for this action (None: not allowed)."""
        return next((scope for r, scope in self.roles if r == role), None)


_L, _F, _M, _A, _C, _U, _D = (
    "partnership_lead",
    "partner_finance",
    "fund_manager",
    "analyst",
    "case_worker",
    "auditor",
    "data_protection_officer",
)

# The purposes of sharing agreements, and the purposes a role must be held for to use data shared for each.
# Direct care is the care of one person (National Data Guardian, "Information: To Share or Not to Share",
# 2013); every other purpose is secondary use, where the lead plans with it and analysts work on pseudonyms.
PURPOSE_SERVES: Final[dict[str, frozenset[str]]] = {
    "direct_care": frozenset({"direct_care", "planning"}),
    "planning": frozenset({"planning", "analysis"}),
    "evaluation": frozenset({"planning", "analysis"}),
    "payment_by_results": frozenset({"planning", "analysis", "finance"}),
}

RULES: Final[tuple[Rule, ...]] = (
    # The place itself
    Rule("place.manage", "place", "set up partners, users, roles and the place's settings", ((_L, "place"),)),
    Rule("figures.read", "place", "read the place's published figures, maps and analyses",
         ((_L, "any"), (_F, "any"), (_M, "any"), (_A, "any"), (_C, "any"), (_U, "any"))),
    Rule("audit.read", "place", "read the audit trail and objects' histories", ((_L, "place"), (_U, "any"))),
    # Data that belongs to the whole place
    Rule("geography.change", "place", "import geography, census tables and area measures",
         ((_L, "place"), (_A, "place"))),
    Rule("library.change", "library", "change the unit-cost library, deflators or classification rules",
         ((_L, "place"), (_A, "place"))),
    Rule("framework.change", "framework", "change the outcomes framework and answer exception letters",
         ((_L, "place"),)),
    Rule("segmentation.change", "segmentation", "build, rename or remove a segmentation",
         ((_L, "place"), (_A, "place"))),
    # A partner's own data
    Rule("batch.import", "batch", "import a partner's spending or other batch",
         ((_L, "own"), (_F, "own"), (_A, "own"))),
    Rule("batch.download", "batch", "download a batch's raw lines", ((_L, "own"), (_F, "own"), (_U, "any"))),
    Rule("indicator.count", "indicator", "count observations or records into an indicator the partner owns",
         ((_L, "own"), (_F, "own"), (_A, "own"))),
    Rule("model.change", "model", "create, change or restore a cost-benefit model",
         ((_L, "own"), (_F, "own"), (_A, "own"))),
    # Pooled funds
    Rule("pool.create", "place", "set up a pooled fund", ((_L, "place"),)),
    Rule("pool.read", "pool", "see a pool's totals and one's own partner's lines",
         ((_L, "member"), (_F, "member"), (_M, "member"), (_U, "any"))),
    Rule("pool.read_all", "pool", "see every partner's lines in a pool",
         ((_L, "books"), (_F, "books"), (_M, "host"), (_U, "any"))),
    Rule("pool.manage", "pool", "vary a pool, choose its forecast method, settle or reopen a year",
         ((_L, "host"), (_M, "host"))),
    Rule("pool.post", "posting", "post a partner's contributions or spend to a pool",
         ((_L, "own"), (_F, "own"), (_M, "host"))),
    Rule("statement.read", "statement", "read a partner's statement of a pool",
         ((_L, "own_books"), (_F, "own_books"), (_M, "host"), (_U, "any"))),
    # Information sharing and people
    Rule("sharing.read", "sharing", "read information-sharing agreements and the opt-out lists' dates",
         ((_L, "any"), (_F, "any"), (_M, "any"), (_A, "any"), (_C, "any"), (_U, "any"), (_D, "any"))),
    Rule("sharing.change", "sharing", "add or vary an information-sharing agreement the partner is party to",
         ((_L, "place"), (_D, "member"))),
    Rule("optout.manage", "place", "import the national data opt-out list",
         ((_L, "place"), (_D, "any"))),
    Rule("keys.manage", "place", "create or rotate a purpose's pseudonym key", ((_L, "place"),)),
    Rule("records.import", "batch", "import a partner's records about people under a sharing agreement",
         ((_L, "own"), (_A, "own"), (_D, "own"))),
    Rule("people.link", "people", "train and run the linkage of records into people and households",
         ((_L, "place"), (_A, "place"))),
    Rule("people.read", "people", "see pseudonymised people, their links and counts",
         ((_L, "any"), (_A, "any"), (_D, "any"))),
    Rule("person.reveal", "person", "see a person's identifiable profile (with a recorded reason)",
         ((_L, "place"),)),
)  # fmt: skip

BY_ACTION: Final[dict[str, Rule]] = {rule.action: rule for rule in RULES}


def _reaches(scope: Scope, grant: RoleGrant, resource: Resource) -> bool:
    """Whether a grant with ``scope`` reaches ``resource``: a grant for the whole place reaches everything."""
    if grant.partner_id is None or scope == "any":
        return True
    if scope == "own_books":
        return _reaches("own", grant, resource) or _reaches("books", grant, resource)
    if scope == "own":
        return resource.owner is not None and grant.partner_id == resource.owner
    if scope == "member" or (scope == "books" and resource.open_books):
        return grant.partner_id in resource.members
    if scope in ("host", "books"):
        return resource.host is not None and grant.partner_id == resource.host
    return False  # "place": only a grant for the whole place


def serves(grant_purpose: str, data_purpose: str | None) -> bool:
    """Whether a role held for ``grant_purpose`` may use data shared for ``data_purpose`` (None: any)."""
    return data_purpose is None or grant_purpose in PURPOSE_SERVES.get(data_purpose, frozenset())


def allowed(principal: Principal, action: str, resource: Resource = PLACE) -> bool:
    """True when the policy lets ``principal`` take ``action`` on ``resource``; deny by default."""
    rule = BY_ACTION.get(action)
    if rule is None or (resource.kind in OWNED_KINDS and resource.owner is None):
        return False
    if principal.is_admin:
        return True
    for grant in principal.grants:
        scope = rule.scope_for(grant.role)
        if scope is not None and serves(grant.purpose, resource.purpose) and _reaches(scope, grant, resource):
            return True
    return False


def authorize(principal: Principal, action: str, resource: Resource = PLACE) -> None:
    """Raise unless the policy allows; the refusal says what was refused and what to do."""
    if action not in BY_ACTION:
        raise PermissionDeniedError(f"{action!r} is not an action the access policy knows")
    if resource.kind in OWNED_KINDS and resource.owner is None:
        raise PartnerRequiredError(
            f"a {resource.kind} must name the partner it belongs to",
            hint="choose the partner; nothing is ever taken as belonging to every partner",
        )
    if not allowed(principal, action, resource):
        raise PermissionDeniedError(
            f"{principal.username} may not {BY_ACTION[action].what} ({resource.label()})",
            hint="ask a partnership lead for a role that allows it (docs/access.md lists who may do what)",
        )


def partners_shown(principal: Principal, pool: Resource) -> frozenset[int] | None:
    """Whose lines in ``pool`` the principal sees: None for every partner, else the partner ids.

    Refuses a principal who may not read the pool at all.
    """
    authorize(principal, "pool.read", pool)
    if allowed(principal, "pool.read_all", pool):
        return None
    return frozenset(g.partner_id for g in principal.grants if g.partner_id in pool.members)


def holds_any(principal: Principal, action: str) -> bool:
    """Whether some role of the principal may take ``action`` on something: enough to show a form or a link,
    or to refuse early a request that can never be allowed; never enough to allow the action itself."""
    rule = BY_ACTION.get(action)
    if rule is None:
        return False
    return principal.is_admin or any(
        (scope := rule.scope_for(g.role)) is not None and (scope != "place" or g.partner_id is None)
        for g in principal.grants
    )


def require_any(principal: Principal, action: str) -> None:
    """Raise unless :func:`holds_any`: the early check of a form before the resource it names is known."""
    if not holds_any(principal, action):
        rule = BY_ACTION.get(action)
        raise PermissionDeniedError(
            f"{principal.username} may not {rule.what if rule else action}",
            hint="ask a partnership lead for a role that allows it (docs/access.md lists who may do what)",
        )
