"""Benchmark of importing a partner's extract of records about people.

Generates --records rows (valid NHS numbers, names, dates of birth, postcodes), imports them under a planning
agreement from an NHS partner with the national data opt-out applied (a list holding 90% of the numbers), and
reports seconds, records per second, records kept and excluded, and the peak memory of the process.

Prints one JSON line of figures.

    python benchmarks/records.py [--records 60000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from tests.engines.people.records_support import (
    HEADER,
    NHS_PARTNER,
    add_agreement,
    agreement_yaml,
    nhs_number,
    people_place,
)
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.records import import_records
from totalplace.engines.people.optout import import_optout
from totalplace.governance.roles import trusted

NAMES = ("Ada", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo")
POSTCODES = ("M1 1AE", "SW1A 1AA", "WA14 1PF", "L1 8JQ", "B33 8TH")


def extract(count: int, seed: int = 0) -> tuple[bytes, list[str]]:
    """An extract of ``count`` rows, and its NHS numbers."""
    rng = random.Random(seed)
    numbers = [nhs_number(100_000_000 + i * 7) for i in range(count)]
    lines = [HEADER]
    for i, number in enumerate(numbers):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30_000))
        lines.append(
            f"{number},{rng.choice(NAMES)},{rng.choice(NAMES)}son,{born:%d/%m/%Y},{rng.choice(POSTCODES)},"
            f"L{i},,,01/11/2026,urgent contact,F"
        )
    return ("\n".join(lines) + "\n").encode(), numbers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=60_000)
    args = parser.parse_args()
    lead = trusted("bench")
    with tempfile.TemporaryDirectory() as work:
        place = people_place(Path(work) / "place")
        add_agreement(place, agreement_yaml("plan", "planning"), "plan")
        data, numbers = extract(args.records)
        allowed = "".join(f"{n},\r\n" for n in numbers[: len(numbers) * 9 // 10]).encode()
        began = time.perf_counter()
        import_optout(place, lead, allowed, list_date=dt.date(2026, 12, 1), today=dt.date(2026, 12, 5))
        optout_seconds = time.perf_counter() - began
        limits = ImportLimits.from_settings()
        began = time.perf_counter()
        result = import_records(
            place, lead, data, partner=NHS_PARTNER, agreement="plan", source="nhs_urgent_contacts",
            today=dt.date(2026, 12, 5), limits=limits,
        )  # fmt: skip
        seconds = time.perf_counter() - began
        place.close()
    shown = result.to_dict()
    print(
        json.dumps(
            {
                "benchmark": "records",
                "records": args.records,
                "optout_list_seconds": round(optout_seconds, 2),
                "import_seconds": round(seconds, 2),
                "records_per_second": round(args.records / seconds),
                "kept": shown["records_kept"],
                "excluded": shown["opt_out"]["excluded"],
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


if __name__ == "__main__":
    main()
