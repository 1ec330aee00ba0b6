"""The linkage core: training without labels, scoring pairs and clustering them, deterministic on DuckDB and the
same clusters on Spark; and the accuracy measures."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from tests.engines.conftest import require_spark
from totalplace.engines.people import accuracy, linkage, linkage_generated
from totalplace.engines.people.linkage_settings import COMPARISONS, splink_settings
from totalplace.engines.people.matchkeys import KEYS
from totalplace.errors import (
    AccuracyLabelsError,
    LinkageBackendError,
    LinkageRecordsError,
    LinkModelInvalidError,
)


@pytest.fixture(scope="module")
def records() -> pa.Table:
    """About 2,000 generated records with duplicates, errors and households (true person in ``entity``)."""
    return linkage_generated.records(2000, seed=3)


@pytest.fixture(scope="module")
def model(records: pa.Table) -> linkage.LinkModel:
    return linkage.train(records, seed=1)


@pytest.fixture(scope="module")
def links(records: pa.Table, model: linkage.LinkModel) -> pa.Table:
    return linkage.predict(records, model, threshold=0.05)


def test_training_is_deterministic_and_saved_as_splink_json(
    records: pa.Table, model: linkage.LinkModel
) -> None:
    again = linkage.train(records, seed=1)
    assert again.settings_json == model.settings_json
    settings = json.loads(model.settings_json)
    assert settings["link_type"] == "dedupe_only"
    assert settings["unique_id_column_name"] == "record_id"
    assert 0 < settings["probability_two_random_records_match"] < 1
    assert model.trained_on == records.num_rows
    # Every level has trained m and u; agreement is evidence for a match, disagreement against.
    by_level = {(p.comparison, p.level): p for p in model.parameters}
    assert by_level[("nhs_number", "exact")].bayes_factor > 100  # type: ignore[operator]
    assert by_level[("date_of_birth", "different")].bayes_factor < 1  # type: ignore[operator]
    json.dumps(model.to_dict())  # JSON-ready
    read_back = linkage.LinkModel.from_settings_json(model.settings_json, trained_on=model.trained_on)
    assert read_back.parameters == model.parameters


def test_comparisons_are_equalities_of_match_keys() -> None:
    settings = json.loads(splink_settings(frozenset(KEYS)))
    names = [c["output_column_name"] for c in settings["comparisons"]]
    assert names == [spec.name for spec in COMPARISONS]
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"][1:-1]:
            for part in level["sql_condition"].split(" AND "):
                left, right = part.split(" = ")
                assert left.startswith("mk_") and left.endswith("_l") and right == left[:-2] + "_r"


def test_predict_is_sorted_and_deterministic(
    records: pa.Table, model: linkage.LinkModel, links: pa.Table
) -> None:
    assert links.column_names == ["record_id_l", "record_id_r", "match_probability"]
    pairs = list(zip(links["record_id_l"].to_pylist(), links["record_id_r"].to_pylist(), strict=True))
    assert pairs == sorted(pairs)
    assert all(left < right for left, right in pairs)
    assert min(links["match_probability"].to_pylist()) >= 0.05
    assert linkage.predict(records, model, threshold=0.05).equals(links)


def test_linkage_finds_the_generated_people(records: pa.Table, links: pa.Table) -> None:
    point = accuracy.at_threshold(records, links, label_column="entity", threshold=linkage.THRESHOLD)
    assert point.pairs.recall > 0.95
    assert point.pairs.precision > 0.6  # household members and twins are the false matches


def test_cluster_is_connected_components_with_stable_ids() -> None:
    records = pa.table({"record_id": ["e", "a", "c", "b", "d"]})
    links = pa.table(
        {
            "record_id_l": ["a", "b", "d"],
            "record_id_r": ["b", "c", "e"],
            "match_probability": [0.9, 0.85, 0.5],
        }
    )
    out = linkage.cluster(records, links, threshold=0.8)
    assert out.to_pylist() == [
        {"record_id": "a", "cluster_id": "a", "cluster_probability": 0.9},
        {"record_id": "b", "cluster_id": "a", "cluster_probability": 0.9},
        {"record_id": "c", "cluster_id": "a", "cluster_probability": 0.85},
        {"record_id": "d", "cluster_id": "d", "cluster_probability": None},
        {"record_id": "e", "cluster_id": "e", "cluster_probability": None},
    ]
    assert linkage.cluster(records, links, threshold=0.4)["cluster_id"].to_pylist() == [
        "a",
        "a",
        "a",
        "d",
        "d",
    ]
    alone = linkage.cluster(records, links.slice(0, 0), threshold=0.8)
    assert alone["cluster_id"].to_pylist() == ["a", "b", "c", "d", "e"]
    assert alone["cluster_probability"].null_count == 5


def test_refusals(records: pa.Table, model: linkage.LinkModel) -> None:
    with pytest.raises(LinkageRecordsError, match="mk_nhs_number"):
        linkage.train(records.drop_columns(["mk_nhs_number"]))
    with pytest.raises(LinkageRecordsError, match="repeat"):
        linkage.predict(pa.concat_tables([records, records.slice(0, 1)]), model, threshold=0.5)
    with pytest.raises(LinkageRecordsError, match="too few"):
        linkage.train(records.slice(0, 3))
    with pytest.raises(LinkModelInvalidError):
        linkage.predict(records, linkage.LinkModel("{not json", trained_on=1), threshold=0.5)
    with pytest.raises(LinkageBackendError):
        linkage.train(records, backend="oracle")


def test_accuracy_counts_pairs_and_clusters() -> None:
    records = pa.table({"record_id": ["a", "b", "c", "d"], "entity": ["1", "1", "1", "2"]})
    labels = accuracy.labels_of(records, "entity")
    assert accuracy.true_pair_count(labels) == 3
    links = pa.table(
        {"record_id_l": ["a", "c"], "record_id_r": ["b", "d"], "match_probability": [0.95, 0.9]},
    )
    pairs = accuracy.pair_scores(links, labels, threshold=0.8)
    assert (pairs.true_positives, pairs.false_positives, pairs.false_negatives) == (1, 1, 2)
    assert pairs.precision == 0.5 and pairs.recall == pytest.approx(1 / 3)
    clusters = accuracy.cluster_scores(linkage.cluster(records, links, threshold=0.8), labels)
    # {a,b} and {c,d}: a-b is right, c-d wrong, a-c and b-c missed
    assert (clusters.true_positives, clusters.false_positives, clusters.false_negatives) == (1, 1, 2)
    curve = accuracy.by_threshold(records, links, label_column="entity", thresholds=(0.92, 0.5))
    assert [p.threshold for p in curve.points] == [0.5, 0.92]
    assert curve.at(0.92).pairs.to_dict()["precision"] == 1.0
    assert curve.best().threshold == 0.92
    with pytest.raises(AccuracyLabelsError):
        accuracy.labels_of(pa.table({"record_id": ["a"], "entity": [None]}), "entity")


@pytest.mark.spark
def test_spark_gives_the_same_clusters(records: pa.Table, model: linkage.LinkModel, links: pa.Table) -> None:
    require_spark()
    small = records.slice(0, 800)
    duck = linkage.cluster(small, linkage.predict(small, model, threshold=0.05), threshold=linkage.THRESHOLD)
    on_spark = linkage.predict(small, model, threshold=0.05, backend="spark")
    spark = linkage.cluster(small, on_spark, threshold=linkage.THRESHOLD)
    assert spark.select(["record_id", "cluster_id"]).equals(duck.select(["record_id", "cluster_id"]))
    # Trained on Spark too: Spark samples u with its own generator, so the parameters differ in the last
    # digits, but the people found are the same.
    spark_model = linkage.train(small, backend="spark", seed=1)
    retrained = linkage.cluster(
        small,
        linkage.predict(small, spark_model, threshold=0.05, backend="spark"),
        threshold=linkage.THRESHOLD,
    )
    duck_model = linkage.train(small, seed=1)
    duck_again = linkage.cluster(
        small, linkage.predict(small, duck_model, threshold=0.05), threshold=linkage.THRESHOLD
    )
    assert retrained.select(["record_id", "cluster_id"]).equals(
        duck_again.select(["record_id", "cluster_id"])
    )
