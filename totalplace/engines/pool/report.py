"""What the board and each partner read: the fund summary with forecast outturn, and settlement statements.

Forecast outturn is made by the method the fund manager chose (:mod:`totalplace.engines.pool.forecast`), from
actuals to the last complete month on the as-of date (today unless a date is given), never from the date of
the latest posting; the summary states the method. The risk-share preview applies the clause to that
forecast, so the board sees who would pay if the year ended as forecast.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection

from totalplace.engines.pool import access
from totalplace.engines.pool.access import Sight
from totalplace.engines.pool.agreement import Agreement, Cadence, year_bounds, year_of
from totalplace.engines.pool.forecast import ForecastBasis, forecast_outturn
from totalplace.engines.pool.fund import Fund, open_fund
from totalplace.engines.pool.movements import allocated, spend_account
from totalplace.engines.pool.riskshare import YearActuals, settle_year
from totalplace.engines.pool.settle import to_record, year_actuals
from totalplace.errors import InvalidInputError, LedgerInconsistentError, NotFoundError
from totalplace.governance.policy import authorize
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store import pools as store
from totalplace.store.pools import SettledShare, SettlementRecord


@dataclass(frozen=True, slots=True)
class SchemeLine:
    """One scheme's budget against actual, in pence."""

    scheme: str
    title: str
    owner: str
    budget: int
    allocated: int
    spent: int
    forecast: int

    @property
    def forecast_variance(self) -> int:
        """Forecast outturn minus budget: positive is a forecast overspend."""
        return self.forecast - self.budget

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, pence as integers."""
        return {**asdict(self), "forecast_variance": self.forecast_variance}


@dataclass(frozen=True, slots=True)
class ContributionLine:
    """One partner's money in the year: agreed, received, and brought forward from the year before (pence)."""

    partner: str
    agreed: int
    received: int
    brought_forward: int
    left_on: date | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, pence as integers, the leaving date as ISO text."""
        return {**asdict(self), "left_on": self.left_on.isoformat() if self.left_on else None}


@dataclass(frozen=True, slots=True)
class FundTotals:
    """The pool's own figures for the year, added up over every partner and scheme (pence): what every
    partner of the pool sees, whoever's lines it may see."""

    agreed: int
    received: int
    brought_forward: int
    budget: int
    allocated: int
    spent: int
    forecast: int

    @classmethod
    def of(cls, contributions: tuple[ContributionLine, ...], schemes: tuple[SchemeLine, ...]) -> FundTotals:
        """The totals of every partner's and every scheme's lines."""
        return cls(
            sum(c.agreed for c in contributions),
            sum(c.received for c in contributions),
            sum(c.brought_forward for c in contributions),
            sum(s.budget for s in schemes),
            sum(s.allocated for s in schemes),
            sum(s.spent for s in schemes),
            sum(s.forecast for s in schemes),
        )

    def to_dict(self) -> dict[str, int]:
        """JSON-ready, pence as integers."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FundSummary:
    """The fund in one year for the board.

    ``preview`` is the risk share applied to the forecast outturn (only while the year is open);
    ``settlement`` is the posted settlement (once the year is settled). ``shown`` names the partners whose
    lines are included (None: every partner's); ``totals`` are the pool's, whoever reads it.
    """

    name: str
    title: str
    budget_type: str
    host: str
    fund_manager: str
    year: str
    as_of: date
    version: int
    settled: bool
    cadence: Cadence
    contributions: tuple[ContributionLine, ...]
    schemes: tuple[SchemeLine, ...]
    preview: SettlementRecord | None
    settlement: SettlementRecord | None
    totals: FundTotals | None = None
    shown: tuple[str, ...] | None = None
    forecast: ForecastBasis | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, pence as integers."""
        totals = self.totals or FundTotals.of(self.contributions, self.schemes)
        return {
            "name": self.name,
            "title": self.title,
            "budget_type": self.budget_type,
            "host": self.host,
            "fund_manager": self.fund_manager,
            "year": self.year,
            "as_of": self.as_of.isoformat(),
            "agreement_version": self.version,
            "settled": self.settled,
            "cadence": self.cadence.model_dump(),
            "contributions": [c.to_dict() for c in self.contributions],
            "schemes": [s.to_dict() for s in self.schemes],
            "forecast_settlement": self.preview.to_dict() if self.preview else {},
            "settlement": _as_stored(self.settlement),
            "totals": totals.to_dict(),
            "partners_shown": list(self.shown) if self.shown is not None else None,
            "forecast": self.forecast.to_dict() if self.forecast else None,
        }


def _as_stored(record: SettlementRecord | None) -> dict[str, Any] | None:
    """A posted settlement as the store keeps it (every key sorted), which is how the fund has shown it."""
    if record is None:
        return None
    stored: dict[str, Any] = json.loads(json.dumps(record.to_dict(), sort_keys=True))
    return stored


def fund_summary(
    place: Place, name: str, year: str | None = None, as_of: date | None = None, *, principal: Principal
) -> FundSummary:
    """The fund summary of ``year`` (default: the year of ``as_of`` or today, kept within the term), as
    ``principal`` may see it (pool.read): the pool's totals, and the lines of the partners it may see."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        seen = access.sight(conn, fund, principal)
        today = as_of or date.today()
        year = year or _year_shown(fund.agreement.years, today)
        fund.require_year(year)
        first, last = year_bounds(year)
        # Actuals to the as-of date (today unless given), never to the date of the latest posting: the
        # forecast reads only months complete on that date (engines/pool/forecast.py).
        day = min(max(today, first), last)
        return restrict_summary(_summary(conn, fund, year, day), seen)


def restrict_summary(summary: FundSummary, seen: Sight) -> FundSummary:
    """The summary with only the lines ``seen`` shows, and the pool's totals over every line."""
    totals = FundTotals.of(summary.contributions, summary.schemes)
    if seen.everything:
        return replace(summary, totals=totals)
    return replace(
        summary,
        contributions=tuple(c for c in summary.contributions if seen.sees(c.partner)),
        schemes=tuple(s for s in summary.schemes if seen.sees(s.owner)),
        preview=restrict_record(summary.preview, seen),
        settlement=restrict_record(summary.settlement, seen),
        totals=totals,
        shown=tuple(sorted(seen.shown or ())),
    )


def restrict_record(record: SettlementRecord | None, seen: Sight) -> SettlementRecord | None:
    """A settlement (or its preview) with only the partners' lines and schemes ``seen`` shows; the pool's
    available money, spend and variance stay, and a note naming a partner not shown is left out."""
    if record is None or seen.everything:
        return record
    hidden = [p.partner for p in record.partners if not seen.sees(p.partner)]
    return replace(
        record,
        partners=tuple(p for p in record.partners if seen.sees(p.partner)),
        steps=tuple(
            replace(s, shares={p: v for p, v in s.shares.items() if seen.sees(p)}) for s in record.steps
        ),
        scheme_spend={k: v for k, v in record.scheme_spend.items() if seen.sees_scheme(k)},
        notes=tuple(n for n in record.notes if not any(h in n for h in hidden)),
    )


def _year_shown(years: list[str], today: date) -> str:
    """Today's financial year if it is in the term, else the term's first or last year."""
    if year_of(today) in years:
        return year_of(today)
    return years[0] if today < year_bounds(years[0])[0] else years[-1]


def _summary(conn: Connection, fund: Fund, year: str, day: date) -> FundSummary:
    """The summary of ``year`` with actuals to ``day``."""
    agreement = fund.agreement_on(day)
    actuals = year_actuals(conn, fund, year)
    settled = year in ledger.settled_years(conn, fund.id)
    record = store.settlement_record(conn, fund.id, year)
    basis = None if settled else forecast_outturn(conn, fund, agreement, year, day)
    schemes = _scheme_lines(conn, fund, agreement, year, record if settled else None, basis)
    return FundSummary(
        fund.name,
        agreement.title,
        agreement.budget_type,
        agreement.host,
        agreement.fund_manager,
        year,
        day,
        fund.version_on(day),
        settled,
        cadence=agreement.cadence,
        contributions=_contribution_lines(agreement, actuals),
        schemes=schemes,
        preview=None if settled else _forecast_settlement(agreement, actuals, schemes),
        settlement=record,
        forecast=basis,
    )


def _scheme_lines(
    conn: Connection,
    fund: Fund,
    agreement: Agreement,
    year: str,
    record: SettlementRecord | None,
    basis: ForecastBasis | None,
) -> tuple[SchemeLine, ...]:
    """Each scheme's budget, allocation, spend and forecast (a settled year's spend is the settled one)."""
    spend = ledger.balances(conn, fund.id, year=year)
    lines = []
    for s in agreement.schemes:
        spent = record.scheme_spend.get(s.name, 0) if record else spend.get(spend_account(s.name), 0)
        lines.append(
            SchemeLine(
                s.name,
                s.title or s.name,
                s.owner,
                s.budget_for(year),
                allocated(conn, fund.id, s.name, year),
                spent,
                basis.of(s.name) if basis else spent,
            )
        )
    return tuple(lines)


def _contribution_lines(agreement: Agreement, actuals: YearActuals) -> tuple[ContributionLine, ...]:
    """Every partner's agreed and received money, members first, then anyone else with money in the year."""
    agreed = agreement.agreed_contributions(actuals.year)
    return tuple(
        ContributionLine(
            p,
            agreed.get(p, 0),
            actuals.contributions.get(p, 0),
            actuals.brought_forward.get(p, 0),
            agreement.exit_date(p),
        )
        for p in dict.fromkeys([*agreement.partners, *actuals.partners])
    )


def _forecast_settlement(
    agreement: Agreement, actuals: YearActuals, schemes: tuple[SchemeLine, ...]
) -> SettlementRecord:
    """The risk share applied as if each scheme's spend came in at its forecast outturn."""
    projected = YearActuals(
        actuals.year,
        actuals.host,
        actuals.partners,
        actuals.contributions,
        actuals.brought_forward,
        {s.scheme: s.forecast for s in schemes},
        actuals.scheme_budgets,
        actuals.scheme_owners,
    )
    return to_record(settle_year(projected, agreement.risk_share))


@dataclass(frozen=True, slots=True)
class StatementStep:
    """What one step of the risk-share clause charged (or gave) one partner, in pence."""

    step: str
    amount: int


@dataclass(frozen=True, slots=True)
class PoolTotals:
    """The statement's lines added up over every partner, in pence."""

    contribution: int
    brought_forward: int
    settlement: int
    share_of_spend: int
    carried_forward: int
    overspend: int
    returned: int

    @classmethod
    def of(cls, shares: tuple[SettledShare, ...]) -> PoolTotals:
        """The totals of a settlement's partner lines."""
        return cls(
            sum(p.contribution for p in shares),
            sum(p.brought_forward for p in shares),
            sum(p.settlement for p in shares),
            sum(p.share_of_spend for p in shares),
            sum(p.carried_forward for p in shares),
            sum(p.overspend for p in shares),
            sum(p.returned for p in shares),
        )


@dataclass(frozen=True, slots=True)
class Statement:
    """One partner's settlement statement for a year, reconciled to the penny."""

    pool: str
    title: str
    year: str
    partner: str
    budget_type: str
    contribution: int
    brought_forward: int
    settlement: int
    share_of_spend: int
    carried_forward: int
    overspend: int
    returned: int
    steps: tuple[StatementStep, ...]
    pool_totals: PoolTotals

    @property
    def reconciles(self) -> bool:
        """contributions + brought forward + settlement - share of spend - carried forward = 0."""
        return self.difference == 0

    @property
    def difference(self) -> int:
        """What is left when the statement's lines are added up (zero when it reconciles)."""
        return (
            self.contribution
            + self.brought_forward
            + self.settlement
            - self.share_of_spend
            - self.carried_forward
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, pence as integers."""
        data = asdict(self)
        data["steps"] = list(data["steps"])
        return {**data, "reconciles": self.reconciles, "difference": self.difference}


def statements(
    place: Place, name: str, year: str, *, principal: Principal, via: str = "library"
) -> list[Statement]:
    """The statements of a settled year that ``principal`` may read (statement.read; NotFoundError before
    settlement), the read written to the audit log (``via``: how they are shown)."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        seen = access.sight(conn, fund, principal)
        record = store.settlement_record(conn, fund.id, year)
        if record is None:
            raise NotFoundError(
                f"{year} is not settled for {name}",
                hint=f"preview it with `totalplace pool settle {name} --year {year} --dry-run`",
            )
        shown = [p for p in record.partners if seen.sees(p.partner)]
        ids = access.partner_ids(conn)
        for p in shown:
            authorize(principal, "statement.read", access.owned(ids, seen.pool, "statement", p.partner))
    _audit_read(place, fund.id, year, [p.partner for p in shown], principal, via)
    agreement = fund.agreement_for_year(year)
    totals = PoolTotals.of(record.partners)
    return [_statement(fund.name, agreement, record, p, totals) for p in shown]


def _audit_read(
    place: Place, pool_id: int, year: str, partners: list[str], principal: Principal, via: str
) -> None:
    """Write the read of statements to the audit log (nothing to record when none was shown)."""
    if partners:
        with place.begin() as conn:
            store.record_statement_read(
                conn, pool_id, year=year, partners=partners, via=via, actor=principal.username
            )


def _statement(
    pool: str, agreement: Agreement, record: SettlementRecord, p: SettledShare, totals: PoolTotals
) -> Statement:
    """One partner's statement from the posted settlement."""
    return Statement(
        pool,
        agreement.title,
        record.year,
        p.partner,
        agreement.budget_type,
        p.contribution,
        p.brought_forward,
        p.settlement,
        p.share_of_spend,
        p.carried_forward,
        p.overspend,
        p.returned,
        tuple(
            StatementStep(s.step, s.shares.get(p.partner, 0)) for s in record.steps if s.shares.get(p.partner)
        ),
        totals,
    )


def reconciled_statements(
    place: Place,
    name: str,
    year: str,
    partner: str | None = None,
    *,
    principal: Principal,
    via: str = "library",
) -> list[Statement]:
    """The statements of a settled year ``principal`` may read (one partner's, named in any case, when
    ``partner`` is given: refused when it may not read it), refused as an inconsistent ledger if any of them
    does not reconcile to the penny."""
    if partner:
        _require_statement(place, name, partner, principal)
    found = statements(place, name, year, principal=principal, via=via)
    if partner:
        found = [s for s in found if s.partner.lower() == partner.lower()]
        if not found:
            raise InvalidInputError(f"{partner!r} is not in the settlement of {year}")
    bad = [s.partner for s in found if not s.reconciles]
    if bad:
        raise LedgerInconsistentError(
            f"the statements of {', '.join(bad)} do not reconcile", hint=f"run `totalplace pool check {name}`"
        )
    return found


def _require_statement(place: Place, name: str, partner: str, principal: Principal) -> None:
    """Refuse (TP201) a statement of ``partner`` that ``principal`` may not read."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        named = next((p for p in fund.agreement.partners if p.lower() == partner.strip().lower()), None)
        if named is None:
            raise InvalidInputError(
                f"{partner!r} is not a partner of {name}",
                hint=f"partners are: {', '.join(fund.agreement.partners)}",
            )
        pool = access.pool_resource(conn, fund)
        authorize(
            principal, "statement.read", access.owned(access.partner_ids(conn), pool, "statement", named)
        )
