"""Linkage runs kept in the place: the model as a version, runs with stable ids, households, policy."""

from __future__ import annotations

import pytest

from tests.engines.people.link_support import Held, generate
from totalplace.engines.people import evaluate, people, runs
from totalplace.errors import (
    NoLinkModelError,
    NoLinkRunError,
    NoPersonRecordsError,
    PermissionDeniedError,
    ThresholdInvalidError,
)
from totalplace.governance.roles import Principal, trusted
from totalplace.place import Place
from totalplace.store import versions
from totalplace.store.users import RoleGrant

LEAD = trusted("test")


def _as(role: str, purpose: str) -> Principal:
    return Principal(f"{role}-{purpose}", False, (RoleGrant(role, None, None, purpose),))


def test_train_keeps_the_model_as_a_version_and_a_run_keeps_people(place: Place, held: Held) -> None:
    held.add("planning", generate(50, 3, seed=1, tag="aaaaaaaaaaaa"))
    trained = runs.train_model(place, LEAD, "planning")
    assert trained.version == 1 and trained.weights
    with place.read() as conn:
        assert versions.current(conn, "link-model", "planning") is not None
    run = runs.run_linkage(place, LEAD, "planning", threshold=0.9)
    assert (run.records, run.people, run.model_version) == (150, 50, 1)
    assert run.households == 17  # three people a home
    table = people.people_table(place, LEAD, "planning")
    assert table.column_names == ["record_id", "person_id", "household_id", "match_probability"]
    assert all(p.startswith("P") and len(p) == 8 for p in table["person_id"].to_pylist())
    links = people.links_table(place, LEAD, "planning")
    assert links.num_rows == run.links > 0


def test_a_rerun_gives_identical_ids_and_a_ten_percent_extract_keeps_every_person(
    place: Place, held: Held
) -> None:
    held.add("planning", generate(200, 2, seed=2, tag="bbbbbbbbbbbb"))
    runs.train_model(place, LEAD, "planning")
    runs.run_linkage(place, LEAD, "planning")
    first = people.people_table(place, LEAD, "planning").to_pylist()
    runs.run_linkage(place, LEAD, "planning")
    assert people.people_table(place, LEAD, "planning").to_pylist() == first
    # a 10% extract: 20 records of existing people, 20 of new people
    held.add("planning", generate(20, 1, seed=3, tag="cccccccccccc", start=0))
    held.add("planning", generate(20, 1, seed=4, tag="dddddddddddd", start=1000))
    run = runs.run_linkage(place, LEAD, "planning")
    after = {r["record_id"]: r for r in people.people_table(place, LEAD, "planning").to_pylist()}
    assert all(after[r["record_id"]]["person_id"] == r["person_id"] for r in first)
    assert all(after[r["record_id"]]["household_id"] == r["household_id"] for r in first)
    assert run.people == 220 and run.detail["people_ids"]["new"] == 20


def test_refusals(place: Place, held: Held) -> None:
    with pytest.raises(NoPersonRecordsError):
        runs.train_model(place, LEAD, "planning")
    held.add("planning", generate(5, 2, seed=1, tag="eeeeeeeeeeee"))
    with pytest.raises(NoLinkModelError):
        runs.run_linkage(place, LEAD, "planning")
    with pytest.raises(NoLinkRunError):
        people.people_table(place, LEAD, "planning")
    with pytest.raises(ThresholdInvalidError):
        runs.run_linkage(place, LEAD, "planning", threshold=1.5)


def test_policy_analyst_may_run_and_read_finance_and_other_purposes_may_not(place: Place, held: Held) -> None:
    held.add("planning", generate(10, 2, seed=1, tag="ffffffffffff"))
    analyst = _as("analyst", "planning")
    runs.train_model(place, analyst, "planning")
    runs.run_linkage(place, analyst, "planning")
    assert people.people_table(place, analyst, "planning").num_rows == 20
    assert people.readable_purposes(place, analyst) == ["planning"]
    for refused in (_as("partner_finance", "finance"), _as("case_worker", "direct_care")):
        with pytest.raises(PermissionDeniedError):
            people.people_table(place, refused, "planning")
        with pytest.raises(PermissionDeniedError):
            runs.run_linkage(place, refused, "planning")
        assert people.readable_purposes(place, refused) == []
    # an analyst held for analysis reaches planning data, but not data shared for direct care
    held.add("direct_care", generate(4, 2, seed=1, tag="999999999999"))
    with pytest.raises(PermissionDeniedError):
        runs.train_model(place, _as("analyst", "analysis"), "direct_care")


def test_evaluate_scores_pairs_and_clusters_against_true_ids(place: Place, held: Held) -> None:
    held.add("planning", generate(40, 3, seed=5, tag="abcabcabcabc"))
    runs.train_model(place, LEAD, "planning")
    result = evaluate.evaluate_linkage(place, LEAD, "planning", labels="true_id", threshold=0.9)
    assert result.at.pairs.precision == 1.0 and result.at.pairs.recall == 1.0
    assert result.at.clusters.f1 == 1.0
    assert [p.threshold for p in result.curve.points][-1] == 0.999
    document = result.to_dict()
    assert document["pairs"]["f1"] == 1.0 and document["labelled"] == 120


def test_summary_shows_the_model_weights_and_the_run(place: Place, held: Held) -> None:
    held.add("planning", generate(10, 2, seed=1, tag="121212121212"))
    runs.train_model(place, LEAD, "planning")
    runs.run_linkage(place, LEAD, "planning")
    shown = people.summary(place, LEAD, "planning")
    assert shown.model_version == 1 and shown.run is not None
    assert sum(b.count for b in shown.link_probabilities) == shown.run.links
    assert {w.comparison for w in shown.weights} == {"nhs_number", "family_name"}


def test_the_model_has_a_history_and_an_old_version_can_be_restored(place: Place, held: Held) -> None:
    from totalplace import history

    held.add("planning", generate(5, 2, seed=1, tag="343434343434"))
    first = runs.train_model(place, LEAD, "planning")
    with place.read() as conn:
        body = versions.current(conn, "link-model", "planning").body  # type: ignore[union-attr]
    runs.keep_model(place, LEAD, "planning", body.replace("0.95", "0.9"), reason="hand-tuned")
    restored = history.restore(
        place, LEAD, "link-model", "planning", first.version, "back to the trained one"
    )
    assert restored.version == 3 and restored.body == body and restored.restored_from == 1
    with pytest.raises(PermissionDeniedError):
        history.restore(place, _as("partner_finance", "finance"), "link-model", "planning", 1, "x")


def test_a_run_overtaken_by_another_is_refused_so_no_number_is_given_twice(
    place: Place, held: Held, monkeypatch: pytest.MonkeyPatch
) -> None:
    from totalplace.errors import LinkageRunError

    held.add("planning", generate(5, 2, seed=1, tag="565656565656"))
    runs.train_model(place, LEAD, "planning")
    real_people = runs._people

    def overtaken(*args: object) -> object:
        made = real_people(*args)  # type: ignore[arg-type]
        monkeypatch.setattr(runs, "_people", real_people)
        runs.run_linkage(place, LEAD, "planning")  # another run is kept meanwhile
        return made

    monkeypatch.setattr(runs, "_people", overtaken)
    with pytest.raises(LinkageRunError, match="while this one ran"):
        runs.run_linkage(place, LEAD, "planning")
    with place.read() as conn:
        from totalplace.store import people as people_store

        assert len(people_store.runs(conn, "planning")) == 1
    assert len(list((place.dir / "data" / "people").glob("*.parquet"))) == 2  # the refused run's files went
