"""Comparing a classification with a published one's labels: how far the two agree on the same areas.

Three measures, each answering a different question:

- **agreement**: the share of areas in matched clusters, under the best one-to-one matching of our clusters to
  the published labels (the Hungarian method, scipy's ``linear_sum_assignment``, maximising the areas on the
  diagonal). Cluster codes are arbitrary, so "1" of ours may be "4" of theirs; this is the honest accuracy.
- **adjusted Rand index** (Hubert and Arabie 1985): agreement on which pairs of areas are together, corrected
  for chance (0 = chance, 1 = identical partitions); scikit-learn's ``adjusted_rand_score``.
- **normalised mutual information**: how much knowing one label tells about the other (0 to 1), arithmetic
  normalisation; scikit-learn's ``normalized_mutual_info_score``.

and the cross-table of our clusters (rows) by the published labels (columns).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from totalplace.datasets.census import AREA_HEADERS
from totalplace.datasets.schema import normalise_header
from totalplace.errors import LabelsInvalidError
from totalplace.store.segments import clusters_of, get_segmentation, members_of

if TYPE_CHECKING:
    from totalplace.place import Place

_MAX_CHARS = 64 * 1024 * 1024  # a label per output area of the UK (about 240,000) is a few megabytes


@dataclass(frozen=True, slots=True)
class Match:
    """One of our clusters matched to one published label, with the areas both put together."""

    cluster: str
    label: str
    areas: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"cluster": self.cluster, "label": self.label, "areas": self.areas}


@dataclass(frozen=True, slots=True)
class Comparison:
    """A classification (at one level) against published labels, over the areas both label."""

    segmentation: str
    level: int
    areas: int
    only_ours: int
    only_theirs: int
    agreement: float
    adjusted_rand: float
    normalised_mutual_information: float
    matches: tuple[Match, ...]
    clusters: tuple[str, ...]
    labels: tuple[str, ...]
    table: tuple[tuple[int, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the measures, the matching and the cross-table (rows ours, columns theirs)."""
        return {
            "segmentation": self.segmentation,
            "level": self.level,
            "areas": self.areas,
            "only_ours": self.only_ours,
            "only_theirs": self.only_theirs,
            "agreement": self.agreement,
            "adjusted_rand": self.adjusted_rand,
            "normalised_mutual_information": self.normalised_mutual_information,
            "matches": [m.to_dict() for m in self.matches],
            "cross_table": {
                "clusters": list(self.clusters),
                "labels": list(self.labels),
                "counts": [list(row) for row in self.table],
            },
        }


def parse_labels(data: bytes, name: str, column: str | None = None) -> dict[str, str]:
    """A labels CSV (area code, label): the area column by its usual names (else the first), the label
    column named by ``column`` (else the first other one). Refused (TP704) with the row named."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelsInvalidError(f"cannot read {name}: {exc}", hint="save it as UTF-8 CSV") from None
    if len(text) > _MAX_CHARS:
        raise LabelsInvalidError(f"{name} has {len(text):,} characters; a labels file has far fewer")
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise LabelsInvalidError(f"{name} needs a header and at least one area")
    normal = [normalise_header(h) for h in rows[0]]
    area = next((normal.index(normalise_header(h)) for h in AREA_HEADERS if normalise_header(h) in normal), 0)
    label = _label_column(rows[0], normal, area, column, name)
    out: dict[str, str] = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) <= max(area, label):
            raise LabelsInvalidError(f"{name} row {number} has {len(row)} cells; expected area code, label")
        code = row[area].strip()
        if code in out:
            raise LabelsInvalidError(f"{name} row {number}: {code} is labelled twice")
        out[code] = row[label].strip()
    return out


def _label_column(header: list[str], normal: list[str], area: int, column: str | None, name: str) -> int:
    if column is None:
        others = [i for i in range(len(header)) if i != area]
        if not others:
            raise LabelsInvalidError(f"{name} has no label column besides the area code")
        return others[0]
    if normalise_header(column) not in normal:
        raise LabelsInvalidError(f"{name} has no column {column!r}", hint=f"its columns: {', '.join(header)}")
    return normal.index(normalise_header(column))


def compare_labels(ours: dict[str, str], theirs: dict[str, str], *, name: str, level: int) -> Comparison:
    """Compare two labellings of areas over the areas both have."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    common = sorted(set(ours) & set(theirs))
    if not common:
        raise LabelsInvalidError(
            f"no area of {name} is in the labels file",
            hint="the labels file's area codes must be the classification's (the same census geography)",
        )
    a = [ours[c] for c in common]
    b = [theirs[c] for c in common]
    clusters, labels = sorted(set(a)), sorted(set(b))
    row, col = {c: i for i, c in enumerate(clusters)}, {c: j for j, c in enumerate(labels)}
    table = np.zeros((len(clusters), len(labels)), dtype=np.int64)
    np.add.at(table, ([row[x] for x in a], [col[y] for y in b]), 1)
    # The matching that puts the most areas on the diagonal (a cluster left over when the counts differ).
    rows, cols = linear_sum_assignment(table, maximize=True)
    matches = tuple(Match(clusters[i], labels[j], int(table[i, j])) for i, j in zip(rows, cols, strict=True))
    return Comparison(
        name,
        level,
        len(common),
        len(set(ours) - set(theirs)),
        len(set(theirs) - set(ours)),
        sum(m.areas for m in matches) / len(common),
        float(adjusted_rand_score(b, a)),
        float(normalized_mutual_info_score(b, a)),
        matches,
        tuple(clusters),
        tuple(labels),
        tuple(tuple(int(x) for x in r) for r in table),
    )


def labels_at(place: Place, name: str, level: int) -> dict[str, str]:
    """Each area's cluster code in segmentation ``name`` at ``level`` (0 the coarsest), walking up from
    the finest level the areas were kept at."""
    with place.read() as conn:
        seg = get_segmentation(conn, name)
        clusters = clusters_of(conn, seg.id)
        members = members_of(conn, seg.id)
    if not 0 <= level < len(seg.levels):
        raise LabelsInvalidError(f"{name} has levels 0 to {len(seg.levels) - 1}, not {level}")
    parent = {c.code: c.parent_code for c in clusters}
    depth = {c.code: c.level for c in clusters}
    out = {}
    for member in members:
        code: str | None = member.code
        while code is not None and depth.get(code, 0) > level:
            code = parent.get(code)
        out[member.area_code] = code or member.code
    return out


def compare_segmentation(
    place: Place, name: str, labels: Path, *, level: int = 0, column: str | None = None
) -> Comparison:
    """Segmentation ``name`` at ``level`` against a published classification's labels file."""
    try:
        data = labels.read_bytes()
    except OSError as exc:
        raise LabelsInvalidError(f"cannot read {labels.name}: {exc}") from None
    theirs = parse_labels(data, labels.name, column)
    return compare_labels(labels_at(place, name, level), theirs, name=name, level=level)
