"""Forecast outturn: a named method the fund manager chooses, stated wherever a forecast is shown.

Every method reads actuals only to the end of the **last complete month** of the financial year on the as-of
date (today, or the date asked for), never to the date of the latest posting: a posting in the month still
running moves no forecast until that month closes. ``m`` is the number of complete months (0 to 12, April
is month 1); once the year is over (``m`` = 12) every method gives the year's actuals.

- ``to_last_complete_month`` (the default): actuals to the last complete month, plus the scheme's budget for
  each month still to come. The budget is spread over the twelve months by largest remainder, so the months
  add up to the budget to the penny. No extrapolation: only the budget stands in for months not yet closed.
- ``straight_line``: actuals to the last complete month * 12 / ``m``. With no complete month yet it falls back
  to ``to_last_complete_month`` (the budget) and says so.
- ``last_year_profile``: actuals to the last complete month / the share of last year's spend on the scheme
  that fell in the same months. With no last year in the pool's term, no spend last year, or none in those
  months, it falls back to ``straight_line`` and says so, scheme by scheme.
- ``partner_forecasts``: actuals to the last complete month, plus the scheme owner's own forecast of each
  month still to come (entered per scheme and month; the newest entry counts); a month with no forecast
  counts at its share of the budget, and the page says how many months did.

Rounding: a scaled figure is rounded to the nearest penny, halves away from zero. So under ``straight_line`` a
posting of £500 into a complete month moves a scheme's forecast by at most £500 * 12 / ``m`` rounded up to the
next penny, and a posting into the month still running moves it not at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, Final

from sqlalchemy import Connection

from totalplace.engines.pool.access import pool_resource, posting_resource
from totalplace.engines.pool.agreement import Agreement, Scheme, year_bounds, year_label, year_start
from totalplace.engines.pool.fund import Fund, open_fund
from totalplace.engines.pool.movements import spend_account
from totalplace.errors import InvalidInputError
from totalplace.governance.roles import Principal
from totalplace.money import MAX_AMOUNT_PENCE, Money, largest_remainder
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store import pool_money as store
from totalplace.store.clock import utc_now

METHODS: Final[dict[str, str]] = {
    "to_last_complete_month": "actuals to the last complete month, plus the budget for the months to come",
    "straight_line": "actuals to the last complete month * 12 / complete months",
    "last_year_profile": "actuals to the last complete month, scaled by last year's monthly profile",
    "partner_forecasts": (
        "actuals to the last complete month, plus partners' own forecasts of the months to come"
    ),
}
DEFAULT_METHOD: Final = "to_last_complete_month"
ROUNDING: Final = "to the nearest penny, halves away from zero"


@dataclass(frozen=True, slots=True)
class SchemeForecast:
    """One scheme's forecast outturn: actuals to the last complete month and the forecast, in pence."""

    scheme: str
    actual_to_date: int
    forecast: int
    method: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, pence as integers."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ForecastBasis:
    """How the forecasts of a year were made: the method, its version, and what it read."""

    method: str
    description: str
    chosen: bool
    version: int | None
    chosen_by: str | None
    reason: str
    as_of: date
    months_elapsed: int
    actuals_to: date | None
    schemes: tuple[SchemeForecast, ...]

    def of(self, scheme: str) -> int:
        """The forecast outturn of ``scheme`` in pence (0 for a scheme it does not know)."""
        return next((s.forecast for s in self.schemes if s.scheme == scheme), 0)

    @property
    def statement(self) -> str:
        """The one sentence a page, a PDF and a command print about the forecast."""
        to = f"actuals to {self.actuals_to}" if self.actuals_to else "no complete month yet"
        how = "chosen" if self.chosen else "the default; no method chosen yet"
        return (
            f"Forecast outturn by {self.method} ({how}): {self.description}. "
            f"{self.months_elapsed} of 12 months complete at {self.as_of} ({to}); rounded {ROUNDING}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the method, the months it read, each scheme's forecast."""
        return {
            "method": self.method,
            "description": self.description,
            "chosen": self.chosen,
            "version": self.version,
            "chosen_by": self.chosen_by,
            "reason": self.reason,
            "as_of": self.as_of.isoformat(),
            "months_elapsed": self.months_elapsed,
            "actuals_to": self.actuals_to.isoformat() if self.actuals_to else None,
            "rounding": ROUNDING,
            "methods": dict(METHODS),
            "statement": self.statement,
            "schemes": [s.to_dict() for s in self.schemes],
        }


# -- months of a financial year ------------------------------------------------------------------------------
def month_labels(year: str) -> list[str]:
    """The twelve months of a financial year as ``YYYY-MM``, April first."""
    start = year_start(year)
    return [f"{start + (k >= 9)}-{(k + 3) % 12 + 1:02d}" for k in range(12)]


def month_end(label: str) -> date:
    """The last day of the month ``YYYY-MM``."""
    y, m = int(label[:4]), int(label[5:7])
    return date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)


