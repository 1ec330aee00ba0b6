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

from datetime import timedelta

from sqlalchemy import Connection, select

from totalplace.engines.pool.agreement import year_bounds, year_label, year_start
from totalplace.engines.pool.fund import Fund, open_fund
from totalplace.engines.pool.movements import cash, partner_account, scheme_account, spend_account
from totalplace.engines.pool.riskshare import Settlement, YearActuals, settle_year
from totalplace.errors import ConflictError
from totalplace.place import Place
from totalplace.store import ledger
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


def settle(place: Place, name: str, year: str, *, actor: str) -> Settlement:
    """Compute and post the settlement of ``year`` as one atomic batch; a year settles once."""
    with place.begin() as conn:
        fund = open_fund(conn, name)
        fund.require_year(year)
        ledger.lock_pool(conn, fund.id)
        if year in ledger.settled_years(conn, fund.id):
            raise ConflictError(
                f"{year} is already settled for {name}",
                hint=f"see `totalplace pool statement {name} --year {year}`",
            )
        earlier = [
            y for y in fund.agreement.years if y < year and y not in ledger.settled_years(conn, fund.id)
        ]
        if earlier:
            raise ConflictError(f"{earlier[0]} is not settled yet", hint="settle the years in order")
        actuals = year_actuals(conn, fund, year)
        result = settle_year(actuals, fund.agreement_for_year(year).risk_share)
        requests = settlement_requests(conn, fund, actuals, result)
        # A year in which nothing moved settles at nil, with no transaction, so later years can settle.
        posted = ledger.post(conn, fund.id, [r for r in requests if r.entries], actor=actor)
        store.record_settlement(
            conn,
            fund.id,
            year,
            posted[0].txn_id if posted else None,
            to_record(result, actuals.scheme_spend),
            actor,
        )
        return result


def settlement_requests(
    conn: Connection, fund: Fund, actuals: YearActuals, result: Settlement
) -> list[ledger.TxnRequest]:
    """The settlement transaction (and, for reinvestment, next year's allocation)."""
    year = actuals.year
    next_year = year_label(year_start(year) + 1)
    last_day = year_bounds(year)[1]
    entries = [
        *_scheme_closing(ledger.balances(conn, fund.id, year=year), actuals.scheme_spend),
        *_partner_charges(result, year, next_year),
    ]
    requests = [
        ledger.TxnRequest(
            f"settlement:{year}",
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
                f"reinvest:{year}",
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
