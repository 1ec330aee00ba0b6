"""Benchmark of the import framework against a pandas script doing the same work.

Both read the same payments CSV (UK dates, "£1,234.50" amounts, brackets for credits, a title above the
header), turn amounts into exact integer pence and dates into dates, refuse the file if any row is bad, and
write parquet. totalplace also hashes the file, records provenance in the catalog and audit chain, and
fsyncs. Prints one JSON line of figures.

    python benchmarks/imports.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.partners import add_partner


def make_file(path: Path, rows: int, seed: int = 1) -> int:
    """Write a payments CSV; return its total in pence."""
    rng = random.Random(seed)
    total = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("Council payments over £500\n\nPayment Date,Supplier Name,Amount,Description\n")
        for n in range(rows):
            pence = rng.randrange(-50_000, 5_000_000)
            total += pence
            pounds = f"{abs(pence) / 100:,.2f}" if pence % 100 else f"{abs(pence) // 100:,}.00"
            amount = f'"({pounds})"' if pence < 0 else f'"£{pounds}"'
            out.write(f"{1 + n % 28:02d}/{1 + n % 12:02d}/2024,Supplier {n % 5000},{amount},Services\n")
    return total


def pandas_import(path: Path, out: Path) -> int:
    """What an analyst would write: read, parse exact pence and dates, refuse bad rows, write parquet."""
    frame = pd.read_csv(path, skiprows=2, dtype=str, keep_default_na=False)
    text = frame["Amount"].str.replace(r"[£,\s]", "", regex=True)
    negative = text.str.startswith("(")
    text = text.str.strip("()")
    pence = text.map(lambda v: int(Decimal(v) * 100))
    frame["amount_pence"] = pence.where(~negative, -pence)
    frame["date"] = pd.to_datetime(frame["Payment Date"], format="%d/%m/%Y", errors="raise").dt.date
    if frame["Supplier Name"].eq("").any():
        raise ValueError("empty supplier")
    frame[["date", "Supplier Name", "amount_pence", "Description"]].to_parquet(out)
    return int(frame["amount_pence"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "payments.csv"
        expected = make_file(source, args.rows)
        started = time.perf_counter()
        pandas_total = pandas_import(source, work / "pandas.parquet")
        pandas_seconds = time.perf_counter() - started
        place = Place.init(work / "place", name="Bench")
        with place.begin() as conn:
            add_partner(conn, name="Council", kind="local_authority", code=None, actor="bench")
        started = time.perf_counter()
        result = import_file(place, source, ImportRequest("spend", "Council"), principal=OPERATOR)
        ours_seconds = time.perf_counter() - started
        if result.batch.totals["amount_pence"] != expected or pandas_total != expected:
            raise SystemExit("totals disagree: the benchmark is not comparing like with like")
        print(
            json.dumps(
                {
                    "benchmark": "imports",
                    "rows": args.rows,
                    "bytes": source.stat().st_size,
                    "totalplace_seconds": round(ours_seconds, 3),
                    "pandas_seconds": round(pandas_seconds, 3),
                    "totalplace_rows_per_second": round(args.rows / ours_seconds),
                    "ratio_to_pandas": round(ours_seconds / pandas_seconds, 2),
                    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                }
            )
        )


if __name__ == "__main__":
    main()