def months_elapsed(year: str, as_of: date) -> int:
    """How many months of ``year`` are complete on ``as_of`` (a month is complete once its last day is)."""
    return sum(month_end(label) <= as_of for label in month_labels(year))


def scaled(amount: int, numerator: int, denominator: int) -> int:
    """``amount * numerator / denominator`` in whole pence, rounded to the nearest, halves away from zero."""
    whole, left = divmod(abs(amount) * numerator, denominator)
    whole += 2 * left >= denominator
    return whole if amount >= 0 else -whole


def budget_months(budget: int) -> list[int]:
    """A year's budget spread over its twelve months, largest remainder, adding up to the budget exactly."""
    if budget < 0:
        return [-p for p in budget_months(-budget)]
    return largest_remainder(budget, [Fraction(1, 12)] * 12)


# -- the methods ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Inputs:
    """What a method reads for one scheme: actuals by month, budget by month, last year, partner entries."""

    m: int
    actual: list[int]
    budget: list[int]
    last_year: list[int] | None
    entries: list[int | None]


def _forecast(method: str, scheme: str, x: _Inputs) -> SchemeForecast:
    """One scheme's forecast by ``method`` (or the fallback it states)."""
    to_date = sum(x.actual[: x.m])
    rest_budget = sum(x.budget[x.m :])
    if x.m == 12:
        return SchemeForecast(scheme, to_date, to_date, method, "the year is complete: actuals")
    if method == "to_last_complete_month":
        return SchemeForecast(scheme, to_date, to_date + rest_budget, method)
    if method == "partner_forecasts":
        rest = x.entries[x.m :]
        missing = sum(e is None for e in rest)
        filled = sum(e if e is not None else b for e, b in zip(rest, x.budget[x.m :], strict=True))
        note = f"{missing} month(s) with no partner forecast counted at budget" if missing else ""
        return SchemeForecast(scheme, to_date, to_date + filled, method, note)
    if method == "last_year_profile":
        profile = x.last_year or []
        if profile and sum(profile) > 0 and sum(profile[: x.m]) > 0:
            return SchemeForecast(scheme, to_date, scaled(to_date, sum(profile), sum(profile[: x.m])), method)
        fallback = _forecast("straight_line", scheme, x)
        why = "no last year in the term" if x.last_year is None else "no spend last year in these months"
        note = f"{why}: {fallback.method}"
        return SchemeForecast(scheme, to_date, fallback.forecast, fallback.method, note)
    if x.m == 0:
        return SchemeForecast(
            scheme, 0, rest_budget, "to_last_complete_month", "no complete month yet: the budget"
        )
    return SchemeForecast(scheme, to_date, scaled(to_date, 12, x.m), method)


def _by_month(months: list[str], spend: dict[str, int]) -> list[int]:
    return [spend.get(label, 0) for label in months]


def _inputs(conn: Connection, fund: Fund, agreement: Agreement, year: str, m: int) -> dict[str, _Inputs]:
    """Every scheme's inputs for ``year`` with ``m`` complete months."""
    months = month_labels(year)
    spend = ledger.monthly_spend(conn, fund.id, year)
    last = year_label(year_start(year) - 1)
    last_spend = ledger.monthly_spend(conn, fund.id, last) if last in fund.agreement.years else None
    entries = store.entries(conn, fund.id, year)
    out = {}
    for s in agreement.schemes:
        account = spend_account(s.name)
        out[s.name] = _Inputs(
            m,
            _by_month(months, spend.get(account, {})),
            budget_months(s.budget_for(year)),
            None if last_spend is None else _by_month(month_labels(last), last_spend.get(account, {})),
            [e.amount if (e := entries.get((s.name, label))) else None for label in months],
        )
    return out


