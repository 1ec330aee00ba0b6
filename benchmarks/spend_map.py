"""Benchmark of the place spending map against a pandas script doing the same work, in the same run.

(a) Trafford Council's 2024-25 supplier spend file as published: import (read the ZIP, exact pence, dates,
    validation), classify with the default rules, and sum by theme. The pandas script reads the same ZIP,
    parses exact pence (vectorised: split at the point, no per-row Decimal) and dates, applies the same
    rules in the same order with vectorised string tests (np.select, first match wins), and groups.
    Both must give the same pence per theme, or the run fails.
(b) Generated lines at scale (--rows, default 1,000,000): throughput and peak memory of each, measured in
    separate child processes so one's memory does not count against the other.
(c) The same map on Spark local mode (--spark): identical totals.

Prints one JSON line of figures.

    python benchmarks/spend_map.py [--rows 1000000] [--spark] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from harness import run_child

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.spendmap import build_spend_map, load_rules
from totalplace.engines.spendmap.rules import RuleSet
from totalplace.governance.roles import OPERATOR
from totalplace.money import MAX_ROWS_FOR_64_BITS
from totalplace.place import Place
from totalplace.store.partners import add_partner

TRAFFORD = "la_finance/trafford-supplier-spend-2024-25.zip"
COLUMNS = {
    "OrganisationalUnit": "cost_centre",
    "Purpose": "description",
    "ProclassLabel": "proclass_label",
    "ProclassCode": "proclass_code",
    "BeneficiaryName": "supplier",
}


def vectorised_pence(amounts: pd.Series) -> pd.Series:
    """Exact pence the way an analyst writes it: sign, pounds and up to two decimals as integers, no floats
    and no per-row Decimal."""
    parts = amounts.str.replace(r"[£,\s]", "", regex=True).str.extract(r"^(-?)(\d+)(?:\.(\d{1,2}))?$")
    if parts[1].isna().any():
        raise ValueError("an amount is not money")
    pence = parts[1].astype("int64") * 100 + parts[2].fillna("0").str.ljust(2, "0").astype("int64")
    return pence.where(parts[0] != "-", -pence)


def pandas_map(path: Path, ruleset: RuleSet) -> dict[str | None, int]:
    """What an analyst would write in pandas: read, exact pence, dates, classify by the rules, group."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["amount_pence"] = vectorised_pence(frame["Amount"])
    frame["date"] = pd.to_datetime(frame["PaymentDate"], format="%Y-%m-%d", errors="raise")
    fields = frame.rename(columns=COLUMNS)
    masks = []
    for rule in ruleset.rules:
        mask = np.ones(len(fields), dtype=bool)
        for condition in rule.conditions:
            if condition.field not in fields:
                mask &= False
                continue
            values = fields[condition.field].fillna("")
            if condition.bounds is not None:
                numbers = pd.to_numeric(values, errors="coerce")
                mask &= numbers.between(*condition.bounds).to_numpy()
            else:
                pattern = condition.pattern.pattern if condition.pattern else ""
                mask &= values.str.contains(pattern, case=False, regex=True).to_numpy()
        masks.append(mask)
    frame["theme"] = np.select(masks, [r.theme for r in ruleset.rules], default="")
    sums = frame.groupby("theme")["amount_pence"].sum()
    return {(str(k) or None): int(v) for k, v in sums.items()}


