"""A whole-place check: the database, the audit chain, and the catalog against its parquet files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, text

from totalplace.datasets.recovery import check_consistency
from totalplace.place import Place
from totalplace.store import audit, ledger
from totalplace.store.schema import pools


@dataclass
class IntegrityReport:
    """What ``totalplace check`` found."""

    audit_records: int = 0
    batches_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {"ok": self.ok, "audit_records": self.audit_records, "problems": self.problems}


def check_place(place: Place, *, verify_hashes: bool = True) -> IntegrityReport:
    """Run every check and gather the problems (``verify_hashes`` re-reads every batch file)."""
    report = IntegrityReport()
    with place.read() as conn:
        if conn.dialect.name == "sqlite":
            result = [r[0] for r in conn.execute(text("PRAGMA integrity_check"))]
            if result != ["ok"]:
                report.problems.extend(f"database: {r}" for r in result)
        verification = audit.verify(conn)
        report.problems.extend(f"ledger: {p}" for p in ledger_problems(conn))
    report.audit_records = verification.records
    report.problems.extend(f"audit: {p}" for p in verification.problems)
    report.problems.extend(f"data: {p}" for p in check_consistency(place, verify_hashes=verify_hashes))
    return report


def ledger_problems(conn: Connection) -> list[str]:
    """What is wrong with any pool's ledger: a stored figure that is not whole pence (SQLite turns an integer
    that overflows 64 bits into a float), and every check of ``pool check``."""
    problems: list[str] = []
    if conn.dialect.name == "sqlite":
        for table, column in (("ledger_balances", "balance"), ("ledger_entries", "amount")):
            rows = conn.execute(
                text(
                    f"SELECT pool_id, account, typeof({column}), {column} FROM {table} "
                    f"WHERE typeof({column}) <> 'integer'"
                )
            )
            problems += [
                f"pool {pool_id}, account {account}: {table}.{column} holds {kind} {value!r}, not whole pence"
                for pool_id, account, kind, value in rows
            ]
    for pool_id, name in conn.execute(select(pools.c.id, pools.c.name).order_by(pools.c.id)):
        problems += [f"pool {name}: {p}" for p in ledger.check_ledger(conn, int(pool_id))]
    return problems
