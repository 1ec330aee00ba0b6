"""The access policy as a person reads it: one table of actions by role (docs/access.md, ``access``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from totalplace.governance.policy import PURPOSE_SERVES, RULES, Scope
from totalplace.governance.roles import PURPOSES, ROLE_PURPOSES, ROLES
from totalplace.reports.table import TableView

# How each scope reads in a cell of the table.
SCOPE_WORDS: dict[Scope, str] = {
    "place": "place-wide role only",
    "own": "own partner's",
    "member": "pools, or sharing agreements, its partner is party to",
    "host": "pools its partner hosts",
    "books": "hosted pools, or all its pools when the agreement opens the books",
    "own_books": "own partner's, and every partner's in hosted pools or when the agreement opens the books",
    "any": "all",
}


_SHORT = {
    "partnership_lead": "lead",
    "partner_finance": "finance",
    "fund_manager": "fund mgr",
    "case_worker": "case",
}


@dataclass(frozen=True, slots=True)
class AccessView:
    """The policy table: a row per action, a column per role, each cell the scope (blank: refused)."""

    roles: tuple[str, ...]
    rows: tuple[tuple[str, str, str, tuple[str, ...]], ...]

    def to_dict(self) -> dict[str, Any]:
        """The table as JSON: each action with its resource kind and each allowed role's scope."""
        return {
            "roles": {r: {"does": ROLES[r], "purposes": sorted(ROLE_PURPOSES[r])} for r in self.roles},
            "purposes": dict(PURPOSES),
            "purpose_serves": {p: sorted(served) for p, served in PURPOSE_SERVES.items()},
            "actions": [
                {"action": a, "resource": k, "what": w, "roles": dict(zip(self.roles, cells, strict=True))}
                for a, k, w, cells in self.rows
            ],
        }

    def table(self) -> TableView:
        """The table for the command line."""
        short = [_SHORT.get(r, r) for r in self.roles]
        return TableView.of(
            "Who may do what (a role held for the whole place reaches all its cell allows; - refused)",
            ["action", *short],
            [(a, *(c or "-" for c in cells)) for a, _k, _w, cells in self.rows],
        )

    def markdown(self) -> str:
        """docs/access.md: the table, the scopes and the roles, generated from the policy itself."""
        head = "| action | what | " + " | ".join(r.replace("_", " ") for r in self.roles) + " |"
        rule = "|" + "---|" * (len(self.roles) + 2)
        body = [
            f"| `{a}` | {w} | " + " | ".join(SCOPE_WORDS[c] if c else "—" for c in cells) + " |"  # type: ignore[index]
            for a, _k, w, cells in self.rows
        ]
        roles = [f"- **{r}** ({', '.join(sorted(ROLE_PURPOSES[r]))}): {ROLES[r]}" for r in self.roles]
        serves = [_SERVES, "| data shared for | a role must be held for one of |", "|---|---|"]
        serves += [f"| {p} | {', '.join(sorted(s))} |" for p, s in PURPOSE_SERVES.items()]
        parts = [_PREAMBLE, head, rule, *body, "", "## Roles", "", *roles, "", *serves, "", _AFTERWORD]
        return "\n".join(parts)


def access_view() -> AccessView:
    """The view of :data:`totalplace.governance.policy.RULES`."""
    roles = tuple(ROLES)
    rows = tuple(
        (rule.action, rule.kind, rule.what, tuple(rule.scope_for(r) or "" for r in roles)) for rule in RULES
    )
    return AccessView(roles, rows)


_PREAMBLE = """# Who may do what

<!-- Generated from totalplace/governance/policy.py by `totalplace access --markdown`; a test keeps it so. -->

One access policy decides every action, in the library functions that the command line and the web app both
call, so no page or command can forget it. Anything not in this table is refused. A role is held for one
partner or for the whole place, and for a purpose. A cell says how far a role held for a partner reaches; a
role held for the whole place reaches everything its cell allows. "—" is refused.

An action on something that belongs to one partner (a posting, a spending batch, a statement) that names no
partner is refused whoever asks (`TP207`): it is never read as "every partner". An administrator (who also
holds the place's files and keys) may take every action; every change, and every read of a statement or a raw
batch, is in the audit trail.
"""

_SERVES = """## Purposes data about people may serve

Records about people are held for the purpose of the information-sharing agreement they came through. A role
reaches them only when it is held for a purpose that purpose serves (UK GDPR Art. 5(1)(b), purpose
limitation): a role held for finance never sees records shared for direct care, whatever its scope.
"""

_AFTERWORD = """## Why a table of our own

We weighed a general authorisation library (pycasbin's role-based model with domains). The decisions here turn
on what a pool's agreement says — its partners, its host, whether it opens every partner's figures to every
partner — which casbin would need custom matcher functions for, hiding the rule from the table. The table must
also be enumerable, to generate this page and to drive the tests that try every route of the web app as every
demo role. So the policy is one small table in `totalplace/governance/policy.py` and one function that reads
it, deny by default.
"""
