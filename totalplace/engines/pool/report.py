"""What the board and each partner read: the fund summary with forecast outturn, and settlement statements.

Forecast outturn is straight-line: spend to date scaled to the whole year by the share of the year elapsed
(the method most pooled-fund monitoring returns use before month 6; a scheme that has spent nothing forecasts
nothing). Unless a date is given, spend to date means spend to the day of the last spend posted in the year.
The risk-share preview applies the clause to that forecast, so the board sees who would pay if the
year ended as forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from totalplace.engines.pool.agreement import year_bounds, year_of
from totalplace.engines.pool.fund import Fund, open_fund
from totalplace.engines.pool.movements import allocated, spend_account
from totalplace.engines.pool.riskshare import YearActuals, settle_year
from totalplace.engines.pool.settle import settlement_dict, year_actuals
from totalplace.errors import InvalidInputError, NotFoundError
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store import pools as store
from totalplace.store.schema import ledger_txns


@dataclass(frozen=True)
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


@dataclass
class FundSummary:
    """The fund in one year for the board."""

    name: str
    title: str
    budget_type: str
    host: str
    fund_manager: str
    year: str
    as_of: date
    version: int
    settled: bool
    contributions: list[dict[str, Any]] = field(default_factory=list)
    schemes: list[SchemeLine] = field(default_factory=list)
    preview: dict[str, Any] = field(default_factory=dict)
    settlement: dict[str, Any] | None = None
    cadence: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, pence as integers."""
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
            "cadence": self.cadence,
            "contributions": self.contributions,
            "schemes": [{**s.__dict__, "forecast_variance": s.forecast_variance} for s in self.schemes],
            "forecast_settlement": self.preview,
            "settlement": self.settlement,
        }


def forecast(spent: int, year: str, as_of: date) -> int:
    """Straight-line forecast outturn of ``spent`` to date for the whole of ``year``."""
    first, last = year_bounds(year)
    if as_of >= last:
        return spent
    if as_of < first:
        return 0
    elapsed = (as_of - first).days + 1
    total = (last - first).days + 1
    return spent * total // elapsed


def fund_summary(place: Place, name: str, year: str | None = None, as_of: date | None = None) -> FundSummary:
    """The fund summary of ``year`` (default: the year of ``as_of`` or today, kept within the term)."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        years = fund.agreement.years
        today = as_of or date.today()
        year = year or (
            year_of(today)
            if year_of(today) in years
            else (years[0] if today < year_bounds(years[0])[0] else years[-1])
        )
        if year not in years:
            raise InvalidInputError(
                f"{year!r} is not in the pool's term", hint=f"years are {years[0]} to {years[-1]}"
            )
        day = min(max(today, year_bounds(year)[0]), year_bounds(year)[1])
        if as_of is None:
            # Actuals run to the last spend posted, not to today: a month not yet posted is not a month of
            # no spending, and scaling by today's date would forecast an underspend that is not there.
            day = min(day, _last_spend_day(conn, fund.id, year) or day)
        agreement = fund.agreement_on(day)
        actuals = year_actuals(conn, fund, year)
        settled = year in ledger.settled_years(conn, fund.id)
        record = store.settlement_record(conn, fund.id, year)
        spend = ledger.balances(conn, fund.id, year=year)
        agreed = agreement.agreed_contributions(year)
        schemes = []
        for s in agreement.schemes:
            spent = record_spend(record, s.name) if settled else spend.get(spend_account(s.name), 0)
            schemes.append(
                SchemeLine(
                    s.name,
                    s.title or s.name,
                    s.owner,
                    s.budget_for(year),
                    allocated(conn, fund.id, s.name, year),
                    spent,
                    forecast(spent, year, day),
                )
            )
        summary = FundSummary(
            fund.name,
            agreement.title,
            agreement.budget_type,
            agreement.host,
            agreement.fund_manager,
            year,
            day,
            _version_on(fund, day),
            settled,
            cadence=agreement.cadence.model_dump(),
            settlement=record,
            schemes=schemes,
        )
        summary.contributions = [
            {
                "partner": p,
                "agreed": agreed.get(p, 0),
                "received": actuals.contributions.get(p, 0),
                "brought_forward": actuals.brought_forward.get(p, 0),
                "left_on": agreement.exit_date(p),
            }
            for p in dict.fromkeys([*agreement.partners, *actuals.partners])
        ]
        if not settled:
            projected = YearActuals(
                year,
                actuals.host,
                actuals.partners,
                actuals.contributions,
                actuals.brought_forward,
                {s.scheme: s.forecast for s in schemes},
                actuals.scheme_budgets,
                actuals.scheme_owners,
            )
            summary.preview = settlement_dict(settle_year(projected, agreement.risk_share))
        return summary


def record_spend(record: dict[str, Any] | None, scheme: str) -> int:
    """A settled year's spend on a scheme, from its settlement record."""
    return int((record or {}).get("scheme_spend", {}).get(scheme, 0))


def _last_spend_day(conn: Connection, pool_id: int, year: str) -> date | None:
    last = conn.execute(
        select(func.max(ledger_txns.c.effective_date)).where(
            ledger_txns.c.pool_id == pool_id, ledger_txns.c.year == year, ledger_txns.c.kind == "spend"
        )
    ).scalar_one()
    return date.fromisoformat(last) if last else None


def _version_on(fund: Fund, day: date) -> int:
    return max((v.version for v in fund.versions if v.effective_from <= day), default=1)


@dataclass(frozen=True)
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
    steps: list[dict[str, Any]]
    pool_totals: dict[str, int]

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
        return {**self.__dict__, "reconciles": self.reconciles, "difference": self.difference}


def statements(place: Place, name: str, year: str) -> list[Statement]:
    """Every partner's statement for a settled year (NotFoundError before settlement)."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        record = store.settlement_record(conn, fund.id, year)
    if record is None:
        raise NotFoundError(
            f"{year} is not settled for {name}",
            hint=f"preview it with `totalplace pool settle {name} --year {year} --dry-run`",
        )
    totals = {
        key: sum(int(p[key]) for p in record["partners"])
        for key in (
            "contribution",
            "brought_forward",
            "settlement",
            "share_of_spend",
            "carried_forward",
            "overspend",
            "returned",
        )
    }
    agreement = fund.agreement_for_year(year)
    return [
        Statement(
            fund.name,
            agreement.title,
            year,
            p["partner"],
            agreement.budget_type,
            p["contribution"],
            p["brought_forward"],
            p["settlement"],
            p["share_of_spend"],
            p["carried_forward"],
            p["overspend"],
            p["returned"],
            [
                {"step": s["step"], "amount": s["shares"].get(p["partner"], 0)}
                for s in record["steps"]
                if s["shares"].get(p["partner"])
            ],
            totals,
        )
        for p in record["partners"]
    ]
