"""The outcomes engine's records: framework versions, comparator sets and exception letters.

Every write is audited in the caller's transaction, as each engine's store module does. The engine parses
and checks; this module only keeps what it is given (a framework's YAML, a set's members, a letter's content
as JSON) and gives it back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, insert, select, update

from totalplace.governance.policy import Resource
from totalplace.store import audit, versions
from totalplace.store.clock import utc_now
from totalplace.store.schema import comparator_sets, exception_letters, object_versions, outcome_frameworks

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal

FRAMEWORK_KIND: Final = "framework"


def add_framework(
    conn: Connection,
    *,
    name: str,
    text: str,
    indicators: int,
    principal: Principal,
    reason: str = "",
    restored_from: int | None = None,
) -> None:
    """Keep a new version of the framework (its YAML as written), if ``principal`` may change it; the newest
    version of any framework is the one in force. Each is a versioned object (``framework:NAME``, audited)."""
    principal.require("framework.change", Resource("framework", name))
    conn.execute(
        insert(outcome_frameworks).values(
            name=name,
            yaml=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            created_at=utc_now(),
            created_by=principal.username,
        )
    )
    versions.add(
        conn,
        kind=FRAMEWORK_KIND,
        name=name,
        body=text,
        owner_id=None,
        actor=principal.username,
        reason=reason.strip() or f"framework of {indicators} indicators",
        restored_from=restored_from,
    )


def latest_framework_yaml(conn: Connection) -> str | None:
    """The YAML of the framework in force, if any: the newest version kept (before versioning: the newest
    row of the framework table)."""
    row = conn.execute(
        select(object_versions.c.body)
        .where(object_versions.c.kind == FRAMEWORK_KIND)
        .order_by(object_versions.c.id.desc())
        .limit(1)
    ).first()
    if row is not None:
        return str(row.body)
    row = conn.execute(
        select(outcome_frameworks.c.yaml).order_by(outcome_frameworks.c.id.desc()).limit(1)
    ).first()
    return None if row is None else str(row.yaml)


@dataclass(frozen=True, slots=True)
class ComparatorSetRow:
    """A kept comparator set: its name, the area it was made for, and its members as stored (JSON)."""

    name: str
    area_code: str
    members: list[dict[str, Any]]


def add_comparator_set(
    conn: Connection, *, name: str, area: str, members: Sequence[Mapping[str, object]], actor: str
) -> None:
    """Keep a comparator set (a new version under the same name replaces the old for benchmarking)."""
    conn.execute(
        insert(comparator_sets).values(
            name=name,
            area_code=area,
            members=json.dumps([dict(m) for m in members]),
            created_at=utc_now(),
            created_by=actor,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="outcomes.comparators",
        object_type="comparator_set",
        object_id=name,
        detail={"area": area, "members": len(members)},
    )


def latest_comparator_set(conn: Connection, name: str | None = None) -> ComparatorSetRow | None:
    """The latest comparator set (of ``name``, if given)."""
    query = select(comparator_sets).order_by(comparator_sets.c.id.desc()).limit(1)
    if name is not None:
        query = query.where(comparator_sets.c.name == name)
    row = conn.execute(query).first()
    return None if row is None else ComparatorSetRow(row.name, row.area_code, json.loads(row.members))


@dataclass(frozen=True, slots=True)
class LetterRow:
    """An exception letter as the store keeps it (its content is the JSON the engine drafted)."""

    id: int
    indicator_id: str
    area_code: str
    period: str
    addressee: str
    status: str
    content: dict[str, Any]
    drafted_at: str
    plan: str | None
    remedy_by: str | None
    answered_at: str | None
    answered_by: str | None


def _letter_row(row: Any) -> LetterRow:
    return LetterRow(
        row.id,
        row.indicator_id,
        row.area_code,
        row.period,
        row.addressee,
        row.status,
        json.loads(row.content),
        row.drafted_at,
        row.plan,
        row.remedy_by,
        row.answered_at,
        row.answered_by,
    )


def letter_exists(conn: Connection, *, indicator_id: str, area_code: str, period: str) -> bool:
    """Whether a letter was drafted for this indicator, area and period (there is one at most)."""
    found = conn.execute(
        select(exception_letters.c.id).where(
            exception_letters.c.indicator_id == indicator_id,
            exception_letters.c.area_code == area_code,
            exception_letters.c.period == period,
        )
    ).first()
    return found is not None


def add_letter(
    conn: Connection,
    *,
    indicator_id: str,
    area_code: str,
    period: str,
    addressee: str,
    content: Mapping[str, Any],
    side: str,
    actor: str,
) -> int:
    """Keep a drafted letter; its id."""
    inserted = conn.execute(
        insert(exception_letters).values(
            indicator_id=indicator_id,
            area_code=area_code,
            period=period,
            addressee=addressee,
            status="drafted",
            content=json.dumps(content),
            drafted_at=utc_now(),
            drafted_by=actor,
        )
    ).inserted_primary_key
    assert inserted is not None
    letter_id = int(inserted[0])
    audit.append(
        conn,
        actor=actor,
        action="outcomes.letter.draft",
        object_type="letter",
        object_id=letter_id,
        detail={"indicator": indicator_id, "period": period, "side": side},
    )
    return letter_id


def letter_rows(conn: Connection) -> list[LetterRow]:
    """Every letter, newest first."""
    rows = conn.execute(select(exception_letters).order_by(exception_letters.c.id.desc()))
    return [_letter_row(r) for r in rows]


def letter_row(conn: Connection, letter_id: int) -> LetterRow | None:
    """One letter, if there is one with that id."""
    row = conn.execute(select(exception_letters).where(exception_letters.c.id == letter_id)).first()
    return None if row is None else _letter_row(row)


def answer_letter(conn: Connection, letter_id: int, *, plan: str, remedy_by: str, actor: str) -> None:
    """Record a letter's answer: the remedial plan and the date it will have worked by."""
    conn.execute(
        update(exception_letters)
        .where(exception_letters.c.id == letter_id)
        .values(
            status="answered",
            plan=plan,
            remedy_by=remedy_by,
            answered_at=utc_now(),
            answered_by=actor,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="outcomes.letter.answer",
        object_type="letter",
        object_id=str(letter_id),
        detail={"remedy_by": remedy_by},
    )
