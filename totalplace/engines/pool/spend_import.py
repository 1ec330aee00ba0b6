"""Actual spend from partners' imported spending files, matched to schemes and posted to the ledger.

Each scheme's ``match`` selects spend lines (from active batches of the import framework); a line that two
schemes match counts for the first of them in the agreement. Lines are posted as one spend transaction per
batch, scheme and month, keyed ``import:<batch>:<scheme>:<month>``, so importing again posts nothing twice.
When a batch is superseded, the postings from it are reversed (in years not yet settled), and those from the
batch that replaced it are posted.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from totalplace.backends.safe_sql import SqlValue, identifier
from totalplace.engines.pool.agreement import MATCH_COLUMNS, Agreement, Scheme, year_bounds, year_of
from totalplace.engines.pool.fund import open_fund
from totalplace.engines.pool.movements import Movement, post_movements
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store.catalog import list_batches


@dataclass(frozen=True, slots=True)
class SpendImport:
    """What importing spend did: transactions posted and already posted, reversals of superseded batches,
    the pence matched to each scheme, and the settled years whose lines could not be posted."""

    posted: int = 0
    already: int = 0
    reversed: int = 0
    pence: int = 0
    skipped_settled: tuple[str, ...] = ()
    by_scheme: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, pence as integers."""
        return {**asdict(self), "skipped_settled": list(self.skipped_settled)}


@dataclass(frozen=True, slots=True)
class MatchedSpend:
    """Spend lines of one batch matched to one scheme in one month (``YYYY-MM``), in pence."""

    batch_id: int
    scheme: str
    month: str
    pence: int

    @property
    def day(self) -> date:
        """The last day of the month: the day the month's spend is posted on."""
        return month_end(self.month)

    @property
    def key(self) -> str:
        """The idempotency key of its posting."""
        return f"import:{self.batch_id}:{self.scheme}:{self.month}"


def month_end(month: str) -> date:
    """The last day of ``YYYY-MM``."""
    year, number = (int(x) for x in month.split("-"))
    return date(year, number, calendar.monthrange(year, number)[1])


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


def import_spend(place: Place, name: str, *, principal: Principal) -> SpendImport:
    """Match the active spending batches to the pool's schemes and post what is new."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        settled = ledger.settled_years(conn, fund.id)
        imported = ledger.keys_starting(conn, fund.id, "import:")
        reversed_keys = set(ledger.keys_starting(conn, fund.id, "unimport:"))
        active = {b.id for b in list_batches(conn, active_only=True) if b.kind == "spend"}
    matched = _matched_spend(place, fund.agreement, active)
    open_lines = [m for m in matched if year_of(m.day) not in settled and m.pence]
    skipped = tuple(dict.fromkeys(year_of(m.day) for m in matched if year_of(m.day) in settled))
    by_scheme: dict[str, int] = {}
    for m in open_lines:
        by_scheme[m.scheme] = by_scheme.get(m.scheme, 0) + m.pence
    undo = _reversals(imported, active, reversed_keys, settled)
    movements = [*(_spend_movement(m) for m in open_lines), *undo]
    posted = post_movements(place, name, movements, principal=principal) if movements else []
    return SpendImport(
        posted=sum(not p.replayed and p.kind == "spend" for p in posted),
        already=sum(p.replayed for p in posted),
        reversed=len(undo),
        pence=sum(by_scheme.values()),
        skipped_settled=skipped,
        by_scheme=by_scheme,
    )


def _matched_spend(place: Place, agreement: Agreement, active: set[int]) -> list[MatchedSpend]:
    """The active batches' spend in the pool's term, by batch, scheme and month (typed from the query)."""
    schemes = [s for s in agreement.schemes if s.match]
    if not schemes or not active:
        return []
    first, last = year_bounds(agreement.years[0])[0], year_bounds(agreement.years[-1])[1]
    sql, params = _matched_sql(schemes, first, last)
    with place.analytics() as engine:
        rows = engine.query(sql, params).to_pylist()
    return [
        MatchedSpend(int(r["batch_id"]), str(r["scheme"]), str(r["month"]), int(r["pence"])) for r in rows
    ]


def _spend_movement(m: MatchedSpend) -> Movement:
    return Movement(m.key, "spend", m.day, m.pence, scheme=m.scheme, memo=f"spend from batch {m.batch_id}")


def _reversals(imported: list[str], active: set[int], done: set[str], settled: set[str]) -> list[Movement]:
    """Reversals of the postings from batches no longer active (in open years, and not reversed already)."""
    out = []
    for key in imported:
        batch = int(key.split(":")[1])
        undo = "un" + key
        day = month_end(key.rsplit(":", 1)[1])  # dated as the posting it undoes, in its own year
        if batch not in active and undo not in done and year_of(day) not in settled:
            out.append(Movement(undo, "reversal", day, reverses=key, memo=f"batch {batch} was superseded"))
    return out
