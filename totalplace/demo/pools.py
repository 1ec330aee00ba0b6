"""The demo place's pooled funds: a Better Care Fund-style pool and a four-partner family-support pool.

Each runs from 2024-25: the first two years are posted month by month and settled, and the current year is
posted to the end of the last complete month before the build (October 2026 at the earliest), so the fund
page shows a forecast outturn and a risk-share preview.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from totalplace.demo.principal import DEMO
from totalplace.engines.pool.agreement import year_bounds
from totalplace.engines.pool.fund import Fund, create_fund, open_fund, vary_fund
from totalplace.engines.pool.movements import Movement, allocated, post_agreed, post_movements
from totalplace.engines.pool.settle import settle
from totalplace.place import Place

AGREEMENTS = Path(__file__).parent / "agreements"


def _open_until(today: date) -> date:
    """The last day the demo's books are posted to: the end of the last complete month before the build, so
    the open year's forecast reads every complete month; never before October 2026 (the demo's history
    relies on seven months of the open year), nor after February 2027 (so its last year stays open)."""
    last_complete = today.replace(day=1) - timedelta(days=1)
    return min(max(last_complete, date(2026, 10, 31)), date(2027, 2, 28))


OPEN_UNTIL = _open_until(date.today())
# How far each scheme's spend runs from its budget in each year (1.0 = on budget), chosen so the demo shows
# an overspend that its causer bears, an underspend carried forward, and a year in progress.
PACE = {
    "better-care-fund": {"social-care": (1.045, 0.985, 1.02), "discharge": (0.98, 0.97, 1.01)},
    "family-support": {
        "family-workers": (1.06, 0.96, 1.0),
        "early-help": (1.02, 0.9, 1.03),
        "work-and-skills": (0.95, 1.0, 0.97),
    },
}
WINTER_MONEY = """\
effective: 2025-11-01
reason: The NHS adds winter discharge money
changes:
  - add_contribution: {partner: Northbridge NHS, year: 2025-26, cash: "600,000.00"}
  - set_scheme_budget: {scheme: discharge, year: 2025-26, budget: "8,300,000.00"}
"""


def build_pools(place: Place, rng: random.Random) -> dict[str, int]:
    """Create both pools and post their history; returns transactions posted per pool."""
    posted: dict[str, int] = {}
    for path in sorted(AGREEMENTS.glob("*.yaml")):
        fund = create_fund(place, path.read_text("utf-8"), path.name, principal=DEMO)
        count = 0
        with place.read() as conn:
            years = open_fund(conn, fund.name).agreement.years
        for index, year in enumerate(years):
            first, last = year_bounds(year)
            if fund.name == "better-care-fund" and year == "2025-26":
                count += len(post_agreed(place, fund.name, year, first, principal=DEMO).posted)
                vary_fund(place, fund.name, WINTER_MONEY, "winter-money.yaml", principal=DEMO)
                count += len(post_agreed(place, fund.name, year, date(2025, 11, 1), principal=DEMO).posted)
            else:
                count += len(post_agreed(place, fund.name, year, first, principal=DEMO).posted)
            count += _post_year(place, fund.name, year, index, rng)
            if last < OPEN_UNTIL:
                settle(place, fund.name, year, principal=DEMO)
        posted[fund.name] = count
    return posted


def _post_year(place: Place, name: str, year: str, index: int, rng: random.Random) -> int:
    first, _ = year_bounds(year)
    with place.read() as conn:
        fund = open_fund(conn, name)
    movements: list[Movement] = []
    for scheme in fund.agreement_for_year(year).schemes:
        cash_budget, allocations = _allocations(place, fund, year, scheme.name)
        movements += allocations
        target = int(cash_budget * PACE[name][scheme.name][index])
        movements += _monthly_spend(year, scheme.name, target, rng)
    # A duplicated invoice found and reversed, as happens.
    duplicate = Movement(
        f"spend:{year}:duplicate",
        "spend",
        date(first.year, 6, 15),
        1_250_000,
        scheme=fund.agreement.schemes[0].name,
        memo="invoice 4471 (entered twice)",
    )
    movements.append(duplicate)
    post_movements(place, name, movements, principal=DEMO)
    reversal = Movement(
        f"reverse:{year}:duplicate",
        "reversal",
        date(first.year, 7, 2),
        reverses=duplicate.key,
        memo="entered twice",
    )
    post_movements(place, name, [reversal], principal=DEMO)
    return len(movements) + 1


def _allocations(place: Place, fund: Fund, year: str, scheme: str) -> tuple[int, list[Movement]]:
    """A scheme's cash budget for the year, and its allocations: the budget in force at the start of the
    year, and a variation's extra when the variation starts."""
    first, _ = year_bounds(year)
    agreement = fund.agreement_for_year(year)
    budget = agreement.scheme(scheme).budget_for(year)
    in_kind = sum(
        c.in_kind.pence
        for c in agreement.contributions
        if c.year == year and c.in_kind and c.in_kind.scheme == scheme
    )
    with place.read() as conn:
        reinvested = allocated(conn, fund.id, scheme, year)
    opening = fund.agreement_on(first).scheme(scheme).budget_for(year) - in_kind - reinvested
    cash_budget = budget - in_kind - reinvested
    latest = fund.versions[-1].effective_from
    allocations = [(first, opening), (max(first, latest), cash_budget - opening)]
    return cash_budget, [
        Movement(f"allocate:{year}:{scheme}:{n}", "allocation", day, amount, scheme=scheme)
        for n, (day, amount) in enumerate(a for a in allocations if a[1] > 0)
    ]


def _monthly_spend(year: str, scheme: str, target: int, rng: random.Random) -> list[Movement]:
    """A year's spend of about ``target`` in twelve uneven months, posted to the end of the open period."""
    first, _ = year_bounds(year)
    monthly = [int(target / 12 * rng.uniform(0.85, 1.15)) for _ in range(11)]
    monthly.append(target - sum(monthly))
    movements = []
    for month, amount in enumerate(monthly):
        day = date(first.year + (month + 3) // 12, (month + 3) % 12 + 1, 28)
        if day > OPEN_UNTIL:
            break
        movements.append(
            Movement(
                f"spend:{year}:{scheme}:{month + 1:02d}",
                "spend",
                day,
                amount,
                scheme=scheme,
                memo=f"month {month + 1} actuals",
            )
        )
    return movements
