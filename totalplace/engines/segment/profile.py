"""Cluster profiles: index scores against the place average and a description a person can read."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from totalplace.engines.segment.variables import VariableMatrix
from totalplace.store.segments import Distinctive, StoredProfile

DISTINCTIVE = 3  # variables named in a description, each way
Rows = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class ClusterProfile:
    """One cluster: its place in the hierarchy, size, index scores and description."""

    code: str
    level: int
    parent: str | None
    size: int
    share: float
    index: dict[str, float | None]
    above: tuple[Distinctive, ...] = ()
    below: tuple[Distinctive, ...] = ()
    description: str = ""
    name: str = ""

    def stored(self) -> StoredProfile:
        """The part of the profile a segmentation keeps with the cluster."""
        return StoredProfile(self.share, self.above, self.below, self.index)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "code": self.code,
            "level": self.level,
            "parent": self.parent,
            "name": self.name,
            "size": self.size,
            "share": self.share,
            "description": self.description,
            "above": [a.to_dict() for a in self.above],
            "below": [b.to_dict() for b in self.below],
            "index": self.index,
        }


def index_scores(matrix: VariableMatrix, rows: Rows) -> dict[str, float | None]:
    """100 x (the cluster's mean of each variable) / (the place's mean); None where the place's mean is 0."""
    place = matrix.values.mean(axis=0)
    cluster = matrix.values[rows].mean(axis=0)
    return {
        code: (None if p == 0 else round(float(100 * c / p), 1))
        for code, p, c in zip(matrix.codes, place, cluster, strict=True)
    }


def profile(matrix: VariableMatrix, code: str, level: int, parent: str | None, rows: Rows) -> ClusterProfile:
    """The profile of the areas at ``rows``, with the most distinctive variables each way."""
    scores = index_scores(matrix, rows)
    names = {v.code: v.name for v in matrix.variables}
    ranked = sorted(
        ((c, s) for c, s in scores.items() if s is not None and s > 0),
        key=lambda item: abs(math.log(item[1] / 100)),
        reverse=True,
    )
    above = tuple(Distinctive(c, names[c], s) for c, s in ranked if s > 100)[:DISTINCTIVE]
    below = tuple(Distinctive(c, names[c], s) for c, s in ranked if s < 100)[:DISTINCTIVE]
    return ClusterProfile(
        code,
        level,
        parent,
        len(rows),
        len(rows) / max(1, len(matrix.areas)),
        scores,
        above,
        below,
        _describe(above, below),
        _suggest_name(code, above),
    )


def empty_profile(code: str) -> ClusterProfile:
    """The profile of a published centroid no area of the place is nearest to."""
    return ClusterProfile(
        code,
        0,
        None,
        0,
        0.0,
        {},
        description="No area of the place is nearest to this centroid.",
        name=f"Cluster {code}",
    )


def _describe(above: tuple[Distinctive, ...], below: tuple[Distinctive, ...]) -> str:
    parts = []
    if above:
        parts.append("more " + ", ".join(f"{_lower(a.name)} ({a.index:.0f})" for a in above))
    if below:
        parts.append("fewer " + ", ".join(f"{_lower(b.name)} ({b.index:.0f})" for b in below))
    return ("Compared with the place: " + "; ".join(parts) + ".") if parts else "Close to the place average."


def _lower(name: str) -> str:
    """ "Social rented" reads "social rented" mid-sentence; "NS-SeC" and "EU" keep their capitals."""
    return name if len(name) > 1 and name[1].isupper() else name[:1].lower() + name[1:]


def _suggest_name(code: str, above: tuple[Distinctive, ...]) -> str:
    if not above:
        return f"Cluster {code}: close to average"
    return f"Cluster {code}: " + " and ".join(a.name for a in above[:2])
