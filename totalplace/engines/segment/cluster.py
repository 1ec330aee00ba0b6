"""The clustering of the Output Area Classification: transform, standardise, k-means many times, then nest.

The 2011 and 2021 OAC (Gale et al. 2016; Wyszomierski et al. 2024) transform each percentage with the inverse
hyperbolic sine (to tame skew), scale it to 0-1 by its range, and run k-means from many random starts,
keeping the run with the lowest total within-cluster sum of squares; each cluster is then clustered again for
the next level. scikit-learn's KMeans does the k-means (``init="random"``, ``n_init`` = the starts).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from totalplace.errors import SegmentationError
from totalplace.money import largest_remainder

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SILHOUETTE_SAMPLE = 5_000  # silhouette is O(n^2): estimate it on a fixed random sample of areas


@dataclass(frozen=True)
class Ranges:
    """Per-variable minimum and maximum on the transformed (inverse hyperbolic sine) scale."""

    codes: list[str]
    low: FloatArray
    high: FloatArray

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-ready, by variable code."""
        return {c: [float(lo), float(hi)] for c, lo, hi in zip(self.codes, self.low, self.high, strict=True)}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> Ranges:
        """From :meth:`to_dict`'s shape."""
        codes = list(data)
        return cls(codes, np.array([data[c][0] for c in codes]), np.array([data[c][1] for c in codes]))


def transform(
    values: FloatArray, codes: list[str], ranges: Ranges | None = None
) -> tuple[FloatArray, Ranges]:
    """Inverse hyperbolic sine, then range standardisation (locally computed ranges unless given)."""
    ihs = np.arcsinh(values)
    if ranges is None:
        ranges = Ranges(codes, ihs.min(axis=0), ihs.max(axis=0))
    else:
        order = [ranges.codes.index(c) for c in codes]
        ranges = Ranges(codes, ranges.low[order], ranges.high[order])
    span = ranges.high - ranges.low
    # A variable with one value everywhere carries no information; it scales to 0 rather than dividing by 0.
    scaled = np.where(span > 0, (ihs - ranges.low) / np.where(span > 0, span, 1.0), 0.0)
    return scaled, ranges


@dataclass(frozen=True)
class KMeansRun:
    """The best of many k-means starts."""

    labels: IntArray
    centroids: FloatArray
    wcss: float
    starts: int


def kmeans(data: FloatArray, k: int, *, starts: int, seed: int) -> KMeansRun:
    """k-means from ``starts`` random starts; the lowest within-cluster sum of squares wins."""
    if k < 1 or k > len(data):
        raise SegmentationError(f"cannot make {k} clusters of {len(data)} areas")
    if k == 1:
        return KMeansRun(
            np.zeros(len(data), dtype=np.int64), data.mean(axis=0, keepdims=True), _wcss1(data), 1
        )
    distinct = len(np.unique(data, axis=0)) if len(data) <= 100_000 else len(data)
    if distinct < k:
        raise SegmentationError(
            f"the areas hold only {distinct} distinct sets of values; they cannot make {k} clusters",
            hint="ask for fewer clusters, or import more census tables",
        )
    from sklearn.cluster import KMeans  # loaded on first use: scikit-learn takes seconds to import

    model = KMeans(n_clusters=k, init="random", n_init=starts, random_state=seed, algorithm="lloyd")
    # Range-standardised values lie in 0-1, where single precision is ample; it halves time and memory.
    labels = model.fit_predict(data.astype(np.float32)).astype(np.int64)
    return KMeansRun(labels, model.cluster_centers_.astype(np.float64), float(model.inertia_), starts)


def _wcss1(data: FloatArray) -> float:
    return float(((data - data.mean(axis=0)) ** 2).sum())


@dataclass(frozen=True)
class Hierarchy:
    """Labels per level (level 0 the coarsest), codes like the OAC's ("2", "2b", "2b1"), and centroids."""

    levels: list[int]
    codes: list[list[str]] = field(default_factory=list)
    centroids: dict[str, FloatArray] = field(default_factory=dict)
    wcss: list[float] = field(default_factory=list)

    def parent(self, code: str) -> str | None:
        """The code of the cluster one level up (None at the top)."""
        for level in range(1, len(self.codes)):
            for parent, child in zip(self.codes[level - 1], self.codes[level], strict=True):
                if child == code:
                    return parent
        return None