def ours_map(path: Path, work: Path, ruleset: RuleSet) -> dict[str | None, int]:
    """totalplace: import the file into a place, then build the map."""
    place = Place.init(work / "place", name="Bench")
    with place.begin() as conn:
        add_partner(conn, name="Council", kind="local_authority", code=None, actor="bench")
    import_file(place, path, ImportRequest("spend", "Council"), principal=OPERATOR)
    with place.analytics() as engine:
        spend = build_spend_map(engine, ruleset)
    return {r.theme: r.pence for r in spend.by_theme}


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A Trafford-shaped file of ``rows`` lines with realistic cost centres, purposes and Proclass labels."""
    rng = random.Random(seed)
    centres = [
        "LEARN DIS 18-64 LT",
        "PHYS SUPP 85+ LT",
        "CHILDREN'S HOMES",
        "Libraries",
        "NA",
        "Waste Mgt",
        "ICT Services",
        "3 & 4 Yr Old Funding",
        "Mystery",
    ]
    purposes = ["EXT RES CARE FEES", "PAYE Tax", "BOOKS", "SUNDRY", "DIRECT PAYMENTS", "SOFTWARE"]
    labels = [
        ("321311", "SC : OP Residential Home"),
        ("270000", "ICT : Software"),
        ("NA", "NA"),
        ("180000", "ENVIRONMENT : Waste"),
        ("170000", "EDUCATION : Supplies"),
    ]
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "OrganisationalUnit,BeneficiaryName,PaymentDate,Amount,Purpose,ProclassLabel,ProclassCode\n"
        )
        for n in range(rows):
            code, label = rng.choice(labels)
            pence = rng.randrange(-20_000, 2_000_000)
            amount = f"{pence / 100:.2f}" if pence >= 0 else f"-{-pence / 100:.2f}"
            out.write(
                f"{rng.choice(centres)},Supplier {n % 7000},2024-{1 + n % 12:02d}-{1 + n % 28:02d},"
                f"{amount},{rng.choice(purposes)},{label},{code}\n"
            )


def spark_check(work: Path) -> dict[str, Any]:
    """The map of the place built in (a), on Spark local mode: the same pence per theme."""
    with Place.open(work / "place") as place:
        ruleset = load_rules()
        with place.analytics("duckdb") as duck:
            expected = {r.theme: r.pence for r in build_spend_map(duck, ruleset).by_theme}
        started = time.perf_counter()
        with place.analytics("spark") as spark:
            got = {r.theme: r.pence for r in build_spend_map(spark, ruleset).by_theme}
    return {"spark_seconds": round(time.perf_counter() - started, 2), "spark_identical": got == expected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
    parser.add_argument("--spark", action="store_true")
    args = parser.parse_args()
    # A file of millions of lines is past the default import limits, which exist for uploads; raise them here
    # (rows only as far as a batch's total is sure to fit 64 bits, the most the setting accepts).
    os.environ.setdefault("TOTALPLACE_MAX_IMPORT_BYTES", str(8 << 30))
    os.environ.setdefault("TOTALPLACE_MAX_IMPORT_ROWS", str(MAX_ROWS_FOR_64_BITS))
    ruleset = load_rules()
    figures: dict[str, Any] = {"benchmark": "spend_map"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        trafford = (args.data / TRAFFORD).resolve()
        import zipfile

        with zipfile.ZipFile(trafford) as archive:
            csv_path = work / "trafford.csv"
            csv_path.write_bytes(archive.read(archive.namelist()[0]))
        ours_s, ours_mb, ours = run_child("ours", ours_map, trafford, work / "a", ruleset)
        pandas_s, pandas_mb, theirs = run_child("pandas", pandas_map, csv_path, ruleset)
        if ours != theirs:
            raise SystemExit(f"the maps disagree: ours {ours} pandas {theirs}")
        figures["trafford"] = {
            "rows": 210_068,
            "totalplace_seconds": round(ours_s, 2),
            "pandas_seconds": round(pandas_s, 2),
            "ratio_to_pandas": round(ours_s / pandas_s, 2),
            "totalplace_peak_mb": round(ours_mb),
            "pandas_peak_mb": round(pandas_mb),
            "identical_pence_per_theme": True,
        }
        generated = work / "generated.csv"
        generate(generated, args.rows)
        ours_s, ours_mb, ours = run_child("ours", ours_map, generated, work / "b", ruleset)
        pandas_s, pandas_mb, theirs = run_child("pandas", pandas_map, generated, ruleset)
        figures["generated"] = {
            "rows": args.rows,
            "totalplace_lines_per_second": round(args.rows / ours_s),
            "pandas_lines_per_second": round(args.rows / pandas_s),
            "speedup_vs_pandas": round(pandas_s / ours_s, 2),
            "totalplace_peak_mb": round(ours_mb),
            "pandas_peak_mb": round(pandas_mb),
            "identical_pence_per_theme": ours == theirs,
        }
        if args.spark:
            figures["spark"] = spark_check(work / "a")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
