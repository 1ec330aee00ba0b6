"""Versioned objects: numbered versions with who, when and why, diffs, and tampering caught by audit verify."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Connection, delete, select, text, update

from totalplace.engines.cba.models import model_names
from totalplace.errors import StoreError, VersionNotFoundError
from totalplace.place import Place
from totalplace.store import audit, versions
from totalplace.store.schema import audit_log, object_versions
from totalplace.store.version_import import import_loose


def _add(place: Place, body: str, reason: str = "because") -> versions.Version:
    with place.begin() as conn:
        return versions.add(
            conn, kind="model", name="m", body=body, owner_id=None, actor="ann", reason=reason
        )


def test_each_change_is_a_numbered_audited_version_with_a_diff(place: Place) -> None:
    first = _add(place, "name: m\nyears: 5\n", "added")
    same = _add(place, "name: m\nyears: 5\n", "again")  # the same body is not a change
    second = _add(place, "name: m\nyears: 6\n", "longer")
    assert (first.version, same.version, second.version) == (1, 1, 2)
    with place.read() as conn:
        kept = versions.history(conn, "model", "m")
        records = versions.audit_records(conn, "model", "m")
        assert versions.get(conn, "model", "m").version == 2
        assert [o.name for o in versions.objects(conn, "model")] == ["m"]
        with pytest.raises(VersionNotFoundError):
            versions.get(conn, "model", "m", 3)
        assert audit.verify(conn).ok
    assert [(v.version, v.created_by, v.reason) for v in kept] == [(1, "ann", "added"), (2, "ann", "longer")]
    assert [json.loads(r.detail)["sha256"] for r in records] == [v.sha256 for v in kept]
    diff = versions.diff(kept[0], kept[1])
    assert "-years: 5" in diff and "+years: 6" in diff
    assert versions.parse_ref("settlement_draft:a.b.c") == ("settlement_draft", "a.b.c")
    with pytest.raises(VersionNotFoundError):
        versions.parse_ref("nothing:m")


def _bypass_triggers(conn: Connection) -> None:
    """What someone who can change the database's schema could do first."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER object_versions_no_update"))
        conn.execute(text("DROP TRIGGER object_versions_no_delete"))
    else:
        conn.execute(text("ALTER TABLE object_versions DISABLE TRIGGER object_versions_append_only"))


def test_the_database_refuses_to_change_or_delete_a_version(place: Place) -> None:
    _add(place, "a\n")
    for change in (update(object_versions).values(body="b\n"), delete(object_versions)):
        with pytest.raises(StoreError), place.begin() as conn:
            conn.execute(change)
    with place.read() as conn:
        assert versions.get(conn, "model", "m").body == "a\n"


def test_an_edited_version_body_fails_audit_verify(place: Place) -> None:
    _add(place, "name: m\nsuccess: 0.1\n")
    with place.begin() as conn:  # as someone who can write the database would: the body and its sha256
        _bypass_triggers(conn)
        body = "name: m\nsuccess: 0.9\n"
        conn.execute(update(object_versions).values(body=body, sha256=versions.body_sha256(body)))
    with place.read() as conn:
        result = audit.verify(conn)
    assert not result.ok
    assert any("version 1 of model:m" in p and "SHA-256" in p for p in result.problems)


def test_a_deleted_or_unaudited_version_fails_audit_verify(place: Place) -> None:
    _add(place, "a\n")
    _add(place, "b\n")
    with place.begin() as conn:
        _bypass_triggers(conn)
        conn.execute(delete(object_versions).where(object_versions.c.version == 2))
        conn.execute(
            object_versions.insert().values(
                kind="rules",
                name="sneaky",
                version=1,
                body="x",
                sha256=versions.body_sha256("x"),
                owner_id=None,
                created_at="2026-01-01",
                created_by="nobody",
                reason="",
                restored_from=None,
            )
        )
    with place.read() as conn:
        problems = audit.verify(conn).problems
        assert conn.execute(select(audit_log.c.seq)).first() is not None
    assert any("version 2 of model:m" in p and "deleted" in p for p in problems)
    assert any("rules:sneaky" in p and "no audit record" in p for p in problems)


def test_a_place_made_before_versioning_keeps_its_files_as_version_one(sqlite_place: Place) -> None:
    folder = sqlite_place.dir
    (folder / "cba").mkdir()
    (folder / "cba" / "old.yaml").write_text("name: old\n", encoding="utf-8")
    (folder / "parameters").mkdir()
    (folder / "parameters" / "unit_costs.yaml").write_text("unit_costs: []\n", encoding="utf-8")
    (folder / "pools" / "drafts").mkdir(parents=True)
    (folder / "pools" / "drafts" / "p-old-shapley.yaml").write_text("changes: []\n", encoding="utf-8")
    with Place.open(folder) as reopened:  # opening a place imports what it kept as files
        assert model_names(reopened) == ["old"]
    assert import_loose(sqlite_place) == 0  # once
    with sqlite_place.read() as conn:
        kept = versions.get(conn, "model", "old")
        assert {(o.kind, o.name) for o in versions.objects(conn)} == {
            ("model", "old"),
            ("unit_costs", "library"),
            ("settlement_draft", "p-old-shapley"),
        }
        assert audit.verify(conn).ok
    assert (kept.version, kept.created_by, kept.body) == (1, "migration", "name: old\n")
    assert "cba/old.yaml" in kept.reason
