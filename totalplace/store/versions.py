"""Versioned objects: each change of a model, library, rules, draft, names, framework or sharing agreement
(docs/versions.md).

An object is a ``(kind, name)``; each change adds a version (1, 2, ...) holding the whole body as text, its
SHA-256, the partner that owns it (None: the partnership), who made it, when and why, and, for a restore, the
version it brings back. Rows are only ever inserted: nothing here updates or deletes one, so a version a
settlement or a published report used stays readable. Each insert appends an audit record in the same
transaction whose detail carries the version's number, SHA-256, owner, reason and origin; ``audit verify``
compares every row with its record (:func:`check_versions`), so editing a row's body (even with its sha256)
or deleting one is detected.

Only this module writes the table; the engines decide what a body is and ask the access policy first.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, func, insert, select

from totalplace.errors import NotFoundError, VersionNotFoundError
from totalplace.store import audit
from totalplace.store.audit import AuditRecord
from totalplace.store.schema import audit_log, object_versions

#: The kinds of versioned object and what each is.
KINDS: Final[dict[str, str]] = {
    "model": "a cost-benefit model (cba)",
    "unit_costs": "the place's unit-cost library",
    "deflators": "the place's GDP deflator series",
    "rules": "a file of the place's own classification rules",
    "settlement_draft": "a wrong-pocket settlement drafted as a variation of a pool",
    "segment_names": "the names given to a segmentation's clusters",
    "framework": "the shared-outcomes framework",
    "sharing": "an information-sharing agreement",
    "link-model": "a purpose's record-linkage model (Splink settings JSON with its trained parameters)",
}
ADDED: Final = "version.add"
RESTORED: Final = "version.restore"
VERSION_ACTIONS: Final = frozenset({ADDED, RESTORED})
MIGRATION_ACTOR: Final = "migration"


@dataclass(frozen=True, slots=True)
class Version:
    """One version of an object, as kept."""

    kind: str
    name: str
    version: int
    body: str
    sha256: str
    owner_id: int | None
    created_at: str
    created_by: str
    reason: str
    restored_from: int | None

    @property
    def ref(self) -> str:
        """``KIND:NAME`` as the command line and the history page name an object."""
        return f"{self.kind}:{self.name}"

    def to_dict(self, *, body: bool = True) -> dict[str, Any]:
        """JSON-ready (the body left out when ``body`` is False, as a history lists versions)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "owner_id": self.owner_id,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "reason": self.reason,
            "restored_from": self.restored_from,
        }
        if body:
            out["body"] = self.body
        return out


@dataclass(frozen=True, slots=True)
class ObjectSummary:
    """A versioned object: how many versions it has and its newest."""

    kind: str
    name: str
    versions: int
    latest: Version

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "kind": self.kind,
            "name": self.name,
            "versions": self.versions,
            "latest": self.latest.to_dict(body=False),
        }


