"""Keying an older place's plain chain honestly, rotating the key, and checking a head printed earlier."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import make_place
from tests.store.audit_support import anchor_text, fill, hmac_with, plain, problems, replace_log, reseal, rows
from totalplace.errors import AuditChainError, ConflictError, InvalidInputError, KeyMissingError
from totalplace.governance import keys
from totalplace.place import Place
from totalplace.store import audit, audit_anchor
from totalplace.store.audit_admin import key_existing_chain, rotate


def _legacy_place(directory: Path) -> Place:
    """A place as made before chains were keyed: plain SHA-256 records, no key, no anchor."""
    place = make_place(directory)
    fill(place, 3)
    replace_log(place, reseal(rows(place), plain, alg="sha256"), head_alg="sha256")
    shutil.rmtree(directory / "keys")
    place.audit.anchor_path.unlink()
    place.close()
    return Place.open(directory)


def test_an_unkeyed_chain_verifies_with_a_note(tmp_path: Path, database_url: str | None) -> None:
    with _legacy_place(tmp_path / "p") as place, place.read() as conn:
        result = audit.verify(conn)
    assert result.ok, result.problems
    assert result.keyed_from is None
    assert any("audit upgrade" in n for n in result.notes)


def test_upgrading_keys_from_a_record_on_without_rehashing_history(
    tmp_path: Path, database_url: str | None
) -> None:
    with _legacy_place(tmp_path / "p") as place:
        before = rows(place)
        change = key_existing_chain(place, actor="test")
        fill(place, 2)
        after = rows(place)
        with place.read() as conn:
            result = audit.verify(conn)
    assert result.ok, result.problems
    assert change.record.seq == 6 == result.keyed_from
    assert after[:5] == before
    assert after[5]["action"] == "audit.keyed" and after[5]["alg"] == "hmac-sha256:1"
    assert {r["alg"] for r in after[5:]} == {"hmac-sha256:1"}
    assert (tmp_path / "p" / "keys" / "audit-1.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "p" / "keys").stat().st_mode & 0o777 == 0o700


def test_upgrade_refuses_a_broken_chain_and_a_keyed_one(sqlite_place: Place, tmp_path: Path) -> None:
    with pytest.raises(ConflictError):
        key_existing_chain(sqlite_place, actor="test")
    with _legacy_place(tmp_path / "old") as place:
        records = rows(place)
        records[2] = {**records[2], "actor": "mallory"}
        replace_log(place, records)
        with pytest.raises(AuditChainError):
            key_existing_chain(place, actor="test")


def test_an_interrupted_upgrade_is_reported_and_can_be_finished(tmp_path: Path) -> None:
    with _legacy_place(tmp_path / "p") as place:
        place.audit.keyring.create(1)  # the key was made, then the process stopped
        assert any("an audit key exists" in p for p in problems(place))
        key_existing_chain(place, actor="test")
        assert problems(place) == []


def test_a_rotation_is_recorded_and_both_keys_verify(sqlite_place: Place) -> None:
    fill(sqlite_place, 2)
    change = rotate(sqlite_place, actor="test")
    fill(sqlite_place, 2)
    algs = [(r["action"], r["alg"]) for r in rows(sqlite_place)]
    assert algs[change.record.seq - 1] == ("audit.key_rotated", "hmac-sha256:1")
    assert {alg for _, alg in algs[change.record.seq :]} == {"hmac-sha256:2"}
    assert problems(sqlite_place) == []
    assert anchor_text(sqlite_place)[-1].split(" ")[4] == "2"
    (sqlite_place.dir / "keys" / "audit-1.key").unlink()
    with Place.open(sqlite_place.dir) as again, again.read() as conn, pytest.raises(KeyMissingError):
        audit.verify(conn)


def test_a_relabelled_key_number_is_detected(sqlite_place: Place) -> None:
    rotate(sqlite_place, actor="test")
    fill(sqlite_place, 1)
    records = rows(sqlite_place)
    records[-1] = {**records[-1], "alg": "hmac-sha256:1"}
    stolen = keys.load_key(sqlite_place.dir, "audit-1")
    resealed = reseal(records, hmac_with(stolen))
    replace_log(sqlite_place, records[:-1] + resealed[-1:])
    assert any("where the chain requires hmac-sha256:2" in p for p in problems(sqlite_place))


def test_a_head_printed_earlier_is_checked(place: Place) -> None:
    fill(place, 3)
    with place.read() as conn:
        printed = audit.head(conn)
    fill(place, 2)
    with place.read() as conn:
        by_hash = audit.verify(conn, against=f"{printed.seq}:{printed.hash}")
        by_fingerprint = audit.verify(conn, against=f"{printed.seq}:{printed.fingerprint.lower()}")
        bare = audit.verify(conn, against=printed.hash)
    for result in (by_hash, by_fingerprint, bare):
        assert result.ok, result.problems
        assert any("2 record(s) were added since" in n for n in result.notes)
    with place.read() as conn, pytest.raises(InvalidInputError):
        audit.verify(conn, against="five:abc")


def test_a_rewrite_by_someone_with_the_key_and_the_anchor_is_caught_by_the_printed_head(place: Place) -> None:
    fill(place, 3)
    with place.read() as conn:
        printed = audit.head(conn)
    records = rows(place)
    records[2] = {**records[2], "actor": "mallory"}
    key = keys.load_key(place.dir, "audit-1")
    forged = reseal(records, hmac_with(key))
    replace_log(place, forged)
    place.audit.anchor_path.write_text("", "ascii")
    for rec in forged:
        audit_anchor.write(place.audit.anchor_path, key, 1, rec["seq"], rec["hash"])
    assert problems(place) == []  # the insider rewrote store, chain and anchor consistently
    found = problems(place, against=f"{printed.seq}:{printed.hash}")
    assert any(f"record {printed.seq} is not the head printed earlier" in p for p in found), found
    truncated = problems(place, against=f"{printed.seq + 5}:{printed.hash}")
    assert any("is not in the store" in p for p in truncated)


def test_the_key_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    monkeypatch.setenv("TOTALPLACE_AUDIT_KEY", "ab" * 32)
    with make_place(tmp_path / "p") as place:
        assert not (tmp_path / "p" / "keys").exists()
        assert problems(place) == []
    monkeypatch.setenv("TOTALPLACE_AUDIT_KEY", "1:" + "ab" * 32 + ", 2:" + "cd" * 32)
    with Place.open(tmp_path / "p") as place:
        rotate(place, actor="test")
        fill(place, 1)
        assert problems(place) == []
    monkeypatch.delenv("TOTALPLACE_AUDIT_KEY")
    with Place.open(tmp_path / "p") as place, pytest.raises(KeyMissingError) as missing:
        fill(place, 1)
    assert missing.value.code == "TP302"
    assert "backup" in (missing.value.hint or "")
