"""The year-end settlement: actuals from the ledger, the risk-share clause applied, one atomic posting.

The settlement transaction closes each scheme's spend to the partners (each is charged its share of spend),
takes overspend top-ups into cash, pays refunds out of it, sweeps what is left on each scheme back to cash,
and carries each partner's carry-forward into its account for the next year. Afterwards every partner's
account for the year is exactly zero: contributions + brought forward + settlement - share of spend -
carried forward = 0. With ``reinvest``, the carried-forward total is allocated to the named scheme on the
first
day of the next year, in the same database transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import Connection, select

from totalplace.engines.pool.access import pool_resource
from totalplace.engines.pool.agreement import year_bounds, year_label, year_start
from totalplace.engines.pool.fund import Fund, open_fund
from totalplace.engines.pool.movements import (
    POST_TERM,
    cash,
    partner_account,
    scheme_account,
    spend_account,
)
from totalplace.engines.pool.riskshare import Settlement, YearActuals, settle_year
from totalplace.errors import ConflictError, ReasonRequiredError, SettlementTooEarlyError
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store import pool_money as money_store
from totalplace.store import pools as store
from totalplace.store.schema import ledger_entries, ledger_txns


def year_actuals(conn: Connection, fund: Fund, year: str) -> YearActuals:
    """Contributions, brought forward, and spend by scheme in ``year``, read from the postings."""
    agreement = fund.agreement_for_year(year)
    first_day, _ = year_bounds(year)
    # Members on the year's first day, and below anyone else with money in the year (a partner that joined).
    members = tuple(p for p in agreement.partners if agreement.is_member_on(p, first_day))
    contributions = dict.fromkeys(members, 0)
    brought = dict.fromkeys(members, 0)
    rows = conn.execute(
        select(ledger_entries.c.account, ledger_entries.c.amount, ledger_txns.c.kind, ledger_txns.c.year)
        .join(ledger_txns, ledger_txns.c.id == ledger_entries.c.txn_id)
        .where(ledger_entries.c.pool_id == fund.id, ledger_entries.c.account.like(f"partner:%:{year}"))
    )
    for account, amount, kind, txn_year in rows:
        partner = account[len("partner:") : -len(year) - 1]
        if partner not in contributions:
            contributions[partner] = brought[partner] = 0
            members = (*members, partner)
        if kind == "settlement" and txn_year != year:
            brought[partner] -= int(amount)
        elif kind != "settlement":
            contributions[partner] -= int(amount)
    spend = ledger.balances(conn, fund.id, year=year)
    schemes = [s.name for s in agreement.schemes]
    return YearActuals(
        year=year,
        host=agreement.host,
        partners=members,
        contributions=contributions,
        brought_forward=brought,
        scheme_spend={s: spend.get(spend_account(s), 0) for s in schemes},
        scheme_budgets={s.name: s.budget_for(year) for s in agreement.schemes},
        scheme_owners={s.name: s.owner for s in agreement.schemes},
        leaving=tuple(p for p in members if not agreement.is_member_on(p, year_bounds(year)[1])),
    )


def preview(place: Place, name: str, year: str) -> Settlement:
    """The settlement of ``year`` as it would be posted now, without posting it."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        fund.require_year(year)
        return settle_year(year_actuals(conn, fund, year), fund.agreement_for_year(year).risk_share)


def settle(
    place: Place,
    name: str,
    year: str,
    *,
    principal: Principal,
    early_reason: str | None = None,
    on: date | None = None,
) -> Settlement:
    """Compute and post the settlement of ``year`` as one atomic batch; a year settles once (until reopened).

    Before the year's last day (``on``, default today) it is refused unless ``early_reason`` says why; the
    early settlement and its reason are audited.
    """
    with place.begin() as conn:
        fund = open_fund(conn, name)
        fund.require_year(year)  # a year of the term, before its dates are read
        principal.require("pool.manage", pool_resource(conn, fund))
        early = _early(year, on or date.today(), early_reason)
        ledger.lock_pool(conn, fund.id)
        _require_settleable(conn, fund, name, year)
        actuals = year_actuals(conn, fund, year)
        result = settle_year(actuals, fund.agreement_for_year(year).risk_share)
        round_ = len(money_store.reopened(conn, fund.id, year))
        requests = settlement_requests(conn, fund, actuals, result, round_)
        # A year in which nothing moved settles at nil, with no transaction, so later years can settle.
        posted = ledger.post(conn, fund.id, [r for r in requests if r.entries], actor=principal.username)
        store.record_settlement(
            conn,
            fund.id,
            year,
            posted[0].txn_id if posted else None,
            to_record(result, actuals.scheme_spend),
            principal.username,
        )
        if early:
            money_store.record_early(conn, fund.id, year, early, principal.username)
        return result


