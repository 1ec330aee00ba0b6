"""The whole run with the real Splink core: a re-run keeps every id, a 10% extract renumbers nobody."""

from __future__ import annotations

from tests.engines.people.link_support import Held, generate
from totalplace.engines.people import evaluate, people, runs
from totalplace.governance.roles import trusted
from totalplace.place import Place

LEAD = trusted("test")


def test_splink_run_rerun_and_a_ten_percent_extract(sqlite_place: Place, held_real: Held) -> None:
    place = sqlite_place
    held_real.add("planning", generate(300, 3, seed=1, tag="aaaaaaaaaaaa", noise=True))
    runs.train_model(place, LEAD, "planning")
    first_run = runs.run_linkage(place, LEAD, "planning", threshold=0.9)
    first = people.people_table(place, LEAD, "planning").to_pylist()
    assert abs(first_run.people - 300) <= 6  # Splink on noisy records, not a lookup
    assert first_run.links > 0 and first_run.households > 0

    again = runs.run_linkage(place, LEAD, "planning", threshold=0.9)
    assert people.people_table(place, LEAD, "planning").to_pylist() == first
    assert again.detail["people_ids"]["new"] == 0

    # 10%: 45 more records of existing people and 45 of new people
    held_real.add("planning", generate(45, 1, seed=2, tag="bbbbbbbbbbbb", noise=True))
    held_real.add("planning", generate(45, 1, seed=3, tag="cccccccccccc", start=5000, noise=True))
    grown = runs.run_linkage(place, LEAD, "planning", threshold=0.9)
    after = {r["record_id"]: r["person_id"] for r in people.people_table(place, LEAD, "planning").to_pylist()}
    merged = dict(tuple(pair) for pair in grown.detail["people_ids"]["merged"])
    # every existing person keeps their id, unless the new records joined them to another person
    for r in first:
        assert after[r["record_id"]] == merged.get(r["person_id"], r["person_id"])
    assert len(merged) <= 3 and len(after) == 990

    scored = evaluate.evaluate_linkage(place, LEAD, "planning", labels="true_id", threshold=0.9)
    assert scored.at.clusters.f1 > 0.95
