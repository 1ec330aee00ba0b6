"""An object's history: list, show, compare and restore the versions of a versioned object (docs/versions.md).

Who may see an object's history: a role that reads the audit trail (``audit.read``: a place-wide lead, an
auditor) or one that may change the object itself (its change right, below). Restoring is a change like any
other: it needs the object's change right and a reason, is checked by the same library function that keeps
a new version of that kind (a restored model is appraised again, restored rules must load), and adds a
version saying which one it brings back; nothing is overwritten.

=================  ==========================  =======================================================
kind               change right                resource
=================  ==========================  =======================================================
model              ``model.change``            the model, owned by its partner (None: the partnership)
unit_costs         ``library.change``          the place's library
deflators          ``library.change``          the place's library
rules              ``library.change``          the place's library
settlement_draft   ``pool.manage``             the pool the draft varies
segment_names      ``segmentation.change``     the segmentation
framework          ``framework.change``        the framework
sharing            ``sharing.change``          the agreement, its parties as members (people/sharing)
link-model         ``people.link``             the people of the purpose the model is named after
=================  ==========================  =======================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from totalplace.errors import InvalidInputError
from totalplace.governance.policy import Resource
from totalplace.store import versions
from totalplace.store.audit import AuditRecord
from totalplace.store.versions import ObjectSummary, Version

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from totalplace.governance.roles import Principal
    from totalplace.place import Place

CHANGE_ACTION: Final[dict[str, str]] = {
    "model": "model.change",
    "unit_costs": "library.change",
    "deflators": "library.change",
    "rules": "library.change",
    "settlement_draft": "pool.manage",
    "segment_names": "segmentation.change",
    "framework": "framework.change",
    "sharing": "sharing.change",
    "link-model": "people.link",
}


def change_resource(conn: Connection, kind: str, name: str) -> tuple[str, Resource]:
    """The action and resource the policy is asked about to change (or restore) ``kind:name``."""
    if kind == "model":
        kept = versions.current(conn, kind, name)
        return CHANGE_ACTION[kind], Resource("model", name, owner=None if kept is None else kept.owner_id)
    if kind == "settlement_draft":
        from totalplace.engines.cba.settlement import draft_pool, pool_resource
        from totalplace.engines.pool.fund import open_fund
        from totalplace.errors import NotFoundError

        pool = draft_pool(name)
        try:
            agreement = open_fund(conn, pool).agreement if pool else None
        except NotFoundError:
            agreement = None
        return CHANGE_ACTION[kind], pool_resource(conn, pool, agreement)
    if kind == "sharing":
        from totalplace.engines.people.sharing import agreement_resource

        return CHANGE_ACTION[kind], agreement_resource(conn, name)
    if kind == "link-model":
        return CHANGE_ACTION[kind], Resource("people", name, purpose=name)
    if kind in ("unit_costs", "deflators", "rules"):
        return CHANGE_ACTION[kind], Resource("library", kind)
    return CHANGE_ACTION[kind], Resource("segmentation" if kind == "segment_names" else kind, name)


def may_view(principal: Principal, conn: Connection, kind: str, name: str) -> bool:
    """Whether ``principal`` may see ``kind:name``'s history: the audit trail's readers, and whoever may
    change the object."""
    return principal.can("audit.read") or principal.can(*change_resource(conn, kind, name))


def may_restore(principal: Principal, conn: Connection, kind: str, name: str) -> bool:
    """Whether ``principal`` may restore a version of ``kind:name`` (to offer the form; the restore asks)."""
    return principal.can(*change_resource(conn, kind, name))


def _require_view(principal: Principal, conn: Connection, kind: str, name: str) -> None:
    if not may_view(principal, conn, kind, name):
        principal.require("audit.read")  # raises, naming what a history needs


@dataclass(frozen=True, slots=True)
class Step:
    """A version and the diff of its body against the version before it."""

    version: Version
    diff: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {**self.version.to_dict(body=False), "diff": self.diff}


@dataclass(frozen=True, slots=True)
class History:
    """An object's versions (each with its diff) and every audit record about it, oldest first."""

    kind: str
    name: str
    steps: tuple[Step, ...]
    records: tuple[AuditRecord, ...]
    can_restore: bool

    @property
    def ref(self) -> str:
        """``KIND:NAME``."""
        return f"{self.kind}:{self.name}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "kind": self.kind,
            "name": self.name,
            "object": self.ref,
            "what": versions.KINDS.get(self.kind, self.kind),
            "versions": [s.to_dict() for s in self.steps],
            "audit": [r.__dict__ for r in self.records],
            "can_restore": self.can_restore,
        }


