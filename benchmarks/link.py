"""Benchmark of linking records into people (Splink over keyed match keys), in one run.

(a) Accuracy and time on the published files with known true people (../shared/data/record_linkage: FEBRL 1
    and 2, Splink's fake_20000 and historical 50k): our pipeline (match keys pseudonymised as the importer
    does, train without labels, predict, cluster at the chosen threshold) against the ``recordlinkage``
    package on the same files in the same run, given the same identifiers in the clear (sorted
    neighbourhood and blocking, Jaro-Winkler and Levenshtein comparisons, then its unsupervised ECM
    classifier and the documentation's "more than half the fields agree" rule). Precision, recall and F1
    of pairs and of clusters; seconds and peak memory of each side.
(b) Scale: --generated records (default 1,000,000; households, twins, typos, swapped dates, moves, missing
    NHS numbers; generated deterministically) deduplicated on this machine by our pipeline: seconds of
    each stage, peak memory, and accuracy against the generated truth.

recordlinkage needs pandas < 3, so it runs in its own environment, as a subprocess:

    uv venv /tmp/rl && uv pip install --python /tmp/rl/bin/python recordlinkage "pandas<3" pyarrow jellyfish
    python benchmarks/link.py --recordlinkage-python /tmp/rl/bin/python      (or TOTALPLACE_RL_PYTHON)

Without it the recordlinkage figures are left out (and say so). Each side runs in a fresh process, so each
peak memory is its own. Prints one JSON line.

    python benchmarks/link.py [--files febrl1,febrl2,fake_20000,historical_50k] [--generated 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from harness import run_child

from totalplace.engines.people import accuracy, linkage, linkage_files, linkage_generated

FOLDER = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "record_linkage"
RL_SCRIPT = Path(__file__).resolve().parent / "link_recordlinkage.py"


def _scores(records: pa.Table, links: pa.Table, threshold: float) -> dict[str, Any]:
    labels = accuracy.labels_of(records, "entity")
    clusters = linkage.cluster(records, links, threshold=threshold)
    pairs = accuracy.pair_scores(links, labels, threshold=threshold)
    return {
        "pairs": _rounded(pairs.to_dict()),
        "clusters": _rounded(accuracy.cluster_scores(clusters, labels).to_dict()),
    }


def _rounded(scores: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}


def _link(records: pa.Table) -> dict[str, Any]:
    """Train, predict and cluster, timing each stage; scores at the chosen threshold."""
    stages: dict[str, float] = {}
    started = time.perf_counter()
    model = linkage.train(records, seed=0)
    stages["train_seconds"] = time.perf_counter() - started
    links = linkage.predict(records, model, threshold=linkage.THRESHOLD)
    stages["predict_seconds"] = time.perf_counter() - started - stages["train_seconds"]
    clustered = time.perf_counter()
    linkage.cluster(records, links, threshold=linkage.THRESHOLD)
    stages["cluster_seconds"] = time.perf_counter() - clustered
    out: dict[str, Any] = {k: round(v, 2) for k, v in stages.items()}
    return out | {"links": links.num_rows, "accuracy": _scores(records, links, linkage.THRESHOLD)}


def ours(name: str) -> dict[str, Any]:
    """Our pipeline on one file (reading and pseudonymising it is not timed: the importer does it once)."""
    return _link(linkage_files.load(FOLDER, name))


def theirs(python: str, name: str) -> dict[str, Any]:
    """recordlinkage on one file, in its own interpreter; its pairs scored as ours are."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "pairs.parquet"
        started = time.perf_counter()
        # Our own script, in the interpreter the operator named.
        done = subprocess.run(
            [python, str(RL_SCRIPT), str(FOLDER / linkage_files.FILES[name]), name, str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        pairs = pq.read_table(out)
    records = linkage_files.load(FOLDER, name, key=None).select(["record_id", "entity"])
    result: dict[str, Any] = figures | {"wall_seconds_with_start": round(wall, 2)}
    for label in ("ecm", "rule"):
        chosen = pairs.filter(pa.compute.equal(pairs["classifier"], label))
        links = chosen.select(["record_id_l", "record_id_r"]).append_column(
            "match_probability", pa.array([1.0] * chosen.num_rows, pa.float64())
        )
        result[label] = _scores(records, links, 0.5)
    return result


def generate(count: int, path: str) -> int:
    """Write ``count`` generated records to ``path`` (not timed as linkage)."""
    records = linkage_generated.records(count, seed=0)
    pq.write_table(records, path)
    return int(records.num_rows)


def ours_generated(path: str) -> dict[str, Any]:
    """Our pipeline on the generated records."""
    return _link(pq.read_table(path))


def _files(names: list[str], python: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        seconds, peak, figures = run_child(f"ours-{name}", ours, name)
        entry: dict[str, Any] = {
            "totalplace": figures | {"seconds": round(seconds, 2), "peak_mb": round(peak)}
        }
        if python:
            entry["recordlinkage"] = theirs(python, name)
        out[name] = entry
    return out


def _generated(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "generated.parquet")
        gen_seconds, _, rows = run_child("generate", generate, count, path)
        seconds, peak, figures = run_child("ours-generated", ours_generated, path)
    scale: dict[str, Any] = figures
    out: dict[str, Any] = {
        "records": rows,
        "generate_seconds": round(gen_seconds, 1),
        "seconds": round(seconds, 1),
    }
    return out | {"peak_mb": round(peak)} | scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", default="febrl1,febrl2,fake_20000,historical_50k")
    parser.add_argument("--generated", type=int, default=1_000_000)
    parser.add_argument("--recordlinkage-python", default=os.environ.get("TOTALPLACE_RL_PYTHON"))
    args = parser.parse_args()
    names = [n for n in args.files.split(",") if n]
    figures: dict[str, Any] = {
        "benchmark": "link",
        "threshold": linkage.THRESHOLD,
        "python": sys.version.split()[0],
        "recordlinkage": "compared" if args.recordlinkage_python else "not run: give --recordlinkage-python",
        "files": _files(names, args.recordlinkage_python),
    }
    if args.generated:
        figures["generated"] = _generated(args.generated)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
