"""Benchmark of the keyed, anchored audit chain.

(a) The cost of anchoring: --transactions write transactions of one audit record each, committed through
    Place.begin with the anchor written after each commit, against the same with anchoring switched off
    (the seal is an HMAC in both). Milliseconds per transaction.
(b) ``audit verify`` over a chain of --records records and one anchor line per --per-line records: seconds
    and records per second.
(c) The rewrites the issue names, each checked to be detected: an edit with the chain recomputed (plain
    SHA-256, and HMAC with the stolen key), every record deleted with the head reset, the tail truncated.

Prints one JSON line of figures.

    python benchmarks/audit.py [--transactions 300] [--records 50000] [--per-line 50]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest.mock import patch

from tests.conftest import make_place
from tests.store.audit_support import fill, hmac_with, plain, problems, replace_log, reseal, rows
from totalplace.governance import keys
from totalplace.store import audit


def anchoring(work: Path, transactions: int) -> dict[str, float]:
    """Milliseconds per one-record write transaction, anchored and not."""
    place = make_place(work / "anchoring")
    fill(place, 20)  # warm
    began = time.perf_counter()
    fill(place, transactions)
    anchored = (time.perf_counter() - began) / transactions * 1000
    with patch.object(audit, "anchor", lambda _pending: False):
        began = time.perf_counter()
        fill(place, transactions)
        bare = (time.perf_counter() - began) / transactions * 1000
    place.close()
    return {"ms_per_txn_anchored": round(anchored, 2), "ms_per_txn_unanchored": round(bare, 2)}


def verifying(work: Path, records: int, per_line: int) -> dict[str, Any]:
    """Seconds to verify a long chain and its anchor."""
    place = make_place(work / "verify")
    fill(place, records, per_transaction=per_line)
    began = time.perf_counter()
    with place.read() as conn:
        result = audit.verify(conn)
    seconds = time.perf_counter() - began
    assert result.ok, result.problems
    place.close()
    return {
        "records": result.records,
        "anchor_lines": result.anchor_lines,
        "seconds": round(seconds, 2),
        "records_per_second": round(result.records / seconds),
    }


def rewrites(work: Path) -> dict[str, bool]:
    """Each rewrite of issue 19 on a fresh place: True when ``audit verify`` detects it."""
    detected: dict[str, bool] = {}
    cases = ("recomputed_plain", "recomputed_stolen_key", "deleted_all_head_reset", "tail_truncated")
    for case in cases:
        place = make_place(work / case)
        fill(place, 10)
        records = rows(place)
        edited = [*records[:4], {**records[4], "actor": "mallory"}, *records[5:]]
        if case == "recomputed_plain":
            replace_log(place, reseal(edited, plain, alg="sha256"), head_alg="sha256")
        elif case == "recomputed_stolen_key":
            replace_log(place, reseal(edited, hmac_with(keys.load_key(place.dir, "audit-1"))))
        elif case == "deleted_all_head_reset":
            replace_log(place, [])
        else:
            replace_log(place, records[:-3])
        detected[case] = bool(problems(place))
        place.close()
    return detected


def main() -> None:
    """Run the three parts and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=300)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--per-line", type=int, default=50)
    args = parser.parse_args()
    os.environ.pop("TOTALPLACE_DATABASE_URL", None)
    figures: dict[str, Any] = {"benchmark": "audit", "store": "sqlite"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        figures["anchoring"] = anchoring(work, args.transactions)
        figures["verify"] = verifying(work, args.records, args.per_line)
        figures["rewrites_detected"] = rewrites(work)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