def _early(year: str, today: date, reason: str | None) -> str:
    """The reason for settling ``year`` before its last day ("" when it is not early); refused without one."""
    last_day = year_bounds(year)[1]
    if today >= last_day:
        return ""
    if reason is None:
        raise SettlementTooEarlyError(
            f"{year} ends on {last_day}; it cannot be settled on {today} unless settled early with a reason",
            hint="wait for the year's last day, or settle early and say why",
        )
    if not reason.strip():
        raise ReasonRequiredError("say why the year is settled before its last day")
    return reason.strip()


def _require_settleable(conn: Connection, fund: Fund, name: str, year: str) -> None:
    """Refuse a year already settled, or one with an earlier year still open."""
    settled = ledger.settled_years(conn, fund.id)
    if year in settled:
        raise ConflictError(
            f"{year} is already settled for {name}",
            hint=f"see `totalplace pool statement {name} --year {year}`; reopen it to settle it again",
        )
    earlier = [y for y in fund.agreement.years if y < year and y not in settled]
    if earlier:
        raise ConflictError(f"{earlier[0]} is not settled yet", hint="settle the years in order")


def _keys(year: str, round_: int) -> tuple[str, str]:
    """The settlement's and the reinvestment's keys: the first settlement of a year keeps its plain keys,
    each settlement after a reopening is numbered (a key is never used for a different transaction)."""
    suffix = f":{round_ + 1}" if round_ else ""
    return f"settlement:{year}{suffix}", f"reinvest:{year}{suffix}"


def reopen(place: Place, name: str, year: str, *, principal: Principal, reason: str) -> list[ledger.Posted]:
    """Reopen a settled year (pool.manage): reverse its settlement (and reinvestment) in the ledger, keep the
    settlement as it was posted beside the reason, and let the year be settled again. Audited."""
    if not reason.strip():
        raise ReasonRequiredError("say why the settled year is reopened")
    with place.begin() as conn:
        fund = open_fund(conn, name)
        fund.require_year(year)
        principal.require("pool.manage", pool_resource(conn, fund))
        ledger.lock_pool(conn, fund.id)
        _require_reopenable(conn, fund, year)
        round_ = len(money_store.reopened(conn, fund.id, year))
        settlement_id = money_store.reopen(conn, fund.id, year, reason.strip(), principal.username)
        reinvest_id = ledger.txn_id_by_key(conn, fund.id, _keys(year, round_)[1])
        requests = []
        last_day = year_bounds(year)[1]
        memo = f"reopening {year}: {reason.strip()}"
        if settlement_id is not None:
            undo = ledger.reversal_of(
                conn,
                fund.id,
                settlement_id,
                key=f"reopen:{year}:{round_ + 1}",
                day=last_day,
                year=year,
                memo=memo,
            )
            # Of kind settlement, like what it reverses: it moves the year's closing, not new money, so the
            # year's contributions and the next year's brought-forward read it as they read the settlement.
            requests.append(replace(undo, kind="settlement"))
        if reinvest_id is not None:
            original = ledger.transaction(conn, fund.id, reinvest_id)
            requests.append(
                ledger.reversal_of(
                    conn,
                    fund.id,
                    reinvest_id,
                    key=f"reopen-reinvest:{year}:{round_ + 1}",
                    day=original.effective_date,
                    year=original.year,
                    memo=memo,
                )
            )
        return ledger.post(conn, fund.id, requests, actor=principal.username) if requests else []


