"""Benchmark of the pooled-fund ledger, in one run.

(a) Posting throughput on SQLite (and PostgreSQL with --postgres URL): balanced two-entry transactions posted
    through the ledger (idempotency check, budget guard, stored balances, audit record, all in the same
    database transaction) against a bare SQLAlchemy Core insert of the same transaction and entry rows, in
    the same submission sizes. The ratio is ours over bare; the aim is at least 0.5.
(b) A settlement of --partners partners x --schemes schemes over --postings ledger postings (entries):
    its time and the process's peak memory, with the ledger's identities checked afterwards.

Prints one JSON line of figures.

    python benchmarks/ledger.py [--transactions 20000] [--batch 500] [--postgres URL]
                                [--partners 50 --schemes 500 --postings 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, text

from totalplace.engines.pool.fund import create_fund, open_fund
from totalplace.engines.pool.movements import Movement, post_movements, to_request
from totalplace.engines.pool.settle import settle
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store.partners import add_partner
from totalplace.store.schema import ledger_entries, ledger_txns


def _agreement(name: str, partners: list[str], schemes: int) -> str:
    return yaml.safe_dump(
        {
            "name": name,
            "title": "Benchmark pool",
            "partners": partners,
            "host": partners[0],
            "fund_manager": "Fund manager",
            "start_year": "2025-26",
            "term_years": 2,
            "schemes": [
                {"name": f"s{i}", "owner": partners[i % len(partners)], "budget": "1,000,000,000.00"}
                for i in range(schemes)
            ],
            "risk_share": {
                "overspend": [
                    {"step": "causer_pays"},
                    {"step": "band", "percent": "2", "share": {"rule": "equal"}},
                    {"step": "rest"},
                ],
                "caps": {partners[-1]: "1,000.00"},
            },
        }
    )


def _place(directory: Path, partners: list[str]) -> Place:
    place = Place.init(directory, name="Benchmark")
    with place.begin() as conn:
        for p in partners:
            add_partner(conn, name=p, kind="other", code=None, actor="bench")
    return place


def _movements(rng: random.Random, n: int, partners: list[str], schemes: int, prefix: str) -> list[Movement]:
    start = date(2025, 4, 1)
    out = []
    for i in range(n):
        day = start + timedelta(days=rng.randrange(365))
        if rng.random() < 0.4:
            out.append(
                Movement(f"{prefix}{i}", "contribution", day, rng.randrange(1, 10**7), rng.choice(partners))
            )
        else:
            out.append(
                Movement(
                    f"{prefix}{i}", "spend", day, rng.randrange(1, 10**7), scheme=f"s{rng.randrange(schemes)}"
                )
            )
    return out


def throughput(url: str | None, work: Path, n: int, batch: int) -> dict[str, Any]:
    """Transactions per second through the ledger and through a bare insert of the same rows."""
    if url:
        os.environ["TOTALPLACE_DATABASE_URL"] = url
    else:
        os.environ.pop("TOTALPLACE_DATABASE_URL", None)
    partners = ["Council", "NHS", "Police"]
    place = _place(work, partners)
    fund = create_fund(place, _agreement("bench", partners, 20), "bench.yaml", principal=OPERATOR)
    moves = _movements(random.Random(1), n, partners, 20, "m")
    began = time.perf_counter()
    for i in range(0, n, batch):
        post_movements(place, fund.name, moves[i : i + batch], principal=OPERATOR)
    ours = time.perf_counter() - began
    # The bare baseline: the same transaction and entry rows, inserted with SQLAlchemy Core executemany.
    with place.read() as conn:
        requests = [
            to_request(conn, open_fund(conn, fund.name), m)
            for m in _movements(random.Random(1), n, partners, 20, "b")
        ]
    engine = place.engine
    began = time.perf_counter()
    next_id = n * 10
    for i in range(0, n, batch):
        chunk = requests[i : i + batch]
        with engine.begin() as conn:
            ids = list(range(next_id, next_id + len(chunk)))
            next_id += len(chunk)
            conn.execute(
                ledger_txns.insert(),
                [
                    {
                        "id": t,
                        "pool_id": fund.id,
                        "idem_key": r.key,
                        "request_sha256": r.fingerprint,
                        "kind": r.kind,
                        "effective_date": r.effective_date.isoformat(),
                        "year": r.year,
                        "memo": r.memo,
                        "reverses_id": None,
                        "posted_at": "now",
                        "posted_by": "bench",
                    }
                    for t, r in zip(ids, chunk, strict=True)
                ],
            )
            conn.execute(
                ledger_entries.insert(),
                [
                    {
                        "txn_id": t,
                        "pool_id": fund.id,
                        "account": e.account,
                        "partner": e.partner,
                        "scheme": e.scheme,
                        "amount": e.amount,
                    }
                    for t, r in zip(ids, chunk, strict=True)
                    for e in r.entries
                ],
            )
    bare = time.perf_counter() - began
    place.close()
    return {
        "store": "postgresql" if url else "sqlite",
        "transactions": n,
        "per_submission": batch,
        "totalplace_txns_per_second": round(n / ours),
        "bare_insert_txns_per_second": round(n / bare),
        "ratio_to_bare": round(bare / ours, 2),
    }


def settlement(work: Path, n_partners: int, n_schemes: int, postings: int) -> dict[str, Any]:
    """Time and peak memory of settling a large pool."""
    os.environ.pop("TOTALPLACE_DATABASE_URL", None)
    partners = [f"Partner {i:02d}" for i in range(n_partners)]
    place = _place(work, partners)
    fund = create_fund(place, _agreement("big", partners, n_schemes), "big.yaml", principal=OPERATOR)
    moves = _movements(random.Random(2), postings // 2, partners, n_schemes, "p")  # two entries each
    began = time.perf_counter()
    for i in range(0, len(moves), 5_000):
        post_movements(place, fund.name, moves[i : i + 5_000], principal=OPERATOR)
    loading = time.perf_counter() - began
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    result = settle(place, fund.name, "2025-26", principal=OPERATOR)
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with place.read() as conn:
        problems = ledger.check_ledger(conn, open_fund(conn, fund.name).id)
    place.close()
    return {
        "partners": n_partners,
        "schemes": n_schemes,
        "postings": postings,
        "load_seconds": round(loading, 1),
        "settle_seconds": round(seconds, 2),
        "peak_rss_mb_before_settle": round(rss_before / 1024),
        "peak_rss_mb": round(peak / 1024),
        "variance_pence": result.variance,
        "ledger_sound": not problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--postgres", help="an admin postgresql+psycopg:// URL; a scratch database is made")
    parser.add_argument("--partners", type=int, default=50)
    parser.add_argument("--schemes", type=int, default=500)
    parser.add_argument("--postings", type=int, default=1_000_000)
    args = parser.parse_args()
    figures: dict[str, Any] = {"benchmark": "ledger"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        figures["sqlite"] = throughput(None, work / "sqlite", args.transactions, args.batch)
        figures["sqlite_single"] = throughput(None, work / "single", 2_000, 1)
        if args.postgres:
            name = f"tp_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = args.postgres.rsplit("/", 1)[0] + "/" + name
                figures["postgresql"] = throughput(url, work / "pg", args.transactions, args.batch)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        figures["settlement"] = settlement(work / "big", args.partners, args.schemes, args.postings)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
