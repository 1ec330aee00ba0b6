"""Households: by UPRN, else address and postcode; a child naming its parent joins the parent's household."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from totalplace.engines.people.households import households


def _record(rid: str, when: str, **keys: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record_id": rid,
        "partner": keys.pop("partner", "Council"),
        "event_date": date.fromisoformat(when),
        "mk_uprn": None,
        "mk_address": None,
        "mk_postcode": None,
        "mk_local_id": None,
        "mk_related": None,
        "relationship": None,
    }
    row.update(keys)
    return row


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows)


def test_people_at_one_uprn_or_one_address_and_postcode_share_a_household() -> None:
    records = _table(
        [
            _record("a:1", "2024-01-01", mk_uprn="u1"),
            _record("b:1", "2024-02-01", mk_uprn="u1", mk_address="x", mk_postcode="y"),
            _record("c:1", "2024-01-01", mk_address="x", mk_postcode="y"),  # x, y is u1 (b:1 says so)
            _record("d:1", "2024-01-01", mk_address="x"),  # an address without its postcode is not enough
            _record("e:1", "2024-01-01", mk_address="z", mk_postcode="y"),
            _record("f:1", "2024-01-01", mk_address="z", mk_postcode="y"),
        ]
    )
    people = {"a:1": "P1", "b:1": "P2", "c:1": "P3", "d:1": "P4", "e:1": "P5", "f:1": "P6"}
    result = households(records, people, {}, issued=0)
    assert result.ids == dict.fromkeys(("P1", "P2", "P3"), "H0000001") | {"P5": "H0000002", "P6": "H0000002"}


def test_an_address_given_with_two_uprns_is_not_read_as_either() -> None:
    records = _table(
        [
            _record("a:1", "2024-01-01", mk_uprn="flat1", mk_address="x", mk_postcode="y"),
            _record("b:1", "2024-01-01", mk_uprn="flat2", mk_address="x", mk_postcode="y"),
            _record("c:1", "2024-01-01", mk_address="x", mk_postcode="y"),
        ]
    )
    result = households(records, {"a:1": "P1", "b:1": "P2", "c:1": "P3"}, {}, issued=0)
    assert len(set(result.ids.values())) == 3


def test_the_latest_address_wins_so_a_person_is_in_one_household() -> None:
    records = _table(
        [
            _record("a:1", "2023-01-01", mk_uprn="old"),
            _record("a:2", "2024-06-01", mk_uprn="new"),
            _record("b:1", "2024-01-01", mk_uprn="old"),
            _record("c:1", "2024-01-01", mk_uprn="new"),
        ]
    )
    people = {"a:1": "P1", "a:2": "P1", "b:1": "P2", "c:1": "P3"}
    result = households(records, people, {}, issued=0)
    assert result.ids["P1"] == result.ids["P3"] != result.ids["P2"]


def test_a_child_naming_its_parents_local_id_joins_the_parents_household() -> None:
    records = _table(
        [
            _record("m:1", "2024-01-01", mk_uprn="home", mk_local_id="L9"),
            _record("k:1", "2024-03-01", mk_local_id="L10", mk_related="L9", relationship="Foster child"),
            # the same local id at another partner is someone else
            _record("o:1", "2024-03-01", partner="Police", mk_related="L9", relationship="child_of"),
            # a victim naming a perpetrator says nothing about where either lives
            _record("v:1", "2024-04-01", mk_related="L9", relationship="victim"),
        ]
    )
    people = {"m:1": "P1", "k:1": "P2", "o:1": "P3", "v:1": "P4"}
    result = households(records, people, {}, issued=0)
    assert result.ids == {"P1": "H0000001", "P2": "H0000001"}


def test_household_ids_are_stable_when_someone_moves_in() -> None:
    records = [_record("a:1", "2024-01-01", mk_uprn="u1"), _record("b:1", "2024-01-01", mk_uprn="u2")]
    first = households(_table(records), {"a:1": "P1", "b:1": "P2"}, {}, issued=0)
    records.append(_record("c:1", "2024-05-01", mk_uprn="u2"))
    second = households(
        _table(records), {"a:1": "P1", "b:1": "P2", "c:1": "P3"}, first.ids, issued=first.issued
    )
    assert second.ids["P1"] == first.ids["P1"] and second.ids["P2"] == first.ids["P2"] == second.ids["P3"]
