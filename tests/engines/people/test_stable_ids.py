"""Stable person ids: a re-run keeps every id, new records never renumber people, ids are never reused."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.engines.people.stable_ids import assign_ids, format_id, id_number
from totalplace.errors import StableIdError

# A generated clustering: record "r<n>" belongs to person-group labels drawn from a few values.
clusterings = st.dictionaries(
    st.integers(0, 200).map(lambda n: f"r{n:04d}"), st.integers(0, 15), min_size=1, max_size=120
)


def _groups(ids: dict[str, str]) -> set[frozenset[str]]:
    found: dict[str, set[str]] = {}
    for member, pid in ids.items():
        found.setdefault(pid, set()).add(member)
    return {frozenset(m) for m in found.values()}


@given(clusterings)
def test_a_rerun_on_the_same_records_gives_identical_ids(groups: dict[str, int]) -> None:
    first = assign_ids(groups, {}, prefix="P", issued=0)
    relabelled = {m: f"other-{g}" for m, g in groups.items()}  # Splink numbers clusters arbitrarily
    again = assign_ids(relabelled, first.ids, prefix="P", issued=first.issued)
    assert again.ids == first.ids
    assert again.merged == () and again.new == 0 and again.issued == first.issued


@given(clusterings, clusterings)
def test_same_input_gives_same_ids(groups: dict[str, int], before: dict[str, int]) -> None:
    previous = assign_ids(before, {}, prefix="P", issued=0)
    one = assign_ids(groups, previous.ids, prefix="P", issued=previous.issued)
    two = assign_ids(dict(reversed(list(groups.items()))), previous.ids, prefix="P", issued=previous.issued)
    assert one == two


@given(clusterings, st.dictionaries(st.integers(201, 400).map(lambda n: f"r{n:04d}"), st.integers(0, 25)))
def test_adding_records_keeps_the_id_of_every_record_whose_cluster_did_not_merge(
    groups: dict[str, int], added: dict[str, int]
) -> None:
    first = assign_ids(groups, {}, prefix="P", issued=0)
    grown = {**groups, **added}  # new records join old clusters (labels 0-15) or form new ones
    second = assign_ids(grown, first.ids, prefix="P", issued=first.issued)
    for member, label in groups.items():
        old_members = {m for m, g in groups.items() if g == label}
        new_members = {m for m, g in grown.items() if g == label}
        assert old_members <= new_members
        assert second.ids[member] == first.ids[member]


@given(st.lists(clusterings, min_size=2, max_size=5))
def test_ids_are_never_reused(runs: list[dict[str, int]]) -> None:
    ids: dict[str, str] = {}
    issued = 0
    retired: set[str] = set()
    ever: set[str] = set()
    for groups in runs:
        result = assign_ids(groups, ids, prefix="P", issued=issued)
        now = set(result.ids.values())
        assert not (now & retired), "an id given up earlier came back"
        retired |= (ever | set(ids.values())) - now
        ever |= now
        assert all(id_number("P", i) <= result.issued for i in now)
        ids, issued = result.ids, result.issued


def test_a_merge_keeps_the_id_holding_most_records_and_records_the_other() -> None:
    first = assign_ids({"a": 1, "b": 1, "c": 2}, {}, prefix="P", issued=0)
    merged = assign_ids({"a": 9, "b": 9, "c": 9}, first.ids, prefix="P", issued=first.issued)
    assert set(merged.ids.values()) == {"P0000001"}
    assert merged.merged == (("P0000002", "P0000001"),)


def test_a_tied_merge_keeps_the_lower_id() -> None:
    first = assign_ids({"a": 1, "c": 2}, {}, prefix="P", issued=0)
    merged = assign_ids({"a": 9, "c": 9}, first.ids, prefix="P", issued=first.issued)
    assert set(merged.ids.values()) == {"P0000001"}


def test_a_split_keeps_the_id_on_the_largest_part_and_numbers_the_rest_anew() -> None:
    first = assign_ids({"a": 1, "b": 1, "c": 1, "z": 2}, {}, prefix="P", issued=0)
    split = assign_ids({"a": 1, "b": 2, "c": 2, "z": 3}, first.ids, prefix="P", issued=first.issued)
    assert split.ids["b"] == split.ids["c"] == "P0000001"
    assert split.ids["a"] == "P0000003"  # never P0000002 again, which z keeps
    assert split.ids["z"] == "P0000002"


def test_a_ten_percent_extract_keeps_every_existing_person_id() -> None:
    rng = random.Random(7)
    people = {f"r{n:05d}": n // 3 for n in range(3000)}  # 1,000 people, 3 records each
    first = assign_ids(people, {}, prefix="P", issued=0)
    extract = {f"x{n:05d}": rng.choice([rng.randrange(1000), 10_000 + n]) for n in range(300)}
    second = assign_ids({**people, **extract}, first.ids, prefix="P", issued=first.issued)
    assert all(second.ids[r] == first.ids[r] for r in people)
    assert second.issued == first.issued + second.new
    assert len(_groups(second.ids)) == 1000 + second.new


def test_ids_have_a_prefix_and_seven_digits() -> None:
    assert format_id("H", 42) == "H0000042"
    assert id_number("H", "H0000042") == 42
    with pytest.raises(StableIdError):
        id_number("P", "H0000042")


@settings(max_examples=30)
@given(clusterings)
def test_previous_numbers_above_issued_are_not_reissued(groups: dict[str, int]) -> None:
    result = assign_ids(groups, {"old": "P0000500"}, prefix="P", issued=3)
    assert "P0000500" not in {v for k, v in result.ids.items()}
    assert result.issued >= 500
