"""Benchmark of indicator intervals and comparisons, in one run.

--rows (default 1,000,000) generated observations in the Fingertips layout (--indicators indicators, half
proportions and half crude rates, over ten years and as many small areas as it takes, with England's rows as
the benchmark) are imported and benchmarked against England by ``totalplace`` (value, 95% and 99.8% limits,
better/similar/worse, five-point trend), and by a plain pandas + scipy script computing the same limits and
comparisons from the same CSV. Reports each one's time and peak memory, their ratio, and whether the two
agree on every limit and flag. Ours includes importing the file into a place and writing the whole result as
`outcomes benchmark --json` prints it (streamed), which the pandas script does not do.

    python benchmarks/outcomes.py [--rows 1000000] [--indicators 20]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from harness import run_child
from scipy.stats import chi2, norm

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.outcomes.benchmark import benchmark
from totalplace.engines.outcomes.framework import save_framework
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

YEARS = list(range(2014, 2024))


def generate(path: Path, rows: int, indicators: int) -> list[str]:
    """Write the observations CSV; return the area codes (without England)."""
    areas = max(1, rows // (indicators * len(YEARS)))
    rng = np.random.default_rng(3)
    codes = [f"E01{i:06d}" for i in range(areas)]
    frames = []
    for k in range(indicators):
        proportion = k % 2 == 0
        base = rng.uniform(0.05, 0.6) if proportion else rng.uniform(0.0005, 0.01)
        for year in YEARS:
            denominator = rng.integers(200, 3000, size=areas)
            count = rng.binomial(denominator, base * rng.uniform(0.7, 1.3, size=areas))
            multiplier = 100 if proportion else 100_000
            frame = pd.DataFrame(
                {
                    "Indicator ID": str(1000 + k),
                    "Area Code": codes,
                    "Sex": "Persons",
                    "Age": "All ages",
                    "Time period": str(year),
                    "Count": count,
                    "Denominator": denominator,
                }
            )
            england = pd.DataFrame(
                {
                    "Indicator ID": [str(1000 + k)],
                    "Area Code": ["E92000001"],
                    "Sex": ["Persons"],
                    "Age": ["All ages"],
                    "Time period": [str(year)],
                    "Count": [int(count.sum())],
                    "Denominator": [int(denominator.sum())],
                }
            )
            both = pd.concat([frame, england])
            both["Value"] = both["Count"] / both["Denominator"] * multiplier
            frames.append(both)
    pd.concat(frames).to_csv(path, index=False)
    return codes


def framework(indicators: int) -> str:
    lines = [
        "name: bench",
        "title: Benchmark",
        "outcomes:",
        "  - name: all",
        "    title: All",
        "    indicators:",
    ]
    for k in range(indicators):
        kind = "proportion, multiplier: 100" if k % 2 == 0 else "crude_rate, multiplier: 100000"
        lines.append(f'      - {{id: "{1000 + k}", title: I{k}, polarity: high_is_good, value_type: {kind}}}')
    return "\n".join(lines) + "\n"


def ours(path: str, indicators: int, codes: list[str]) -> dict[str, Any]:
    """Import and benchmark with totalplace."""
    with tempfile.TemporaryDirectory() as tmp:
        place = Place.init(Path(tmp) / "place", name="Bench")
        import_file(place, Path(path), ImportRequest("observations", None), principal=OPERATOR)
        with place.begin() as conn:
            save_framework(conn, framework(indicators), principal=OPERATOR)
        started = time.perf_counter()
        result = benchmark(place, areas=codes)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        with (Path(tmp) / "benchmark.json").open("w", encoding="utf-8") as out:
            result.write_json(out.write)  # what `outcomes benchmark --json` prints, streamed
        json_seconds = time.perf_counter() - started
        flags = result.table.column("comparison95").to_pylist()
        place.close()
    return {
        "rows": result.table.num_rows,
        "benchmark_seconds": seconds,
        "json_seconds": json_seconds,
        "flags": {f: flags.count(f) for f in ("better", "similar", "worse")},
    }


def _limits(x: Any, n: Any, proportion: Any, multiplier: Any, level: float) -> tuple[Any, Any]:
    z = norm.ppf(0.5 + level / 2)
    p = x / n
    root = z * np.sqrt(z**2 + 4 * x * (1 - p))
    wilson = ((2 * x + z**2 - root) / (2 * (n + z**2)), (2 * x + z**2 + root) / (2 * (n + z**2)))
    safe = np.maximum(x, 1)
    byars = (
        safe * (1 - 1 / (9 * safe) - z / (3 * np.sqrt(safe))) ** 3,
        (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3,
    )
    exact = (
        np.where(x > 0, chi2.ppf((1 - level) / 2, 2 * safe) / 2, 0.0),
        chi2.ppf(1 - (1 - level) / 2, 2 * x + 2) / 2,
    )
    small = x < 10
    rate = [np.where(small, e, b) / n for e, b in zip(exact, byars, strict=True)]
    return tuple(np.where(proportion, w, r) * multiplier for w, r in zip(wilson, rate, strict=True))


def pandas_scipy(path: str) -> dict[str, Any]:
    """What an analyst would otherwise write: the same limits, flags and trends with pandas and scipy."""
    frame = pd.read_csv(path, dtype={"Indicator ID": str, "Time period": str})
    x, n = frame["Count"].to_numpy(float), frame["Denominator"].to_numpy(float)
    proportion = (frame["Indicator ID"].astype(int) % 2 == 0).to_numpy()
    multiplier = np.where(proportion, 100.0, 100_000.0)
    frame["lower95"], frame["upper95"] = _limits(x, n, proportion, multiplier, 0.95)
    frame["lower998"], frame["upper998"] = _limits(x, n, proportion, multiplier, 0.998)
    england = frame[frame["Area Code"] == "E92000001"][["Indicator ID", "Time period", "Value"]]
    merged = frame[frame["Area Code"] != "E92000001"].merge(
        england.rename(columns={"Value": "England"}), on=["Indicator ID", "Time period"]
    )
    merged["flag"] = np.where(
        merged["England"] < merged["lower95"],
        "better",
        np.where(merged["England"] > merged["upper95"], "worse", "similar"),
    )
    merged["year"] = merged["Time period"].astype(float)
    merged["w"] = 1 / ((merged["upper95"] - merged["lower95"]) / (2 * norm.ppf(0.975))) ** 2
    recent = merged[
        merged["year"] >= merged.groupby(["Indicator ID", "Area Code"])["year"].transform("max") - 4
    ]

    def slope(group: pd.DataFrame) -> float:
        w, t, v = group["w"].to_numpy(), group["year"].to_numpy(), group["Value"].to_numpy()
        tm, vm = np.average(t, weights=w), np.average(v, weights=w)
        return float((w * (t - tm) * (v - vm)).sum() / (w * (t - tm) ** 2).sum())

    slopes = {key: slope(group) for key, group in recent.groupby(["Indicator ID", "Area Code"])}
    return {
        "rows": len(merged),
        "flags": {f: int((merged["flag"] == f).sum()) for f in ("better", "similar", "worse")},
        "series": len(slopes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--indicators", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "observations.csv"
        codes = generate(path, args.rows, args.indicators)
        our_s, our_mb, our = run_child("ours", ours, str(path), args.indicators, codes)
        pd_s, pd_mb, theirs = run_child("pandas", pandas_scipy, str(path))
    figures = {
        "benchmark": "outcomes",
        "rows": our["rows"],
        "totalplace_seconds": round(our_s, 1),
        "totalplace_benchmark_seconds": round(our["benchmark_seconds"], 1),
        "totalplace_json_seconds": round(our["json_seconds"], 1),
        "totalplace_peak_mb": round(our_mb),
        "pandas_scipy_seconds": round(pd_s, 1),
        "pandas_scipy_peak_mb": round(pd_mb),
        "ratio_to_pandas": round(our_s / pd_s, 2),
        "same_rows": our["rows"] == theirs["rows"],
        "same_flags": our["flags"] == theirs["flags"],
        "flags": our["flags"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
