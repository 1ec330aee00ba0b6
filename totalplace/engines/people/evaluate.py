"""How good a purpose's linkage is, measured against true person ids (synthetic or clerically reviewed data).

Labels: a column of true person ids beside ``record_id``. They come from a labels file (CSV or parquet with
``record_id`` and the named column) when one is given, because true ids are kept apart from the records
(the demo keeps its ground truth in such a file for tests); without a file, from a column of that name in the
records themselves (synthetic extracts only: a real extract has no true ids). Every record needs a label
(TP944 otherwise): a record left out would change the people the others are clustered into.

The scores are the linkage core's (:mod:`.accuracy`): pairs (a link at or above the threshold is right when
both records have the same true id; recall counts pairs blocking never compared) and clusters (every pair
inside one person made at the threshold), at the chosen threshold and at each of a range of thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from totalplace.datasets import people as people_files
from totalplace.engines.people import people as people_view
from totalplace.engines.people import runs
from totalplace.engines.people.accuracy import (
    DEFAULT_THRESHOLDS,
    AccuracyCurve,
    ThresholdAccuracy,
    by_threshold,
)
from totalplace.errors import LabelsUnavailableError

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place

FLOOR: Final = 0.01  # pairs scored below this are not links at any threshold shown


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A linkage measured against labels: pairs and clusters at the threshold, and at each threshold."""

    purpose: str
    model_version: int
    labels: str
    records: int
    labelled: int
    at: ThresholdAccuracy
    curve: AccuracyCurve

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``pairs`` and ``clusters`` at ``threshold``, and ``by_threshold``."""
        return {
            "purpose": self.purpose,
            "model_version": self.model_version,
            "labels": self.labels,
            "records": self.records,
            "labelled": self.labelled,
            "threshold": self.at.threshold,
            "pairs": self.at.pairs.to_dict(),
            "clusters": self.at.clusters.to_dict(),
            "by_threshold": [p.to_dict() for p in self.curve.points],
        }


def _labelled(records: pa.Table, labels: str, labels_file: Path | None) -> pa.Table:
    """The records with their true id in a column ``labels`` (from the file, else their own column)."""
    if labels_file is None:
        if labels not in records.column_names:
            raise LabelsUnavailableError(
                f"the records have no column {labels!r} of true person ids",
                hint="give a labels file with record_id and that column",
            )
        return records
    table = people_files.read_labels(labels_file, labels)
    kept = records.drop_columns([labels]) if labels in records.column_names else records
    truth = dict(zip(table["record_id"].to_pylist(), table[labels].to_pylist(), strict=True))
    column = pa.array([truth.get(r) for r in kept["record_id"].to_pylist()], pa.string())
    return kept.append_column(labels, column)


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
    records = _labelled(runs._records(place, principal, purpose), labels, labels_file)
    links = runs._linkage().predict(records, model, threshold=FLOOR, backend=backend)
    thresholds = tuple(sorted({*DEFAULT_THRESHOLDS, threshold}))
    curve = by_threshold(records, links, label_column=labels, thresholds=thresholds)
    labelled = records.num_rows - records[labels].null_count
    return Evaluation(purpose, version, labels, records.num_rows, labelled, curve.at(threshold), curve)
