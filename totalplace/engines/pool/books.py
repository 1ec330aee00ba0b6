"""The pool's books as read: its transactions with their entries, account balances, and a year's settlement
(the statements once it is posted, the preview from the postings so far before)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from totalplace.engines.pool import access
from totalplace.engines.pool.access import Sight
from totalplace.engines.pool.agreement import year_of
from totalplace.engines.pool.fund import open_fund
from totalplace.engines.pool.report import Statement, restrict_record, statements
from totalplace.engines.pool.settle import preview, to_record
from totalplace.governance.roles import Principal
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
    """Transactions of a pool (oldest first), and every account's balance when asked for.

    ``shown`` names the partners whose lines are included (None: every partner's); a reader who does not
    see every partner's lines gets only the entries that are its partners', its accounts' balances and the
    pool's cash, and ``totals``: the pool's balances added up by kind of account (``partner``, ``scheme``,
    ``spend``, ``cash``).
    """

    pool: str
    title: str
    years: tuple[str, ...]
    filters: LedgerFilter
    transactions: tuple[StoredTxn, ...]
    balances: dict[str, int]
    totals: dict[str, int]
    shown: tuple[str, ...] | None = None


def read_ledger(
    place: Place,
    name: str,
    filters: LedgerFilter | None = None,
    *,
    principal: Principal,
    limit: int | None = None,
    with_balances: bool = False,
) -> LedgerExtract:
    """The pool's transactions that pass ``filters`` (the newest ``limit`` of them), read in one snapshot with
    every account's balance derived from all the postings when ``with_balances``; as ``principal`` may see
    them (pool.read: its partners' lines, or every line with pool.read_all)."""
    chosen = filters or LedgerFilter()
    with place.read() as conn:
        fund = open_fund(conn, name)
        seen = access.sight(conn, fund, principal)
        found = ledger.transactions(
            conn, fund.id, kind=chosen.kind, year=chosen.year, account_prefix=chosen.account, limit=limit
        )
        every = ledger.balances(conn, fund.id) if with_balances else {}
    agreement = fund.agreement
    shown = None if seen.everything else tuple(sorted(seen.shown or ()))
    return LedgerExtract(
        fund.name,
        agreement.title,
        tuple(agreement.years),
        chosen,
        tuple(_visible_txns(found, seen)),
        _visible_balances(every, seen),
        _totals(every),
        shown,
    )


def _visible_txns(found: list[StoredTxn], seen: Sight) -> list[StoredTxn]:
    """The transactions with only the entries ``seen`` shows; a transaction with none left is left out."""
    if seen.everything:
        return found
    kept = []
    for t in found:
        entries = tuple(e for e in t.entries if seen.sees_entry(e))
        if entries:
            kept.append(replace(t, entries=entries))
    return kept


def _visible_balances(balances: dict[str, int], seen: Sight) -> dict[str, int]:
    """The balances of the accounts ``seen`` shows."""
    return {a: v for a, v in balances.items() if seen.sees_account(a)}


def _totals(balances: dict[str, int]) -> dict[str, int]:
    """The pool's balances added up by kind of account: what every partner may see."""
    out: dict[str, int] = {}
    for account, value in balances.items():
        kind = account.partition(":")[0]
        out[kind] = out.get(kind, 0) + value
    return out


def read_balances(
    place: Place, name: str, as_of: date | None = None, *, principal: Principal
) -> dict[str, int]:
    """Every account's balance in pence that ``principal`` may see, derived from the postings (to the end of
    ``as_of`` if given)."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        seen = access.sight(conn, fund, principal)
        return _visible_balances(ledger.balances(conn, fund.id, as_of=as_of), seen)


def ledger_problems(place: Place, name: str, *, principal: Principal) -> list[str]:
    """Every way the pool's ledger could be wrong, as sentences; empty when it is sound (pool.read_all: the
    sentences name every partner's accounts)."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        access.require(conn, fund, principal, "pool.read_all")
        return ledger.check_ledger(conn, fund.id)


@dataclass(frozen=True, slots=True)
class YearSettlement:
    """A year's settlement: the partners' statements once it is posted, or the preview before; only the
    lines of the partners in ``shown`` (None: every partner's)."""

    pool: str
    title: str
    year: str
    years: tuple[str, ...]
    settled: bool
    statements: tuple[Statement, ...]
    preview: SettlementRecord | None
    shown: tuple[str, ...] | None = None


def year_settlement(
    place: Place, name: str, year: str | None = None, *, principal: Principal, via: str = "library"
) -> YearSettlement:
    """The settlement of ``year`` (default: today's financial year if it is in the term, else the first), as
    ``principal`` may see it: the statements it may read (the read audited) or the preview's lines."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        seen = access.sight(conn, fund, principal)
        years = fund.agreement.years
        if not year:
            year = year_of(date.today()) if year_of(date.today()) in years else years[0]
        settled = year in ledger.settled_years(conn, fund.id)
    found = tuple(statements(place, name, year, principal=principal, via=via)) if settled else ()
    previewed = None if settled else restrict_record(to_record(preview(place, name, year)), seen)
    title = fund.agreement.title
    shown = None if seen.everything else tuple(sorted(seen.shown or ()))
    return YearSettlement(fund.name, title, year, tuple(years), settled, found, previewed, shown)
