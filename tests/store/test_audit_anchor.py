"""The anchor file: written after commit only, tolerated when it lags, its own edits detected, shared safely."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from tests.store.audit_support import anchor_text, fill, problems
from totalplace.errors import StoreError
from totalplace.place import Place
from totalplace.store import audit, audit_anchor
from totalplace.store.schema import partners


class _BoomError(Exception):
    pass


def _append_then_fail(place: Place) -> None:
    with place.begin() as conn:
        audit.append(conn, actor="t", action="thing.do", object_type="thing", object_id=1)
        raise _BoomError


def test_each_committed_transaction_anchors_its_newest_record(place: Place) -> None:
    fill(place, 6, per_transaction=3)
    lines = anchor_text(place)
    assert [int(line.split()[1]) for line in lines] == [1, 2, 5, 8]


def test_a_rolled_back_transaction_writes_no_anchor_line(place: Place) -> None:
    before = anchor_text(place)
    with pytest.raises(_BoomError):
        _append_then_fail(place)
    assert anchor_text(place) == before
    fill(place, 1)
    assert problems(place) == []


def test_a_savepoint_rolled_back_is_not_anchored(place: Place) -> None:
    with place.begin() as conn:
        audit.append(conn, actor="t", action="thing.do", object_type="thing", object_id=1)
        nested = conn.begin_nested()
        audit.append(conn, actor="t", action="thing.do", object_type="thing", object_id=2)
        nested.rollback()
    assert anchor_text(place)[-1].split()[1] == "3"
    assert problems(place) == []


def test_a_store_failure_at_commit_writes_no_anchor_line(place: Place) -> None:
    before = anchor_text(place)

    def fail(_conn: object) -> None:
        raise OperationalError("COMMIT", {}, RuntimeError("disk full"))

    event.listen(place.engine, "commit", fail)
    try:
        with pytest.raises(StoreError), place.begin() as conn:
            audit.append(conn, actor="t", action="thing.do", object_type="thing", object_id=1)
    finally:
        event.remove(place.engine, "commit", fail)
    assert anchor_text(place) == before
    with place.read() as conn:
        assert audit.head_seq(conn) == 2  # rolled back


def test_a_crash_between_commit_and_anchor_leaves_a_lagging_anchor_that_verifies(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(place, 2)
    with monkeypatch.context() as m:
        m.setattr(audit, "anchor", lambda _pending: False)  # the process stopped after the commit
        fill(place, 3)
    with place.read() as conn:
        result = audit.verify(conn)
    assert result.ok, result.problems
    assert result.anchor_behind == 3
    assert any("3 record(s) behind" in n for n in result.notes)
    fill(place, 1)
    with place.read() as conn:
        assert audit.verify(conn).anchor_behind == 0


def test_an_unwritable_anchor_is_logged_not_raised_after_commit(
    place: Place, caplog: pytest.LogCaptureFixture
) -> None:
    path = place.audit.anchor_path
    path.unlink()
    path.mkdir()  # cannot be opened for writing
    fill(place, 1)
    assert "committed but not anchored" in caplog.text
    with place.read() as conn:
        assert audit.head_seq(conn) == 3


def test_a_line_removed_from_the_middle_of_the_anchor_is_detected(place: Place) -> None:
    fill(place, 4)
    lines = anchor_text(place)
    place.audit.anchor_path.write_text("\n".join(lines[:2] + lines[3:]) + "\n", "ascii")
    found = problems(place)
    assert any("lines before it were removed" in p for p in found), found


def test_a_changed_anchor_line_is_detected(place: Place) -> None:
    fill(place, 2)
    lines = anchor_text(place)
    parts = lines[1].split(" ")
    parts[3] = "2001-01-01T00:00:00.000000+00:00"
    lines[1] = " ".join(parts)
    place.audit.anchor_path.write_text("\n".join(lines) + "\n", "ascii")
    assert any("anchor line 2 (record 2) was changed" in p for p in problems(place))


def test_a_deleted_anchor_is_detected(place: Place) -> None:
    fill(place, 2)
    place.audit.anchor_path.unlink()
    assert any("anchor" in p and "missing" in p for p in problems(place))


def test_a_torn_last_line_is_named_and_later_lines_still_link(place: Place) -> None:
    with place.audit.anchor_path.open("a", encoding="ascii") as f:
        f.write("v1 3 abc")
    fill(place, 2)
    found = problems(place)
    assert found == ["anchor line 3 is damaged (not an anchor line)"], found


def test_lines_out_of_record_order_are_each_checked(place: Place) -> None:
    fill(place, 3)
    with place.read() as conn:
        recs = {r.seq: r.hash for r in audit.records(conn)}
    key = place.audit.keyring.key(1)
    audit_anchor.write(place.audit.anchor_path, key, 1, 3, recs[3])  # an older head, written late
    assert problems(place) == []
    audit_anchor.write(place.audit.anchor_path, key, 1, 4, "0" * 64)
    assert any("names record 4 with hash 0000" in p for p in problems(place))


def _append_many(directory: str, worker: int, n: int) -> None:
    with Place.open(Path(directory)) as place:
        for i in range(n):
            with place.begin() as conn:
                audit.append(conn, actor=f"w{worker}", action="thing.do", object_type="thing", object_id=i)


def test_several_processes_appending_at_once_keep_chain_and_anchor_sound(place: Place) -> None:
    place.engine.dispose()  # no pooled connection may be shared with the children
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(place.dir), w, 10)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    with place.read() as conn:
        result = audit.verify(conn)
        assert conn.execute(select(partners.c.name)).scalars().all() == ["Council"]
    assert result.ok, result.problems
    assert result.records == 42
    assert result.anchor_lines == 42
    assert all(len(line.split(" ")) == 6 for line in anchor_text(place))
    assert os.stat(place.audit.anchor_path).st_size == sum(len(x) + 1 for x in anchor_text(place))
