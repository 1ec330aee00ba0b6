"""Benchmark of segmentation and the estate's distances, in one run.

(a) The segmentation pipeline at the size of the UK: --areas (default 240,000) generated output areas x 60
    variables (percentages drawn around --profiles hidden neighbourhood profiles), through the OAC-style
    pipeline (inverse hyperbolic sine, range standardisation, k-means with --starts random starts per level,
    levels --levels), against scikit-learn's KMeans with its default settings (k-means++, one start) for the
    top level on the same transformed data. Time, peak memory and the top level's within-cluster sum of
    squares of each.
(b) Nearest-service distances: --centres area centres x --sites sites (British National Grid metres) by the
    estate engine's k-d tree against a plain numpy brute force (chunked distance matrix and argmin), with the
    distances checked equal.

Prints one JSON line of figures.

    python benchmarks/segment.py [--areas 240000] [--starts 100] [--levels 8,21]
                                 [--centres 35000] [--sites 10000]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np
from harness import run_child
from sklearn.cluster import KMeans

from totalplace.engines.estate.access import nearest
from totalplace.engines.segment.cluster import build_hierarchy, transform

VARIABLES = 60


def generated_areas(areas: int, profiles: int, seed: int) -> np.ndarray[Any, Any]:
    """Percentages for ``areas`` areas: each a noisy draw around one of ``profiles`` hidden profiles."""
    rng = np.random.default_rng(seed)
    centres = rng.gamma(1.5, 8.0, size=(profiles, VARIABLES))
    kinds = rng.integers(0, profiles, size=areas)
    values = centres[kinds] * rng.lognormal(0.0, 0.35, size=(areas, VARIABLES))
    return np.clip(values, 0.0, 100.0)


def ours(areas: int, profiles: int, levels: list[int], starts: int) -> dict[str, Any]:
    """The full pipeline: transform, then the nested many-start k-means."""
    values = generated_areas(areas, profiles, seed=1)
    data, _ = transform(values, [f"v{i:02d}" for i in range(1, VARIABLES + 1)])
    hierarchy = build_hierarchy(data, levels, starts=starts, seed=1)
    return {"wcss": hierarchy.wcss, "clusters": [len(set(codes)) for codes in hierarchy.codes]}


def sklearn_default(areas: int, profiles: int, k: int) -> dict[str, Any]:
    """What a user would otherwise run: scikit-learn's KMeans with its defaults, on the same data."""
    values = generated_areas(areas, profiles, seed=1)
    data, _ = transform(values, [f"v{i:02d}" for i in range(1, VARIABLES + 1)])
    model = KMeans(n_clusters=k, random_state=1).fit(data)
    return {"wcss": float(model.inertia_)}


def _points(centres: int, sites: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    rng = np.random.default_rng(7)
    # England's extent in grid metres, roughly: 100-650 km east, 0-650 km north.
    low, high = (100_000, 0), (650_000, 650_000)
    return rng.uniform(low, high, size=(centres, 2)), rng.uniform(low, high, size=(sites, 2))


def tree_distances(centres: int, sites: int) -> np.ndarray[Any, Any]:
    """The estate engine's nearest-site distances."""
    area_xy, site_xy = _points(centres, sites)
    distance, _ = nearest(site_xy, area_xy)
    return np.asarray(distance)


def brute_force_distances(centres: int, sites: int) -> np.ndarray[Any, Any]:
    """Plain numpy: every area against every site, a chunk of areas at a time."""
    area_xy, site_xy = _points(centres, sites)
    out = np.empty(len(area_xy))
    for start in range(0, len(area_xy), 1000):
        chunk = area_xy[start : start + 1000]
        squared = ((chunk[:, None, :] - site_xy[None, :, :]) ** 2).sum(axis=2)
        out[start : start + 1000] = np.sqrt(squared.min(axis=1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--areas", type=int, default=240_000)
    parser.add_argument("--profiles", type=int, default=40)
    parser.add_argument("--starts", type=int, default=100)
    parser.add_argument("--levels", default="8,21")
    parser.add_argument("--centres", type=int, default=35_000)
    parser.add_argument("--sites", type=int, default=10_000)
    args = parser.parse_args()
    levels = [int(v) for v in args.levels.split(",")]

    our_s, our_mb, our_result = run_child("ours", ours, args.areas, args.profiles, levels, args.starts)
    sk_s, sk_mb, sk_result = run_child("sklearn", sklearn_default, args.areas, args.profiles, levels[0])
    tree_s, tree_mb, tree = run_child("tree", tree_distances, args.centres, args.sites)
    brute_s, brute_mb, brute = run_child("brute", brute_force_distances, args.centres, args.sites)
    figures = {
        "benchmark": "segment",
        "segmentation": {
            "areas": args.areas,
            "variables": VARIABLES,
            "levels": levels,
            "starts_per_kmeans": args.starts,
            "totalplace_seconds": round(our_s, 1),
            "totalplace_peak_mb": round(our_mb),
            "totalplace_top_level_wcss": round(our_result["wcss"][0], 1),
            "clusters": our_result["clusters"],
            "sklearn_default_seconds": round(sk_s, 1),
            "sklearn_default_peak_mb": round(sk_mb),
            "sklearn_default_wcss": round(sk_result["wcss"], 1),
            "wcss_ratio_to_sklearn_default": round(our_result["wcss"][0] / sk_result["wcss"], 4),
            "time_ratio_to_sklearn_default": round(our_s / sk_s, 1),
        },
        "nearest_service": {
            "centres": args.centres,
            "sites": args.sites,
            "totalplace_seconds": round(tree_s, 2),
            "totalplace_peak_mb": round(tree_mb),
            "numpy_brute_force_seconds": round(brute_s, 2),
            "numpy_brute_force_peak_mb": round(brute_mb),
            "speedup": round(brute_s / tree_s, 1),
            "identical_distances": bool(np.allclose(tree, brute, atol=1e-6)),
        },
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