def object_history(place: Place, principal: Principal, kind: str, name: str) -> History:
    """``kind:name``'s history, for whoever may see it; VersionNotFoundError when it has no version."""
    with place.read() as conn:
        _require_view(principal, conn, kind, name)
        found = versions.history(conn, kind, name)
        if not found:
            versions.get(conn, kind, name)  # raises, naming the object
        records = versions.audit_records(conn, kind, name)
        restore = may_restore(principal, conn, kind, name)
    steps = tuple(Step(v, versions.diff(found[i - 1] if i else None, v)) for i, v in enumerate(found))
    return History(kind, name, steps, tuple(records), restore)


def show(place: Place, principal: Principal, kind: str, name: str, number: int | None = None) -> Version:
    """One version of ``kind:name`` (the one in force when ``number`` is None)."""
    with place.read() as conn:
        _require_view(principal, conn, kind, name)
        return versions.get(conn, kind, name, number)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two versions of one object and the diff from the first to the second."""

    old: Version
    new: Version
    diff: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "object": self.new.ref,
            "from": self.old.to_dict(body=False),
            "to": self.new.to_dict(body=False),
            "diff": self.diff,
        }


def compare(place: Place, principal: Principal, kind: str, name: str, a: int, b: int) -> Comparison:
    """Versions ``a`` and ``b`` of ``kind:name``, and the diff from ``a`` to ``b``."""
    with place.read() as conn:
        _require_view(principal, conn, kind, name)
        old, new = versions.get(conn, kind, name, a), versions.get(conn, kind, name, b)
    return Comparison(old, new, versions.diff(old, new))


def list_objects(place: Place, principal: Principal, kind: str | None = None) -> list[ObjectSummary]:
    """Every versioned object (of ``kind``) whose history ``principal`` may see."""
    with place.read() as conn:
        found = versions.objects(conn, kind)
        return [o for o in found if may_view(principal, conn, o.kind, o.name)]


def restore(place: Place, principal: Principal, kind: str, name: str, number: int, reason: str) -> Version:
    """Bring version ``number`` of ``kind:name`` back as its newest version, through the library function
    that keeps that kind (which asks the policy); InvalidInputError without a reason."""
    if not reason.strip():
        raise InvalidInputError("a restore needs a reason", hint="say why this version is brought back")
    with place.read() as conn:
        principal.require(*change_resource(conn, kind, name))  # before the version is even looked for
        old = versions.get(conn, kind, name, number)
    why = f"{reason.strip()} (restores version {number})"
    _RESTORERS[kind](place, principal, old, why)
    with place.read() as conn:
        return versions.get(conn, kind, name)


def _restore_model(place: Place, principal: Principal, old: Version, reason: str) -> None:
    from totalplace.engines.cba.models import save_model

    save_model(place, old.body, f"{old.name}.yaml", principal, reason=reason, restored_from=old.version)


def _restore_library(place: Place, principal: Principal, old: Version, reason: str) -> None:
    with place.begin() as conn:
        principal.require(*change_resource(conn, old.kind, old.name))
        versions.add(
            conn,
            kind=old.kind,
            name=old.name,
            body=old.body,
            owner_id=old.owner_id,
            actor=principal.username,
            reason=reason,
            restored_from=old.version,
        )


def _restore_rules(place: Place, principal: Principal, old: Version, reason: str) -> None:
    from totalplace.engines.spendmap.rules import save_rules

    save_rules(place, old.name, old.body, principal, reason=reason, restored_from=old.version)


def _restore_draft(place: Place, principal: Principal, old: Version, reason: str) -> None:
    from totalplace.engines.cba.settlement import keep_draft

    keep_draft(place, old.name, old.body, principal, reason=reason, restored_from=old.version)


def _restore_names(place: Place, principal: Principal, old: Version, reason: str) -> None:
    from totalplace.store.segments import restore_names

    with place.begin() as conn:
        restore_names(conn, old.name, old.version, principal=principal, reason=reason)


def _restore_framework(place: Place, principal: Principal, old: Version, reason: str) -> None:
    from totalplace.engines.outcomes.framework import save_framework

    with place.begin() as conn:
        save_framework(conn, old.body, principal=principal, reason=reason, restored_from=old.version)


def _restore_sharing(place: Place, principal: Principal, old: Version, reason: str) -> None:
    """A restored agreement is a variation with the old text: checked against today's partners and legal
    bases, and asked of the parties in force and of those it brings back."""
    from totalplace.engines.people.sharing import vary_agreement

    vary_agreement(
        place, principal, old.name, old.body, f"{old.name}.yaml", reason, restored_from=old.version
    )


def _restore_link_model(place: Place, principal: Principal, old: Version, reason: str) -> None:
    from totalplace.engines.people.runs import keep_model

    keep_model(place, principal, old.name, old.body, reason=reason, restored_from=old.version)


_RESTORERS: Final = {
    "model": _restore_model,
    "unit_costs": _restore_library,
    "deflators": _restore_library,
    "rules": _restore_rules,
    "settlement_draft": _restore_draft,
    "segment_names": _restore_names,
    "framework": _restore_framework,
    "sharing": _restore_sharing,
    "link-model": _restore_link_model,
}
