"""Rewrites a chain of plain hashes could not detect are detected by the key and the anchor (issue 19, 4)."""

from __future__ import annotations

from tests.store.audit_support import (
    fill,
    hmac_with,
    plain,
    problems,
    replace_log,
    reseal,
    rows,
)
from totalplace.governance import keys
from totalplace.place import Place
from totalplace.store import audit


def _edited(place: Place) -> list[dict[str, object]]:
    records = rows(place)
    records[3] = {**records[3], "actor": "mallory", "detail": '{"i": 999}'}
    return records


def test_a_new_place_is_keyed_from_its_first_record(place: Place) -> None:
    fill(place, 5)
    with place.read() as conn:
        result = audit.verify(conn)
    assert result.ok, result.problems
    assert result.keyed_from == 1
    assert result.anchored_seq == result.head_seq == 7
    assert {r["alg"] for r in rows(place)} == {"hmac-sha256:1"}


def test_an_edit_with_the_chain_recomputed_as_plain_sha256_is_detected(place: Place) -> None:
    fill(place, 6)
    replace_log(place, reseal(_edited(place), plain, alg="sha256"), head_alg="sha256")
    found = problems(place)
    assert any("anchor line" in p and "rewritten" in p for p in found), found
    assert any("an audit key exists" in p for p in found), found


def test_an_edit_resealed_as_plain_but_labelled_keyed_is_detected(place: Place) -> None:
    fill(place, 6)
    replace_log(place, reseal(_edited(place), plain))
    assert any("contents were changed" in p for p in problems(place))


def test_an_edit_resealed_with_another_key_is_detected(place: Place) -> None:
    fill(place, 6)
    replace_log(place, reseal(_edited(place), hmac_with(b"m" * 32)))
    found = problems(place)
    assert sum("contents were changed" in p for p in found) == 8, found


def test_an_edit_resealed_with_the_stolen_key_is_caught_by_the_anchor(place: Place) -> None:
    fill(place, 6)
    stolen = keys.load_key(place.dir, "audit-1")
    replace_log(place, reseal(_edited(place), hmac_with(stolen)))
    found = problems(place)
    assert not any("contents were changed" in p for p in found)
    assert sum("anchor line" in p and "rewritten" in p for p in found) >= 4, found


def test_deleting_every_record_and_resetting_the_head_is_detected(place: Place) -> None:
    fill(place, 4)
    replace_log(place, [])
    found = problems(place)
    assert any("records were deleted from the end" in p for p in found), found
    assert any("an audit key exists" in p for p in found), found


def test_deleting_every_record_and_the_head_reset_keyed_is_detected(place: Place) -> None:
    fill(place, 4)
    replace_log(place, [], head_alg="hmac-sha256:1")
    assert any("the store ends at record 0" in p for p in problems(place))


def test_truncating_the_tail_and_setting_the_head_back_is_detected(place: Place) -> None:
    fill(place, 8)
    replace_log(place, rows(place)[:-3])
    found = problems(place)
    assert any("names record 10, but the store ends at record 7" in p for p in found), found


def test_reordering_two_records_is_detected(place: Place) -> None:
    fill(place, 5)
    records = rows(place)
    records[2], records[3] = records[3], records[2]
    stolen = keys.load_key(place.dir, "audit-1")
    replace_log(place, reseal(records, hmac_with(stolen)))
    assert any("anchor line" in p for p in problems(place))


def test_a_keyed_record_relabelled_plain_is_detected(place: Place) -> None:
    fill(place, 3)
    records = rows(place)
    tail = reseal(records, plain, alg="sha256")[3:]
    replace_log(place, records[:3] + tail, head_alg="sha256")
    found = problems(place)
    assert any("sealed as sha256 where the chain requires hmac-sha256:1" in p for p in found), found
