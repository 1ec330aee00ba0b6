"""How good a purpose's linkage is, measured against true person ids (synthetic or clerically reviewed data).

Labels: a column of true person ids beside ``record_id``. They come from a labels file (CSV or parquet with
``record_id`` and the named column) when one is given, because true ids are kept apart from the records
(the demo keeps its ground truth in such a file for tests); without a file, from a column of that name in the
records themselves (synthetic extracts only: a real extract has no true ids). Records without a label are
left out of the measure.

Pairs: a predicted link is right when both records have the same true id; recall counts every true pair,
including pairs the blocking rules never compared. Clusters: the pairs within the people the run would make
at the chosen threshold against the pairs within the true people.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from totalplace.datasets import people as people_files
from totalplace.engines.people import people as people_view
from totalplace.engines.people import runs
from totalplace.errors import LabelsUnavailableError

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place

THRESHOLDS: Final = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
FLOOR: Final = 0.01  # pairs scored below this are not links at any threshold shown


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and F1 at one threshold, with the counts they come from."""

    threshold: float
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """Share of predicted pairs that are true."""
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        """Share of true pairs that were predicted."""
        true = self.true_positives + self.false_negatives
        return self.true_positives / true if true else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "threshold": self.threshold,
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A linkage measured against labels: pairs and clusters at the threshold, and pairs by threshold."""

    purpose: str
    model_version: int
    labels: str
    records: int
    labelled: int
    pairs: Scores
    clusters: Scores
    by_threshold: tuple[Scores, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "purpose": self.purpose,
            "model_version": self.model_version,
            "labels": self.labels,
            "records": self.records,
            "labelled": self.labelled,
            "threshold": self.pairs.threshold,
            "pairs": self.pairs.to_dict(),
            "clusters": self.clusters.to_dict(),
            "by_threshold": [s.to_dict() for s in self.by_threshold],
        }


def _pairs_within(groups: Counter[Any]) -> int:
    return sum(n * (n - 1) // 2 for n in groups.values())


def pair_scores(links: pa.Table, truth: dict[str, str], threshold: float) -> Scores:
    """Pair precision and recall of the links at or above ``threshold`` against ``truth`` (record -> id)."""
    true_pairs = _pairs_within(Counter(truth.values()))
    tp = fp = 0
    for left, right, p in zip(*(links[c].to_pylist() for c in people_files.LINKS_SCHEMA.names), strict=True):
        if p is None or p < threshold or left not in truth or right not in truth:
            continue
        if truth[left] == truth[right]:
            tp += 1
        else:
            fp += 1
    return Scores(threshold, tp, fp, true_pairs - tp)


def cluster_scores(clusters: dict[str, Any], truth: dict[str, str], threshold: float) -> Scores:
    """Pairs within the predicted people against pairs within the true people (labelled records only)."""
    kept = [r for r in truth if r in clusters]
    predicted = _pairs_within(Counter(clusters[r] for r in kept))
    true = _pairs_within(Counter(truth[r] for r in kept))
    both = _pairs_within(Counter((clusters[r], truth[r]) for r in kept))
    return Scores(threshold, both, predicted - both, true - both)


def _truth(records: pa.Table, labels: str, labels_file: Path | None) -> dict[str, str]:
    if labels_file is not None:
        table = people_files.read_labels(labels_file, labels)
    elif labels in records.column_names:
        table = records.select(["record_id", labels])
    else:
        raise LabelsUnavailableError(
            f"the records have no column {labels!r} of true person ids",
            hint="give a labels file with record_id and that column",
        )
    return {
        str(r): str(t)
        for r, t in zip(table["record_id"].to_pylist(), table[labels].to_pylist(), strict=True)
        if t is not None and str(t) != ""
    }


def evaluate_linkage(
    place: Place,
    principal: Principal,
    purpose: str,
    *,
    labels: str,
    labels_file: Path | None = None,
    threshold: float = runs.DEFAULT_THRESHOLD,
    backend: str = "duckdb",
) -> Evaluation:
    """Score the model in force on the purpose's records against true ids (nothing is kept)."""
    principal.require("people.read", people_view.resource(purpose))
    principal.require("people.link", people_view.resource(purpose))  # it runs the model
    runs.check_threshold(threshold)
    version, model = runs._model(place, purpose)
    records = runs._records(place, principal, purpose)
    truth = _truth(records, labels, labels_file)
    linkage = runs._linkage()
    links = linkage.predict(records, model, threshold=FLOOR, backend=backend)
    clustered = linkage.cluster(records, links, threshold=threshold)
    clusters = dict(zip(clustered["record_id"].to_pylist(), clustered["cluster_id"].to_pylist(), strict=True))
    return Evaluation(
        purpose,
        version,
        labels,
        records.num_rows,
        len(truth),
        pair_scores(links, truth, threshold),
        cluster_scores(clusters, truth, threshold),
        tuple(pair_scores(links, truth, t) for t in sorted({*THRESHOLDS, threshold})),
    )
