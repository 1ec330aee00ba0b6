"""Actual spend from partners' imported spending files, matched to schemes and posted to the ledger.

Each scheme's ``match`` selects spend lines (from active batches of the import framework); a line that two
schemes match counts for the first of them in the agreement. Lines are posted as one spend transaction per
batch, scheme and month, keyed ``import:<batch>:<scheme>:<month>``, so importing again posts nothing twice.
When a batch is superseded, the postings from it are reversed (in years not yet settled), and those from the
batch that replaced it are posted.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from totalplace.backends.safe_sql import SqlValue, identifier
from totalplace.engines.pool.agreement import MATCH_COLUMNS, Scheme, year_bounds, year_of
from totalplace.engines.pool.fund import open_fund
from totalplace.engines.pool.movements import Movement, post_movements
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store.catalog import list_batches
from totalplace.store.schema import ledger_txns


@dataclass
class SpendImport:
    """What importing spend did."""

    posted: int = 0
    already: int = 0
    reversed: int = 0
    pence: int = 0
    skipped_settled: list[str] = field(default_factory=list)
    by_scheme: dict[str, int] = field(default_factory=dict)


def _condition(number: int, scheme: Scheme, params: dict[str, SqlValue]) -> str:
    """The scheme's match as SQL over checked column names, its names and patterns added to ``params``."""
    parts = []
    for index, (column, pattern) in enumerate(scheme.match.items()):
        marker = f"m{number}_{index}"
        params[marker] = pattern
        if column == "partner":
            parts.append(f"c.partner = ${marker}")
        else:
            name = identifier(column, MATCH_COLUMNS)
            parts.append(f"regexp_matches(coalesce(s.{name}, ''), ${marker}, 'i')")
    params[f"s{number}"] = scheme.name
    return f"WHEN {' AND '.join(parts)} THEN $s{number}"


def _matched_sql(schemes: list[Scheme], first: date, last: date) -> tuple[str, dict[str, SqlValue]]:
    """Spend by batch, scheme and month between ``first`` and ``last``: fixed SQL and its bound values."""
    params: dict[str, SqlValue] = {"first": first, "last": last}
    case = " ".join(_condition(n, s, params) for n, s in enumerate(schemes))
    sql = f"""
        SELECT batch_id, scheme, strftime(date, '%Y-%m') AS month, sum(amount_pence) AS pence
        FROM (SELECT s.batch_id, s.date, s.amount_pence, CASE {case} END AS scheme
              FROM spend s JOIN catalog c USING (batch_id)
              WHERE s.date BETWEEN $first AND $last)
        WHERE scheme IS NOT NULL
        GROUP BY ALL ORDER BY 1, 2, 3
    """
    return sql, params


def import_spend(place: Place, name: str, *, actor: str) -> SpendImport:
    """Match the active spending batches to the pool's schemes and post what is new."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        settled = ledger.settled_years(conn, fund.id)
        imported = list(
            conn.execute(
                select(ledger_txns.c.idem_key).where(
                    ledger_txns.c.pool_id == fund.id, ledger_txns.c.idem_key.startswith("import:")
                )
            ).scalars()
        )
        reversed_keys = set(
            conn.execute(
                select(ledger_txns.c.idem_key).where(
                    ledger_txns.c.pool_id == fund.id, ledger_txns.c.idem_key.startswith("unimport:")
                )
            ).scalars()
        )
        active = {b.id for b in list_batches(conn, active_only=True) if b.kind == "spend"}
    agreement = fund.agreement
    schemes = [s for s in agreement.schemes if s.match]
    first, last = year_bounds(agreement.years[0])[0], year_bounds(agreement.years[-1])[1]
    report = SpendImport()
    movements: list[Movement] = []
    if schemes and active:
        sql, params = _matched_sql(schemes, first, last)
        with place.analytics() as engine:
            rows = engine.query(sql, params).to_pylist()
        for row in rows:
            year_, month = (int(x) for x in str(row["month"]).split("-"))
            day = date(year_, month, calendar.monthrange(year_, month)[1])
            if year_of(day) in settled or not int(row["pence"]):
                if year_of(day) in settled and year_of(day) not in report.skipped_settled:
                    report.skipped_settled.append(year_of(day))
                continue
            key = f"import:{row['batch_id']}:{row['scheme']}:{row['month']}"
            movements.append(
                Movement(
                    key,
                    "spend",
                    day,
                    int(row["pence"]),
                    scheme=row["scheme"],
                    memo=f"spend from batch {row['batch_id']}",
                )
            )
            report.by_scheme[row["scheme"]] = report.by_scheme.get(row["scheme"], 0) + int(row["pence"])
    for key in imported:
        batch = int(key.split(":")[1])
        undo = "un" + key
        y, m = (int(x) for x in key.rsplit(":", 1)[1].split("-"))
        day = date(y, m, calendar.monthrange(y, m)[1])  # dated as the posting it undoes, in its own year
        if batch not in active and undo not in reversed_keys and year_of(day) not in settled:
            movements.append(
                Movement(undo, "reversal", day, reverses=key, memo=f"batch {batch} was superseded")
            )
            report.reversed += 1
    if movements:
        for posted in post_movements(place, name, movements, actor=actor):
            if posted.replayed:
                report.already += 1
            elif posted.kind == "spend":
                report.posted += 1
    report.pence = sum(report.by_scheme.values())
    return report
