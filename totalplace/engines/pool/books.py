"""The pool's books as read: its transactions with their entries, account balances, and a year's settlement
(the statements once it is posted, the preview from the postings so far before)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from totalplace.engines.pool.agreement import year_of
from totalplace.engines.pool.fund import open_fund
from totalplace.engines.pool.report import Statement, statements
from totalplace.engines.pool.settle import preview, to_record
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store.ledger import StoredTxn
from totalplace.store.pools import SettlementRecord


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    """Which transactions to read: of one kind, in one financial year, touching accounts that start so."""

    kind: str | None = None
    year: str | None = None
    account: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"kind": self.kind, "year": self.year, "account": self.account}


@dataclass(frozen=True, slots=True)
class LedgerExtract:
    """Transactions of a pool (oldest first), and every account's balance when asked for."""

    pool: str
    title: str
    years: tuple[str, ...]
    filters: LedgerFilter
    transactions: tuple[StoredTxn, ...]
    balances: dict[str, int]


def read_ledger(
    place: Place,
    name: str,
    filters: LedgerFilter | None = None,
    *,
    limit: int | None = None,
    with_balances: bool = False,
) -> LedgerExtract:
    """The pool's transactions that pass ``filters`` (the newest ``limit`` of them), read in one snapshot with
    every account's balance derived from all the postings when ``with_balances``."""
    chosen = filters or LedgerFilter()
    with place.read() as conn:
        fund = open_fund(conn, name)
        found = ledger.transactions(
            conn, fund.id, kind=chosen.kind, year=chosen.year, account_prefix=chosen.account, limit=limit
        )
        totals = ledger.balances(conn, fund.id) if with_balances else {}
    agreement = fund.agreement
    return LedgerExtract(fund.name, agreement.title, tuple(agreement.years), chosen, tuple(found), totals)


def read_balances(place: Place, name: str, as_of: date | None = None) -> dict[str, int]:
    """Every account's balance in pence, derived from the postings (to the end of ``as_of`` if given)."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        return ledger.balances(conn, fund.id, as_of=as_of)


def ledger_problems(place: Place, name: str) -> list[str]:
    """Every way the pool's ledger could be wrong, as sentences; empty when it is sound."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        return ledger.check_ledger(conn, fund.id)


@dataclass(frozen=True, slots=True)
class YearSettlement:
    """A year's settlement: the partners' statements once it is posted, or the preview before."""

    pool: str
    title: str
    year: str
    years: tuple[str, ...]
    settled: bool
    statements: tuple[Statement, ...]
    preview: SettlementRecord | None


def year_settlement(place: Place, name: str, year: str | None = None) -> YearSettlement:
    """The settlement of ``year`` (default: today's financial year if it is in the term, else the first)."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        years = fund.agreement.years
        if not year:
            year = year_of(date.today()) if year_of(date.today()) in years else years[0]
        settled = year in ledger.settled_years(conn, fund.id)
    found = tuple(statements(place, name, year)) if settled else ()
    previewed = None if settled else to_record(preview(place, name, year))
    title = fund.agreement.title
    return YearSettlement(fund.name, title, year, tuple(years), settled, found, previewed)
