"""Property tests: random histories of contributions, variations, allocations, spend, reversals, retries and
settlements, on SQLite and PostgreSQL. After every step the ledger's identities hold."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta
from typing import ClassVar

import hypothesis.strategies as st
import yaml
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.engines.pool_support import add_pool_partners, identity_problems
from totalplace.engines.pool.agreement import year_bounds
from totalplace.engines.pool.fund import create_fund, vary_fund
from totalplace.engines.pool.movements import Movement, post_movements
from totalplace.engines.pool.report import statements
from totalplace.engines.pool.settle import settle
from totalplace.errors import BudgetExceededError, ConflictError, InvalidInputError
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store import ledger

PARTNERS = ["Council", "NHS", "Police"]
SCHEMES = ["care", "discharge", "prevention"]
YEARS = ["2025-26", "2026-27", "2027-28"]
_counter = itertools.count()

pence = st.integers(min_value=1, max_value=50_000_000)
clause = st.sampled_from(
    [
        {},
        {"overspend": [{"step": "causer_pays"}, {"step": "rest"}]},
        {
            "overspend": [
                {"step": "host_first", "amount": "1,000.00"},
                {"step": "band", "percent": "2", "share": {"rule": "equal"}},
            ]
        },
        {
            "overspend": [
                {
                    "step": "rest",
                    "share": {"rule": "fixed", "percentages": {"Council": "50", "NHS": "30", "Police": "20"}},
                }
            ],
            "caps": {"Police": "500.00"},
            "underspend": {"disposition": "return"},
        },
        {
            "underspend": {
                "disposition": "carry_forward",
                "carry_forward_limit": "100.00",
                "share": {"rule": "equal"},
            }
        },
        {"underspend": {"disposition": "reinvest", "reinvest_into": "prevention"}},
    ]
)


def agreement(name: str, risk_share: dict[str, object]) -> str:
    return yaml.safe_dump(
        {
            "name": name,
            "title": "Property pool",
            "partners": PARTNERS,
            "host": "Council",
            "fund_manager": "Fund manager",
            "start_year": YEARS[0],
            "term_years": len(YEARS),
            "contributions": [
                {"partner": p, "year": y, "cash": "100,000.00"} for p in PARTNERS for y in YEARS
            ],
            "schemes": [
                {"name": s, "owner": o, "budget": "150,000.00"}
                for s, o in zip(SCHEMES, PARTNERS, strict=True)
            ],
            "risk_share": risk_share,
        }
    )


class PoolHistory(RuleBasedStateMachine):
    """One pool's life; the place is shared across runs, each run has its own pool."""

    place: Place
    seen: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.name = f"prop-{next(_counter)}"
        self.year_index = 0
        self.posted: list[tuple[Movement, int]] = []
        self.reversed: set[int] = set()
        self.created = False
        self.done = False

    @property
    def year(self) -> str:
        return YEARS[self.year_index]

    def day(self, offset: int) -> date:
        return year_bounds(self.year)[0] + timedelta(days=offset)

    def key(self) -> str:
        return f"k{len(self.posted)}-{next(_counter)}"

    def post(self, m: Movement) -> None:
        try:
            result = post_movements(self.place, self.name, [m], principal=OPERATOR)
        except BudgetExceededError:
            assert m.kind == "allocation"
            return
        assert not result[0].replayed
        self.seen[m.kind] += 1
        self.posted.append((m, result[0].txn_id))

    @precondition(lambda self: not self.created)
    @rule(risk_share=clause)
    def create(self, risk_share: dict[str, object]) -> None:
        create_fund(self.place, agreement(self.name, risk_share), "prop.yaml", principal=OPERATOR)
        self.created = True

    @precondition(lambda self: self.created and not self.done)
    @rule(partner=st.sampled_from(PARTNERS), amount=pence, offset=st.integers(0, 364))
    def contribute(self, partner: str, amount: int, offset: int) -> None:
        self.post(Movement(self.key(), "contribution", self.day(offset), amount, partner))

    @precondition(lambda self: self.created and not self.done)
    @rule(
        partner=st.sampled_from(PARTNERS),
        scheme=st.sampled_from(SCHEMES),
        amount=pence,
        offset=st.integers(0, 364),
    )
    def in_kind(self, partner: str, scheme: str, amount: int, offset: int) -> None:
        self.post(Movement(self.key(), "in_kind", self.day(offset), amount, partner, scheme))

    @precondition(lambda self: self.created and not self.done)
    @rule(scheme=st.sampled_from(SCHEMES), amount=pence, offset=st.integers(0, 364))
    def allocate(self, scheme: str, amount: int, offset: int) -> None:
        self.post(Movement(self.key(), "allocation", self.day(offset), amount, scheme=scheme))

    @precondition(lambda self: self.created and not self.done)
    @rule(
        scheme=st.sampled_from(SCHEMES),
        amount=st.integers(-1_000_000, 50_000_000).filter(bool),
        offset=st.integers(0, 364),
    )
    def spend(self, scheme: str, amount: int, offset: int) -> None:
        self.post(Movement(self.key(), "spend", self.day(offset), amount, scheme=scheme))

    @precondition(lambda self: self.created and not self.done)
    @rule(scheme=st.sampled_from(SCHEMES), amount=st.integers(2_000_000_000, 5_000_000_000))
    def spend_past_the_pool(self, scheme: str, amount: int) -> None:
        """More than all the contributions a history can make: the year will be overspent."""
        self.post(Movement(self.key(), "spend", self.day(300), amount, scheme=scheme))

    @precondition(lambda self: self.created and not self.done)
    @rule(partner=st.sampled_from(PARTNERS), amount=pence)
    def vary(self, partner: str, amount: int) -> None:
        text = yaml.safe_dump(
            {
                "effective": self.day(180),
                "reason": "more money",
                "changes": [
                    {
                        "add_contribution": {
                            "partner": partner,
                            "year": self.year,
                            "cash": f"{amount // 100}.{amount % 100:02d}",
                        }
                    }
                ],
            }
        )
        try:
            vary_fund(self.place, self.name, text, "vary.yaml", principal=OPERATOR)
        except ConflictError:  # a variation dated before an earlier one is refused, which is right
            return
        self.post(Movement(self.key(), "variation", self.day(180), amount, partner))

    @precondition(lambda self: bool(self.posted) and not self.done)
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        candidates = [
            (m, t)
            for m, t in self.posted
            if t not in self.reversed and m.kind != "reversal" and m.day >= year_bounds(self.year)[0]
        ]
        if not candidates:
            return
        m, txn = data.draw(st.sampled_from(candidates))
        self.post(Movement(self.key(), "reversal", self.day(364), reverses=m.key))
        self.reversed.add(txn)

    @precondition(lambda self: bool(self.posted) and not self.done)
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        m, txn = data.draw(st.sampled_from(self.posted))
        with self.place.read() as conn:
            before = ledger.balances(conn, ledger_pool_id(self))
        try:
            result = post_movements(self.place, self.name, [m], principal=OPERATOR)
        except InvalidInputError:
            return  # e.g. a reversal whose original was since reversed differently; never a duplicate
        assert result[0].replayed and result[0].txn_id == txn
        self.seen["retry"] += 1
        with self.place.read() as conn:
            assert ledger.balances(conn, ledger_pool_id(self)) == before

    @precondition(lambda self: self.created and not self.done)
    @rule()
    def settle_year(self) -> None:
        result = settle(self.place, self.name, self.year, principal=OPERATOR, on=year_bounds(self.year)[1])
        self.seen["settlement" if result.spend or result.available else "nil settlement"] += 1
        if result.variance:
            self.seen["overspend" if result.variance > 0 else "underspend"] += 1
        self.posted.clear()
        if self.year_index < len(YEARS) - 1:
            self.year_index += 1
        else:
            self.done = True

    @precondition(lambda self: self.done)
    @rule()
    def read_statements(self) -> None:
        for year in YEARS:
            assert all(s.reconciles for s in statements(self.place, self.name, year, principal=OPERATOR))

    @invariant()
    def identities_hold(self) -> None:
        if self.created:
            assert identity_problems(self.place, self.name) == []
            with self.place.read() as conn:
                assert sum(ledger.balances(conn, ledger_pool_id(self)).values()) == 0


def ledger_pool_id(machine: PoolHistory) -> int:
    from totalplace.engines.pool.fund import open_fund

    with machine.place.read() as conn:
        return open_fund(conn, machine.name).id


def test_random_histories(place: Place) -> None:
    add_pool_partners(place)
    PoolHistory.place = place
    runner = PoolHistory.TestCase
    runner.settings = settings(
        max_examples=30,
        stateful_step_count=30,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    PoolHistory.seen.clear()
    runner().runTest()
    # The histories must have exercised every kind of movement and both kinds of settlement.
    for kind in (
        "contribution",
        "allocation",
        "spend",
        "reversal",
        "retry",
        "settlement",
        "overspend",
        "underspend",
    ):
        assert PoolHistory.seen[kind] > 0, (kind, PoolHistory.seen)
