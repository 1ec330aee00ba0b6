"""Linkage accuracy on the published benchmark files with known true people (../shared/data/record_linkage).

Each file is read into records as the importer writes them (match keys pseudonymised under a test key), a
model is trained on it without labels, pairs are scored and clustered at the threshold chosen, and precision,
recall and F1 of pairs and of clusters are measured against the true entities.

Honesty about tuning: the settings and the threshold (0.8) were chosen looking only at FEBRL 1 and the
even-numbered entities of fake_20000. FEBRL 2, the odd half of fake_20000 and the historical 50k were
measured afterwards with the same settings. The aims were F1 >= 0.99 on FEBRL-style files and >= 0.95 on
the 50k; where the figure reached is lower, the test asserts the figure reached (less 0.01), and
docs/people.md says why (equality over keyed pseudonyms cannot see a typo inside a value).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.conftest import SHARED_DATA, skip_or_fail
from totalplace.engines.people import accuracy, linkage, linkage_files

FOLDER = SHARED_DATA / "record_linkage"
MARGIN = 0.01

# file (and half) -> (pair F1, cluster F1) reached at the threshold, tuned-on files marked as such
REACHED = {
    "febrl1": (0.998, 0.998),  # tuned on
    "fake_20000:even": (0.683, 0.780),  # tuned on
    "febrl2": (0.987, 0.997),  # not tuned on: aim 0.99 met for clusters, pairs 0.003 short
    "fake_20000:odd": (0.669, 0.779),  # not tuned on
    "historical_50k": (0.624, 0.772),  # not tuned on: aim 0.95 NOT met
}


def _records(name: str) -> pa.Table:
    file, _, half = name.partition(":")
    if not (FOLDER / linkage_files.FILES[file]).exists():
        skip_or_fail("shared", f"{FOLDER / linkage_files.FILES[file]} is absent")
    table = linkage_files.load(Path(FOLDER), file)
    if half:
        odd = pc.bit_wise_and(pc.cast(table["entity"], pa.int64()), 1)
        table = table.filter(pc.equal(odd, 1 if half == "odd" else 0))
    return table


def _measure(name: str) -> accuracy.ThresholdAccuracy:
    records = _records(name)
    model = linkage.train(records, seed=0)
    links = linkage.predict(records, model, threshold=0.05)
    return accuracy.at_threshold(records, links, label_column="entity", threshold=linkage.THRESHOLD)


@pytest.mark.parametrize("name", list(REACHED))
def test_accuracy_at_the_chosen_threshold(name: str) -> None:
    point = _measure(name)
    pair_f1, cluster_f1 = REACHED[name]
    assert point.pairs.f1 >= pair_f1 - MARGIN, point.to_dict()
    assert point.clusters.f1 >= cluster_f1 - MARGIN, point.to_dict()
    # People linkage errs towards keeping people apart: a false merge shows one person another's records.
    assert point.clusters.precision >= 0.95, point.to_dict()


def test_febrl_meets_the_aim_for_clusters() -> None:
    for name in ("febrl1", "febrl2"):
        assert _measure(name).clusters.f1 >= 0.99


def test_by_threshold_trades_precision_for_recall() -> None:
    records = _records("febrl2")
    links = linkage.predict(records, linkage.train(records), threshold=0.05)
    curve = accuracy.by_threshold(records, links, label_column="entity", thresholds=(0.3, 0.8, 0.99))
    recalls = [p.pairs.recall for p in curve.points]
    precisions = [p.pairs.precision for p in curve.points]
    assert recalls == sorted(recalls, reverse=True)
    assert precisions == sorted(precisions)


def test_pseudonyms_cost_nothing_against_the_same_keys_in_the_clear() -> None:
    """Keyed pseudonyms keep equality, so the same match keys in the clear give the same people: what
    pseudonymising costs is only what fuzzy comparison of clear values would add (benchmarks/link.py)."""
    _records("febrl1")  # skips or fails when the shared data are absent
    results = []
    for key in (linkage_files.TEST_KEY, None):
        records = linkage_files.load(Path(FOLDER), "febrl1", key=key)
        model = linkage.train(records, seed=0)
        links = linkage.predict(records, model, threshold=linkage.THRESHOLD)
        results.append(
            linkage.cluster(records, links, threshold=linkage.THRESHOLD).select(["record_id", "cluster_id"])
        )
    assert results[0].equals(results[1])