def _suffix(level: int, index: int) -> str:
    if level == 0:
        return str(index + 1)
    if level % 2 == 1:
        return "abcdefghijklmnopqrstuvwxyz"[index] if index < 26 else f"_{index + 1}"
    return str(index + 1)


def build_hierarchy(data: FloatArray, levels: list[int], *, starts: int, seed: int) -> Hierarchy:
    """Cluster into ``levels[0]`` groups, then split each group so that level i has ``levels[i]`` in all.

    Each group is split into a number of sub-groups in proportion to its within-cluster sum of squares
    (the more varied a group, the more it is divided), at least one and no more than it has areas.
    """
    if not levels or any(b <= a for a, b in itertools.pairwise(levels)):
        raise SegmentationError("levels must rise, e.g. 4,18 or 8,21,52")
    if levels[-1] > len(data):
        raise SegmentationError(f"cannot make {levels[-1]} clusters of {len(data)} areas")
    top = kmeans(data, levels[0], starts=starts, seed=seed)
    hierarchy = Hierarchy(levels)
    codes = [_suffix(0, int(label)) for label in top.labels]
    hierarchy.codes.append(codes)
    hierarchy.wcss.append(top.wcss)
    for j in range(levels[0]):
        hierarchy.centroids[_suffix(0, j)] = top.centroids[j]
    for depth, total in enumerate(levels[1:], start=1):
        parents = hierarchy.codes[-1]
        groups = sorted(set(parents), key=_sort_key)
        members = {g: np.flatnonzero(np.array(parents) == g) for g in groups}
        spread = [_wcss1(data[members[g]]) for g in groups]
        counts = _split(total, spread, [len(members[g]) for g in groups])
        new = list(parents)
        wcss = 0.0
        for g, k in zip(groups, counts, strict=True):
            rows = members[g]
            run = kmeans(data[rows], k, starts=starts, seed=seed)
            wcss += run.wcss
            for j in range(k):
                hierarchy.centroids[g + _suffix(depth, j)] = run.centroids[j]
            for row, label in zip(rows, run.labels, strict=True):
                new[row] = g + _suffix(depth, int(label))
        hierarchy.codes.append(new)
        hierarchy.wcss.append(wcss)
    return hierarchy


def _sort_key(code: str) -> tuple[int, str]:
    head = "".join(ch for ch in code if ch.isdigit())[:3]
    return (int(head or 0), code)


def _split(total: int, spread: list[float], sizes: list[int]) -> list[int]:
    """``total`` clusters shared among groups by largest remainder of spread; each gets 1 to its size."""
    if total < len(spread):
        raise SegmentationError(
            f"each level must have at least as many clusters as the one above ({len(spread)})"
        )
    base = [1] * len(spread)
    weights = [Fraction(max(s, 1e-12)) for s in spread]
    extra = largest_remainder(total - len(spread), weights)
    counts = [min(size, b + e) for b, e, size in zip(base, extra, sizes, strict=True)]
    short = total - sum(counts)
    for i in sorted(range(len(counts)), key=lambda i: -spread[i]):
        give = min(short, sizes[i] - counts[i])
        counts[i] += give
        short -= give
    return counts


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """How well k clusters fit: total within-cluster sum of squares, mean silhouette (on a sample; None
    when it cannot be computed), cluster sizes largest first, and the smallest cluster's share of areas."""

    k: int
    wcss: float
    silhouette: float | None
    sizes: tuple[int, ...]
    smallest_share: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "k": self.k,
            "wcss": self.wcss,
            "silhouette": self.silhouette,
            "sizes": list(self.sizes),
            "smallest_share": self.smallest_share,
        }


def diagnostics(data: FloatArray, ks: list[int], *, starts: int, seed: int) -> list[Diagnostic]:
    """For each k: total within-cluster sum of squares, mean silhouette (on a sample) and cluster sizes."""
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    sample = rng.choice(len(data), size=min(len(data), SILHOUETTE_SAMPLE), replace=False)
    out = []
    for k in ks:
        run = kmeans(data, k, starts=starts, seed=seed)
        sizes = np.bincount(run.labels, minlength=k)
        labels = run.labels[sample]
        silhouette = (
            float(silhouette_score(data[sample], labels))
            if 1 < len(set(labels.tolist())) < len(sample)
            else None
        )
        out.append(
            Diagnostic(
                k,
                run.wcss,
                silhouette,
                tuple(sorted((int(s) for s in sizes), reverse=True)),
                float(sizes.min() / len(data)),
            )
        )
    return out
