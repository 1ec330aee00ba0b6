"""The demo's residents end to end: imported under the agreements, linked for each purpose, scored against the
ground truth the place never reads, and the national data opt-out held on every path to planning outputs.

One place is built for the module (about two minutes: two purposes trained on ~57,000 records each).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
import pytest

from tests.conftest import make_place
from totalplace.backends.adhoc import run_read_only
from totalplace.demo import PARTNERS
from totalplace.demo.people import add_people
from totalplace.demo.principal import DEMO
from totalplace.demo.sharing import add_sharing
from totalplace.demo.sources import SOURCES
from totalplace.engines.people import people as people_view
from totalplace.engines.people.evaluate import evaluate_linkage
from totalplace.engines.people.profile_access import show_areas, show_profile
from totalplace.engines.people.records import identities, records_table
from totalplace.engines.people.runs import run_linkage
from totalplace.errors import QueryRefusedError
from totalplace.place import Place
from totalplace.store.partners import add_partner

NHS_SOURCES = {s.source for s in SOURCES if s.partner == "Northbridge NHS"}


@dataclass(frozen=True)
class Built:
    place: Place
    work: Path
    truth: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("residents")
    place = make_place(root / "place")
    with place.begin() as conn:
        for name, kind in PARTNERS[1:]:  # make_place made a "Council"; the demo's six partners besides
            add_partner(conn, name=name, kind=kind, code=None, actor="test")
        add_partner(conn, name=PARTNERS[0][0], kind=PARTNERS[0][1], code=None, actor="test")
    add_sharing(place)
    add_people(place, root / "work", root / "truth", link=True)
    yield Built(place, root / "work", root / "truth")
    place.close()


def _truth(built: Built) -> tuple[list[dict[str, str]], set[str]]:
    with (built.truth / "truth_records.csv").open(encoding="utf-8") as f:
        records = list(csv.DictReader(f))
    with (built.truth / "truth_people.csv").open(encoding="utf-8") as f:
        opted_out = {p["person_id"] for p in csv.DictReader(f) if p["opted_out"] == "yes"}
    return records, opted_out


def test_the_demo_links_its_residents_as_the_truth_has_them(built: Built) -> None:
    for purpose in ("planning", "direct_care"):
        scored = evaluate_linkage(
            built.place,
            DEMO,
            purpose,
            labels="person_id",
            labels_file=built.truth / "truth_records.csv",
        )
        assert scored.labelled == scored.records
        assert scored.at.pairs.f1 >= 0.99, (purpose, scored.at)
        assert scored.at.clusters.f1 >= 0.99, (purpose, scored.at)


def test_opted_out_nhs_records_never_reach_a_planning_output_but_direct_care_keeps_them(built: Built) -> None:
    truth, opted_out = _truth(built)
    assert opted_out, "the demo opts some people out"
    theirs = [r for r in truth if r["person_id"] in opted_out and r["source"] in NHS_SOURCES]
    planning_ids = {r["record_id"] for r in theirs if r["file"].endswith("_planning.csv")}
    care_ids = {r["record_id"] for r in theirs if not r["file"].endswith("_planning.csv")}
    assert planning_ids and care_ids

    # The records, the people and the links for planning hold none of them.
    records = records_table(built.place, DEMO, "planning")
    assert not planning_ids & set(records["record_id"].to_pylist())
    people = people_view.people_table(built.place, DEMO, "planning")
    assert not planning_ids & set(people["record_id"].to_pylist())
    links = people_view.links_table(built.place, DEMO, "planning")
    linked = set(links["record_id_l"].to_pylist()) | set(links["record_id_r"].to_pylist())
    assert not planning_ids & linked

    # A profile of an opted-out person for planning shows no NHS line; their other partners' lines remain.
    others = {
        r["record_id"] for r in truth if r["person_id"] in opted_out and r["file"].endswith("_planning.csv")
    }
    person_of = dict(zip(people["record_id"].to_pylist(), people["person_id"].to_pylist(), strict=True))
    shown = sorted({person_of[r] for r in others if r in person_of})[:20]
    assert shown
    for person in shown:
        profile = show_profile(built.place, DEMO, "person", person, purpose="planning")
        body = json.dumps(profile.to_dict())
        assert not planning_ids & {line.record_id for line in profile.lines}
        assert not any(line.source in NHS_SOURCES for line in profile.lines if line.record_id in planning_ids)
        assert all(rid not in body for rid in planning_ids)

    # Counts by area are made from the same tables; and the SQL anyone may type cannot read records at all.
    show_areas(built.place, DEMO, purpose="planning")
    with pytest.raises(QueryRefusedError):
        run_read_only(built.place, "SELECT count(*) FROM person_records")

    # Direct care still holds their NHS records, and the lead may see who they are with a reason.
    care = records_table(built.place, DEMO, "direct_care")
    kept = care_ids & set(care["record_id"].to_pylist())
    assert kept == care_ids
    revealed = identities(built.place, DEMO, sorted(kept)[:5], "safeguarding review of a referral")
    assert revealed.num_rows == 5
    assert all(n for n in revealed["nhs_number"].to_pylist())


def test_a_rerun_keeps_every_persons_id(built: Built) -> None:
    before = people_view.people_table(built.place, DEMO, "planning")
    run_linkage(built.place, DEMO, "planning")
    after = people_view.people_table(built.place, DEMO, "planning")
    key = pc.sort_indices(before, [("record_id", "ascending")])
    again = pc.sort_indices(after, [("record_id", "ascending")])
    assert before.take(key)["person_id"].to_pylist() == after.take(again)["person_id"].to_pylist()
    assert before.take(key)["household_id"].to_pylist() == after.take(again)["household_id"].to_pylist()