def body_sha256(body: str) -> str:
    """The SHA-256 of a body's UTF-8 text."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def parse_ref(text: str) -> tuple[str, str]:
    """``KIND:NAME`` split; an unknown kind or an empty name is refused, naming the kinds."""
    kind, sep, name = text.strip().partition(":")
    if not sep or not name or kind not in KINDS:
        raise VersionNotFoundError(
            f"{text[:80]!r} is not an object: write KIND:NAME", hint=f"kinds are: {', '.join(KINDS)}"
        )
    return kind, name


def _version(row: Any) -> Version:
    return Version(
        str(row.kind),
        str(row.name),
        int(row.version),
        str(row.body),
        str(row.sha256),
        None if row.owner_id is None else int(row.owner_id),
        str(row.created_at),
        str(row.created_by),
        str(row.reason),
        None if row.restored_from is None else int(row.restored_from),
    )


def _of(kind: str, name: str) -> Any:
    return select(object_versions).where(object_versions.c.kind == kind, object_versions.c.name == name)


def current(conn: Connection, kind: str, name: str) -> Version | None:
    """The newest version of ``kind:name`` (the one in force), or None when it has none."""
    row = conn.execute(_of(kind, name).order_by(object_versions.c.version.desc()).limit(1)).first()
    return None if row is None else _version(row)


def get(conn: Connection, kind: str, name: str, number: int | None = None) -> Version:
    """Version ``number`` of ``kind:name`` (the newest when None); VersionNotFoundError naming the known."""
    found = (
        current(conn, kind, name)
        if number is None
        else next(
            (_version(r) for r in conn.execute(_of(kind, name).where(object_versions.c.version == number))),
            None,
        )
    )
    if found is None:
        numbers = [v.version for v in history(conn, kind, name)]
        known = f"its versions are 1 to {max(numbers)}" if numbers else f"no {kind} {name!r} has a version"
        raise VersionNotFoundError(
            f"{kind}:{name} has no version {number}" if number else f"no {kind} {name!r}", hint=known
        )
    return found


def history(conn: Connection, kind: str, name: str) -> list[Version]:
    """Every version of ``kind:name``, oldest first."""
    return [_version(r) for r in conn.execute(_of(kind, name).order_by(object_versions.c.version))]


def currents(conn: Connection, kind: str) -> list[Version]:
    """The newest version of every object of ``kind``, by name."""
    newest = (
        select(object_versions.c.name, func.max(object_versions.c.version).label("v"))
        .where(object_versions.c.kind == kind)
        .group_by(object_versions.c.name)
        .subquery()
    )
    query = (
        select(object_versions)
        .join(
            newest,
            (object_versions.c.name == newest.c.name) & (object_versions.c.version == newest.c.v),
        )
        .where(object_versions.c.kind == kind)
        .order_by(object_versions.c.name)
    )
    return [_version(r) for r in conn.execute(query)]


def signature(conn: Connection, kind: str) -> tuple[tuple[str, int], ...]:
    """(name, newest version) of every object of ``kind``: changes exactly when one of them does."""
    query = (
        select(object_versions.c.name, func.max(object_versions.c.version))
        .where(object_versions.c.kind == kind)
        .group_by(object_versions.c.name)
        .order_by(object_versions.c.name)
    )
    return tuple((str(name), int(v)) for name, v in conn.execute(query))


def objects(conn: Connection, kind: str | None = None) -> list[ObjectSummary]:
    """Every versioned object (of ``kind``), with its count of versions and its newest."""
    if kind is not None and kind not in KINDS:
        raise VersionNotFoundError(f"no kind {kind!r}", hint=f"kinds are: {', '.join(KINDS)}")
    counts = select(object_versions.c.kind, object_versions.c.name, func.count().label("n")).group_by(
        object_versions.c.kind, object_versions.c.name
    )
    if kind is not None:
        counts = counts.where(object_versions.c.kind == kind)
    found = {(str(k), str(n)): int(c) for k, n, c in conn.execute(counts)}
    kinds = sorted({k for k, _ in found})
    latest = {(v.kind, v.name): v for k in kinds for v in currents(conn, k)}
    return [ObjectSummary(k, n, found[(k, n)], latest[(k, n)]) for k, n in sorted(found)]


def add(
    conn: Connection,
    *,
    kind: str,
    name: str,
    body: str,
    owner_id: int | None,
    actor: str,
    reason: str,
    restored_from: int | None = None,
) -> Version:
    """Keep ``body`` as the next version of ``kind:name`` and audit it, in the caller's transaction.

    A body the same as the one in force is not a change: the version in force is returned and nothing is
    written (a restore always writes, so the history shows it). The caller has asked the policy already.
    """
    if kind not in KINDS:
        raise NotFoundError(f"no kind {kind!r} of versioned object", hint=f"kinds are: {', '.join(KINDS)}")
    audit.lock_head(conn)  # serialises writers, so two changes never take the same number
    now = current(conn, kind, name)
    if now is not None and now.body == body and restored_from is None:
        return now
    number = 1 if now is None else now.version + 1
    digest = body_sha256(body)
    reason = reason.strip() or ("restored" if restored_from else "changed")
    record = audit.append(
        conn,
        actor=actor,
        action=ADDED if restored_from is None else RESTORED,
        object_type=kind,
        object_id=name,
        detail=_detail(number, digest, owner_id, reason, restored_from),
    )
    values = {
        "kind": kind,
        "name": name,
        "version": number,
        "body": body,
        "sha256": digest,
        "owner_id": owner_id,
        "created_at": record.at,
        "created_by": actor,
        "reason": reason,
        "restored_from": restored_from,
    }
    conn.execute(insert(object_versions).values(**values))
    return Version(**values)  # type: ignore[arg-type]


def _detail(
    number: int, digest: str, owner_id: int | None, reason: str, restored_from: int | None
) -> dict[str, Any]:
    return {
        "version": number,
        "sha256": digest,
        "owner": owner_id,
        "reason": reason,
        "restored_from": restored_from,
    }


def diff(old: Version | None, new: Version) -> str:
    """The unified diff of ``new``'s body against ``old``'s (against nothing for a first version)."""
    before = [] if old is None else old.body.splitlines(keepends=True)
    after = new.body.splitlines(keepends=True)
    label = "(none)" if old is None else f"{old.ref} version {old.version}"
    lines = difflib.unified_diff(before, after, label, f"{new.ref} version {new.version}", n=3)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def audit_records(conn: Connection, kind: str, name: str) -> list[AuditRecord]:
    """Every audit record about ``kind:name``, oldest first (its versions and anything else recorded)."""
    query = (
        select(audit_log)
        .where(audit_log.c.object_type == kind, audit_log.c.object_id == name)
        .order_by(audit_log.c.seq)
    )
    return [AuditRecord(**row._mapping) for row in conn.execute(query)]


# -- verification (called by ``audit verify``) ---------------------------------------------------------------
def audited_version(rec: AuditRecord) -> tuple[tuple[str, str, int], dict[str, Any]] | None:
    """For an audit record of a version: its (kind, name, number) and its detail; else None."""
    if rec.action not in VERSION_ACTIONS:
        return None
    try:
        detail = json.loads(rec.detail)
        number = int(detail["version"])
    except (ValueError, KeyError, TypeError):
        return None
    return (rec.object_type, rec.object_id, number), {**detail, "_actor": rec.actor, "_at": rec.at}


def check_versions(conn: Connection, audited: Mapping[tuple[str, str, int], Mapping[str, Any]]) -> list[str]:
    """Problems found comparing every version row with its audit record (``audited`` from the walk)."""
    problems: list[str] = []
    seen: set[tuple[str, str, int]] = set()
    for version in _all(conn):
        key = (version.kind, version.name, version.version)
        seen.add(key)
        detail = audited.get(key)
        label = f"version {version.version} of {version.ref}"
        if detail is None:
            problems.append(f"{label} has no audit record: it was added behind the store's back")
            continue
        problems.extend(f"{label}: {p}" for p in _row_problems(version, detail))
    for kind, name, number in sorted(set(audited) - seen):
        problems.append(
            f"version {number} of {kind}:{name} is in the audit log but not in the store: deleted"
        )
    return problems


def _all(conn: Connection) -> Iterable[Version]:
    query = select(object_versions).order_by(
        object_versions.c.kind, object_versions.c.name, object_versions.c.version
    )
    return (_version(r) for r in conn.execute(query))


def _row_problems(version: Version, detail: Mapping[str, Any]) -> list[str]:
    problems = []
    if body_sha256(version.body) != version.sha256 or version.sha256 != detail.get("sha256"):
        problems.append("its body was changed after it was written (its SHA-256 is not the audited one)")
    expected = {
        "owner": (version.owner_id, detail.get("owner")),
        "reason": (version.reason, detail.get("reason")),
        "restored_from": (version.restored_from, detail.get("restored_from")),
        "author": (version.created_by, detail.get("_actor")),
        "time": (version.created_at, detail.get("_at")),
    }
    problems.extend(
        f"its {what} is not the audited one" for what, (got, want) in expected.items() if got != want
    )
    return problems