def _require_reopenable(conn: Connection, fund: Fund, year: str) -> None:
    """Refuse to reopen a year that is not settled, that a later settled year builds on, or that post-term
    adjustments have already corrected."""
    settled = ledger.settled_years(conn, fund.id)
    if year not in settled:
        raise ConflictError(f"{year} is not settled, so there is nothing to reopen")
    later = sorted(y for y in settled if y > year)
    if later:
        raise ConflictError(
            f"{later[-1]} is settled after {year} and builds on it", hint="reopen the later years first"
        )
    if ledger.transactions(conn, fund.id, kind=POST_TERM):
        raise ConflictError(
            "post-term adjustments have been posted after the last year was settled",
            hint="correct the figures with another post-term adjustment",
        )


def settlement_requests(
    conn: Connection, fund: Fund, actuals: YearActuals, result: Settlement, round_: int = 0
) -> list[ledger.TxnRequest]:
    """The settlement transaction (and, for reinvestment, next year's allocation); ``round_`` counts the
    times the year was reopened before."""
    year = actuals.year
    settlement_key, reinvest_key = _keys(year, round_)
    next_year = year_label(year_start(year) + 1)
    last_day = year_bounds(year)[1]
    entries = [
        *_scheme_closing(ledger.balances(conn, fund.id, year=year), actuals.scheme_spend),
        *_partner_charges(result, year, next_year),
    ]
    requests = [
        ledger.TxnRequest(
            settlement_key,
            "settlement",
            last_day,
            year,
            f"settlement of {year}: variance {result.variance:+d} pence",
            tuple(e for e in entries if e.amount != 0),
        )
    ]
    carried = sum(s.carried_forward for s in result.partners)
    if result.reinvest_into and carried:
        requests.append(
            ledger.TxnRequest(
                reinvest_key,
                "allocation",
                last_day + timedelta(days=1),
                next_year,
                f"underspend of {year} reinvested in {result.reinvest_into}",
                (
                    ledger.Entry(scheme_account(result.reinvest_into), carried, None, result.reinvest_into),
                    ledger.Entry(cash(), -carried, None, result.reinvest_into),
                ),
            )
        )
    return requests


def _scheme_closing(left: dict[str, int], scheme_spend: dict[str, int]) -> list[ledger.Entry]:
    """Each scheme's spend closed out, and what is left unspent on it swept back to cash."""
    entries = [ledger.Entry(spend_account(s), -spent, None, s) for s, spent in scheme_spend.items()]
    for scheme in scheme_spend:
        unspent = left.get(scheme_account(scheme), 0)
        entries += [
            ledger.Entry(scheme_account(scheme), -unspent, None, scheme),
            ledger.Entry(cash(), unspent, None, scheme),
        ]
    return entries


def _partner_charges(result: Settlement, year: str, next_year: str) -> list[ledger.Entry]:
    """Each partner charged its share of spend, its overspend top-up taken, its refund paid, and its
    carry-forward moved into next year's account."""
    entries: list[ledger.Entry] = []
    for share in result.partners:
        p = share.partner
        account = partner_account(p, year)
        entries += [
            ledger.Entry(account, share.share_of_spend, p),
            ledger.Entry(cash(), share.overspend, p),
            ledger.Entry(account, -share.overspend, p),
            ledger.Entry(account, share.returned, p),
            ledger.Entry(cash(), -share.returned, p),
            ledger.Entry(account, share.carried_forward, p),
            ledger.Entry(partner_account(p, next_year), -share.carried_forward, p),
        ]
    return entries


def to_record(result: Settlement, scheme_spend: dict[str, int] | None = None) -> store.SettlementRecord:
    """The settlement as the store keeps it and ``--json`` shows it (pence as integers)."""
    return store.SettlementRecord(
        year=result.year,
        available_pence=result.available,
        spend_pence=result.spend,
        variance_pence=result.variance,
        scheme_spend=dict(scheme_spend or {}),
        partners=tuple(
            store.SettledShare(
                p.partner,
                p.contribution,
                p.brought_forward,
                p.overspend,
                p.underspend,
                p.returned,
                p.carried_forward,
                p.settlement,
                p.share_of_spend,
            )
            for p in result.partners
        ),
        steps=tuple(store.SettledStep(s.step, s.amount, dict(s.shares)) for s in result.steps),
        notes=tuple(result.notes),
        reinvest_into=result.reinvest_into,
    )
