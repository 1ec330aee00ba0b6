"""Post-term adjustments: correcting agreed figures after the pool's last year is settled.

Once the last year of the term is settled, no year is left to post a correction into, so a figure found
wrong afterwards (a late invoice, a contribution agreed but never paid, a refund) goes to a **post-term
adjustment**: a ledger transaction of kind ``post_term_adjustment``, dated after the term's last day (its
``year`` is the financial year of that date, outside the term), allowed only when every year of the term is
settled, made by whoever may manage the pool, with a reason. Each names a partner and an amount:

- a positive amount is money the partner pays into the pool (it credits ``post_term:<partner>`` and debits
  ``cash``, as a contribution would);
- a negative amount is money the pool pays back to the partner.

Adjustments never touch a settled year's accounts, so every settled statement stays as it was posted; they
are reported separately (``totalplace pool adjustments``, the settlement page of the last year). The
partners settle the net of the adjustments between themselves, so the pool's ``cash`` after the term comes
back to nil when the adjustments balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from totalplace.engines.pool.access import pool_resource, visible_partners
from totalplace.engines.pool.agreement import year_bounds, year_of
from totalplace.engines.pool.fund import Fund, open_fund
from totalplace.engines.pool.movements import POST_TERM, cash
from totalplace.errors import InvalidInputError, PostTermAdjustmentError, ReasonRequiredError
from totalplace.governance.roles import Principal
from totalplace.money import MAX_AMOUNT_PENCE, Money
from totalplace.place import Place
from totalplace.store import ledger


def post_term_account(partner: str) -> str:
    """What a partner has paid into (credit) or been paid back from (debit) the pool after the term."""
    return f"post_term:{partner}"


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A post-term adjustment asked for: ``amount`` in pence, positive when the partner pays the pool."""

    key: str
    partner: str
    amount: int
    day: date
    reason: str


@dataclass(frozen=True, slots=True)
class Adjustments:
    """The pool's post-term adjustments and each partner's net (positive: paid in)."""

    pool: str
    term_ends: date
    transactions: tuple[ledger.StoredTxn, ...]
    net: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, pence as integers."""
        return {
            "pool": self.pool,
            "term_ends": self.term_ends.isoformat(),
            "adjustments": [
                {
                    "id": t.id,
                    "key": t.key,
                    "date": t.effective_date.isoformat(),
                    "reason": t.memo,
                    "partner": next((e.partner for e in t.entries if e.partner), None),
                    "amount": -sum(e.amount for e in t.entries if e.account.startswith("post_term:")),
                    "by": t.posted_by,
                }
                for t in self.transactions
            ],
            "net": dict(self.net),
        }


def adjust(place: Place, name: str, adjustment: Adjustment, *, principal: Principal) -> ledger.Posted:
    """Post a post-term adjustment (pool.manage); refused before the last year is settled."""
    a = adjustment
    if not a.reason.strip():
        raise ReasonRequiredError("say why the adjustment is made")
    if (
        isinstance(a.amount, bool)
        or not isinstance(a.amount, int)
        or not 0 < abs(a.amount) <= MAX_AMOUNT_PENCE
    ):
        raise InvalidInputError(
            f"{a.amount!r} pence is not an adjustment",
            hint=f"a non-zero amount up to {Money(MAX_AMOUNT_PENCE)}",
        )
    with place.begin() as conn:
        fund = open_fund(conn, name)
        principal.require("pool.manage", pool_resource(conn, fund))
        ledger.lock_pool(conn, fund.id)
        partner = _check_term_over(conn, fund, a)
        request = ledger.TxnRequest(
            a.key,
            POST_TERM,
            a.day,
            year_of(a.day),
            a.reason.strip(),
            (
                ledger.Entry(cash(), a.amount, partner),
                ledger.Entry(post_term_account(partner), -a.amount, partner),
            ),
        )
        return ledger.post(conn, fund.id, [request], actor=principal.username)[0]


def _check_term_over(conn: Connection, fund: Fund, a: Adjustment) -> str:
    """Refuse an adjustment while a year of the term is open or dated inside the term; the partner's name
    as the agreement spells it."""
    years = fund.agreement.years
    ends = year_bounds(years[-1])[1]
    open_years = [y for y in years if y not in ledger.settled_years(conn, fund.id)]
    if open_years:
        raise PostTermAdjustmentError(
            f"{open_years[0]} is not settled; post corrections into the open years of the term",
            hint="a post-term adjustment is for after the pool's last year is settled",
        )
    if a.day <= ends:
        raise PostTermAdjustmentError(
            f"the term ends on {ends}; a post-term adjustment is dated after it", hint=f"date it after {ends}"
        )
    partners = fund.agreement.partners
    partner = next((p for p in partners if p.lower() == a.partner.strip().lower()), None)
    if partner is None:
        raise InvalidInputError(
            f"{a.partner!r} is not a partner of {fund.name}", hint=f"partners are: {', '.join(partners)}"
        )
    return partner


def adjustments(place: Place, name: str, *, principal: Principal) -> Adjustments:
    """The pool's post-term adjustments the principal may see (its own partners', or all), oldest first,
    with each partner's net."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        shown = visible_partners(conn, fund, principal)
        found = tuple(
            t
            for t in ledger.transactions(conn, fund.id, kind=POST_TERM)
            if shown is None or any(e.partner in shown for e in t.entries)
        )
    net: dict[str, int] = {}
    for t in found:
        for e in t.entries:
            if e.account.startswith("post_term:") and e.partner:
                net[e.partner] = net.get(e.partner, 0) - e.amount
    return Adjustments(fund.name, year_bounds(fund.agreement.years[-1])[1], found, net)
