"""Editing, deleting or reordering any audit record is detected (DESIGN.md §7)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from tests.conftest import make_place
from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.schema import audit_log

FIELDS = ("at", "actor", "action", "object_type", "object_id", "detail", "prev_hash", "hash", "alg")


def _fill(place: Place, n: int) -> None:
    with place.begin() as conn:
        for i in range(n):
            audit.append(
                conn,
                actor=f"user{i % 3}",
                action="thing.do",
                object_type="thing",
                object_id=i,
                detail={"i": i, "note": "ünïcode £"},
            )


def test_an_untouched_chain_verifies(place: Place) -> None:
    _fill(place, 10)
    with place.read() as conn:
        result = audit.verify(conn)
    assert result.ok, result.problems
    assert result.records == 12  # place.init and partner.add, then ten


def test_tampering_is_detected_on_the_database(place: Place) -> None:
    _fill(place, 5)
    with place.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(actor="mallory"))
    with place.read() as conn:
        assert not audit.verify(conn).ok


@st.composite
def tampering(draw: st.DrawFn) -> tuple[str, int, str, int]:
    kind = draw(st.sampled_from(["flip", "delete", "swap"]))
    return kind, draw(st.integers(1, 12)), draw(st.sampled_from(FIELDS)), draw(st.integers(0, 10_000))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tampering())
def test_any_flip_delete_or_reorder_is_detected(
    tmp_path_factory: object, change: tuple[str, int, str, int]
) -> None:
    kind, seq, field, position = change
    directory: Path = tmp_path_factory.mktemp("audit")  # type: ignore[attr-defined]
    place = make_place(directory / "p")
    _fill(place, 10)
    with place.begin() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.seq == seq)).one()._mapping
        if kind == "flip":
            value = str(row[field])
            i = position % len(value)
            flipped = chr(ord(value[i]) ^ 1) if value[i] != "\x01" else "x"
            conn.execute(
                update(audit_log)
                .where(audit_log.c.seq == seq)
                .values({field: value[:i] + flipped + value[i + 1 :]})
            )
        elif kind == "delete":
            conn.execute(delete(audit_log).where(audit_log.c.seq == seq))
        else:
            other = seq % 12 + 1
            other_row = conn.execute(select(audit_log).where(audit_log.c.seq == other)).one()._mapping
            contents = {f: other_row[f] for f in FIELDS}
            mine = {f: row[f] for f in FIELDS}
            conn.execute(update(audit_log).where(audit_log.c.seq == seq).values(contents))
            conn.execute(update(audit_log).where(audit_log.c.seq == other).values(mine))
    with place.read() as conn:
        assert not audit.verify(conn).ok
    place.close()