def forecast_outturn(
    conn: Connection, fund: Fund, agreement: Agreement, year: str, as_of: date
) -> ForecastBasis:
    """Each scheme's forecast outturn of ``year`` as at ``as_of`` by the pool's chosen method."""
    versions = store.method_versions(conn, fund.id)
    chosen = versions[-1] if versions else None
    method = chosen.method if chosen else DEFAULT_METHOD
    m = months_elapsed(year, as_of)
    inputs = _inputs(conn, fund, agreement, year, m)
    return ForecastBasis(
        method,
        METHODS[method],
        chosen is not None,
        chosen.version if chosen else None,
        chosen.set_by if chosen else None,
        chosen.reason if chosen else "",
        as_of,
        m,
        month_end(month_labels(year)[m - 1]) if m else None,
        tuple(_forecast(method, s.name, inputs[s.name]) for s in agreement.schemes),
    )


# -- changes -------------------------------------------------------------------------------------------------
def choose_method(
    place: Place, name: str, method: str, *, principal: Principal, reason: str
) -> store.MethodVersion:
    """Choose the pool's forecast method (pool.manage): a new version, audited with its reason."""
    if method not in METHODS:
        raise InvalidInputError(
            f"{method!r} is not a forecast method", hint=f"methods are: {', '.join(METHODS)}"
        )
    if not reason.strip():
        raise InvalidInputError("say why the forecast method is chosen", hint="give a reason")
    with place.begin() as conn:
        fund = open_fund(conn, name)
        principal.require("pool.manage", pool_resource(conn, fund))
        return store.set_method(conn, fund.id, method, reason.strip(), principal.username)


def method_history(place: Place, name: str, *, principal: Principal) -> list[store.MethodVersion]:
    """Every version of the pool's forecast method, oldest first (pool.read)."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        principal.require("pool.read", pool_resource(conn, fund))
        return store.method_versions(conn, fund.id)


def enter_forecast(
    place: Place, name: str, scheme: str, month: str, amount: int, *, principal: Principal
) -> store.ForecastEntry:
    """Record the scheme owner's forecast of the scheme's spend in ``month`` (``YYYY-MM``).

    Entering one is posting for the scheme's owner (pool.post on a posting it owns), so a partner forecasts
    only its own schemes; the fund manager may enter any scheme's of the pool it hosts.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or abs(amount) > MAX_AMOUNT_PENCE:
        raise InvalidInputError(
            f"{amount!r} pence is not an amount a forecast can take",
            hint=f"at most {Money(MAX_AMOUNT_PENCE)} either way",
        )
    with place.begin() as conn:
        fund = open_fund(conn, name)
        year, owner = _scheme_month(fund, scheme, month)
        principal.require("pool.post", posting_resource(conn, fund, owner.owner))
        entry = store.ForecastEntry(scheme, month, amount, owner.owner, utc_now(), principal.username)
        store.add_entry(conn, fund.id, year, entry)
        return entry


def _scheme_month(fund: Fund, scheme: str, month: str) -> tuple[str, Scheme]:
    """The financial year of ``month`` within the pool's term, and the scheme (as agreed for that year)."""
    year = next((y for y in fund.agreement.years if month in month_labels(y)), None)
    if year is None:
        raise InvalidInputError(
            f"{month!r} is not a month of the pool's term",
            hint=f"write it as YYYY-MM, from {fund.agreement.years[0]} to {fund.agreement.years[-1]}",
        )
    agreement = fund.agreement_on(min(month_end(month), year_bounds(year)[1]))
    found = next((s for s in agreement.schemes if s.name == scheme), None)
    if found is None:
        names = ", ".join(s.name for s in agreement.schemes)
        raise InvalidInputError(f"no scheme called {scheme!r} in {year}", hint=f"schemes are: {names}")
    return year, found


def forecast_entries(
    place: Place, name: str, year: str, *, principal: Principal
) -> list[store.ForecastEntry]:
    """The partners' forecasts in force for ``year``, by scheme and month (pool.read: they are the pool's
    forecast, read by whoever reads its totals)."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        principal.require("pool.read", pool_resource(conn, fund))
        return sorted(store.entries(conn, fund.id, year).values(), key=lambda e: (e.scheme, e.month))
