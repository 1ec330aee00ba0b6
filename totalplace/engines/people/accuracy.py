"""How right a linkage is, against records whose true entity is known: precision, recall and F1.

Two views, both counted over pairs of records: of PAIRS (each scored link at or above the threshold is a
claimed match; a true pair never scored, because no blocking rule brought it up, is a miss), and of CLUSTERS
(every pair of records inside one predicted cluster is a claimed match, so the links the clustering adds by
transitivity count, for better or worse). True pairs are every pair of records sharing a label. Counting
uses group sizes, never lists of pairs, so a million records cost no more than their rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from totalplace.engines.people.linkage import cluster
from totalplace.errors import AccuracyLabelsError

DEFAULT_THRESHOLDS: Final = (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 of claimed matching pairs against the true ones."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        """The share of claimed pairs that are true (1.0 when nothing is claimed)."""
        claimed = self.true_positives + self.false_positives
        return self.true_positives / claimed if claimed else 1.0

    @property
    def recall(self) -> float:
        """The share of true pairs claimed (1.0 when there are none)."""
        true = self.true_positives + self.false_negatives
        return self.true_positives / true if true else 1.0

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The counts with precision, recall and F1."""
        return asdict(self) | {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class ThresholdAccuracy:
    """Pair and cluster scores at one match-probability threshold."""

    threshold: float
    pairs: Scores
    clusters: Scores

    def to_dict(self) -> dict[str, Any]:
        """The threshold with both sets of scores."""
        return {
            "threshold": self.threshold,
            "pairs": self.pairs.to_dict(),
            "clusters": self.clusters.to_dict(),
        }


@dataclass(frozen=True)
class AccuracyCurve:
    """Scores at each threshold, lowest threshold first."""

    points: tuple[ThresholdAccuracy, ...]

    def at(self, threshold: float) -> ThresholdAccuracy:
        """The point at ``threshold`` (KeyError if it was not measured)."""
        for point in self.points:
            if point.threshold == threshold:
                return point
        raise KeyError(threshold)

    def best(self) -> ThresholdAccuracy:
        """The threshold with the highest cluster F1 (the lower threshold on a tie)."""
        return max(self.points, key=lambda p: (p.clusters.f1, -p.threshold))

    def to_dict(self) -> dict[str, Any]:
        """Every point."""
        return {"points": [p.to_dict() for p in self.points]}


def _pairs(sizes: pa.Array) -> int:
    return int(sum(n * (n - 1) // 2 for n in sizes.to_pylist()))


def labels_of(records: pa.Table, label_column: str) -> pa.Table:
    """``record_id`` and its true entity ``label`` (refused, TP944, if any record has none)."""
    if label_column not in records.column_names:
        raise AccuracyLabelsError(f"the records have no column {label_column!r} of true entities")
    labels = records.select(["record_id", label_column]).rename_columns(["record_id", "label"])
    if labels["label"].null_count:
        raise AccuracyLabelsError(f"{labels['label'].null_count} records have no {label_column!r}")
    return labels.cast(pa.schema([("record_id", pa.string()), ("label", pa.string())]))


def true_pair_count(labels: pa.Table) -> int:
    """How many pairs of records share a label."""
    return _pairs(labels.group_by("label").aggregate([("record_id", "count")])["record_id_count"])


def pair_scores(links: pa.Table, labels: pa.Table, *, threshold: float) -> Scores:
    """Scores of the links at or above ``threshold`` (``labels`` from :func:`labels_of`)."""
    kept = links.filter(pc.greater_equal(links["match_probability"], threshold))
    left = kept.join(labels.rename_columns(["record_id_l", "label_l"]), "record_id_l")
    both = left.join(labels.rename_columns(["record_id_r", "label_r"]), "record_id_r")
    true_positives = int(pc.sum(pc.equal(both["label_l"], both["label_r"]).cast(pa.int64())).as_py() or 0)
    return Scores(true_positives, kept.num_rows - true_positives, true_pair_count(labels) - true_positives)


def cluster_scores(clusters: pa.Table, labels: pa.Table) -> Scores:
    """Scores of every pair inside each predicted cluster (``clusters`` as :func:`linkage.cluster` gives)."""
    joined = clusters.select(["record_id", "cluster_id"]).join(labels, "record_id")
    claimed = _pairs(joined.group_by("cluster_id").aggregate([("record_id", "count")])["record_id_count"])
    true_positives = _pairs(
        joined.group_by(["cluster_id", "label"]).aggregate([("record_id", "count")])["record_id_count"]
    )
    return Scores(true_positives, claimed - true_positives, true_pair_count(labels) - true_positives)


def at_threshold(
    records: pa.Table, links: pa.Table, *, label_column: str, threshold: float
) -> ThresholdAccuracy:
    """Pair and cluster scores at one threshold (``links`` scored at or below it)."""
    labels = labels_of(records, label_column)
    clusters = cluster(records, links, threshold=threshold)
    return ThresholdAccuracy(
        threshold, pair_scores(links, labels, threshold=threshold), cluster_scores(clusters, labels)
    )


def by_threshold(
    records: pa.Table,
    links: pa.Table,
    *,
    label_column: str,
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
) -> AccuracyCurve:
    """Scores at each threshold; ``links`` must be predicted at or below the lowest of them."""
    labels_of(records, label_column)  # refuse before any clustering
    return AccuracyCurve(
        tuple(
            at_threshold(records, links, label_column=label_column, threshold=t) for t in sorted(thresholds)
        )
    )
