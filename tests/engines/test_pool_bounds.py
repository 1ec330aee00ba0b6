"""Money past the ledger's bounds is refused on both stores; a float balance left by an old overflow is found.

Before the bounds, one posting of 2^63-1 pence went in, the next turned SQLite's stored balance into a float,
every page of the pool answered 500 and `totalplace check` said all was well.
"""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from sqlalchemy import func, select, text

from tests.engines.pool_support import add_pool_partners
from totalplace.engines.pool.fund import create_fund
from totalplace.engines.pool.movements import Movement, post_movements
from totalplace.errors import LedgerInconsistentError, LedgerLimitError
from totalplace.governance.roles import OPERATOR
from totalplace.integrity import check_place
from totalplace.money import MAX_AMOUNT_PENCE
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store.schema import ledger_balances, ledger_txns

MAX = 2**63 - 1
AGREEMENT = {
    "name": "bcf",
    "title": "Better care",
    "partners": ["Council", "NHS"],
    "host": "Council",
    "fund_manager": "Director",
    "start_year": "2025-26",
    "term_years": 1,
    "schemes": [{"name": "care", "owner": "Council", "budget": "600,000.00"}],
}


def _pool(place: Place) -> int:
    add_pool_partners(place)
    return create_fund(place, yaml.safe_dump(AGREEMENT), "bcf.yaml", principal=OPERATOR).id


def _contribution(key: str, pence: int) -> Movement:
    return Movement(key, "contribution", date(2025, 5, 1), pence, "NHS")


def _txns(place: Place) -> int:
    with place.read() as conn:
        return int(conn.execute(select(func.count()).select_from(ledger_txns)).scalar_one())


def test_a_movement_past_ten_billion_pounds_is_refused_on_both_stores(place: Place) -> None:
    pool_id = _pool(place)
    for pence in (MAX, MAX_AMOUNT_PENCE + 1, -MAX):
        with pytest.raises(LedgerLimitError):
            post_movements(place, "bcf", [_contribution(f"k{pence}", pence)], principal=OPERATOR)
    assert _txns(place) == 0
    post_movements(place, "bcf", [_contribution("ok", MAX_AMOUNT_PENCE)], principal=OPERATOR)
    with place.read() as conn:
        assert ledger.stored_balances(conn, pool_id)["cash"] == MAX_AMOUNT_PENCE
        assert ledger.check_ledger(conn, pool_id) == []


def test_a_balance_is_held_within_the_ledger_limit(place: Place) -> None:
    pool_id = _pool(place)
    steps = ledger.MAX_LEDGER_PENCE // MAX_AMOUNT_PENCE
    batch = [_contribution(f"k{i}", MAX_AMOUNT_PENCE) for i in range(steps)]
    post_movements(place, "bcf", batch, principal=OPERATOR)
    with pytest.raises(LedgerLimitError, match="beyond the ledger's limit"):
        post_movements(place, "bcf", [_contribution("one-more", 1)], principal=OPERATOR)
    with place.read() as conn:
        assert ledger.stored_balances(conn, pool_id)["cash"] == ledger.MAX_LEDGER_PENCE
        assert ledger.check_ledger(conn, pool_id) == []


def test_an_entry_past_the_ledger_limit_is_refused_by_the_store_itself(place: Place) -> None:
    pool_id = _pool(place)
    request = ledger.TxnRequest(
        "raw",
        "contribution",
        date(2025, 5, 1),
        "2025-26",
        "",
        (ledger.Entry("cash", MAX), ledger.Entry("partner:NHS:2025-26", -MAX)),
    )
    with place.begin() as conn, pytest.raises(LedgerLimitError):
        ledger.post(conn, pool_id, [request], actor="t")
    assert _txns(place) == 0


def test_check_finds_a_stored_balance_that_is_not_whole_pence(sqlite_place: Place) -> None:
    pool_id = _pool(sqlite_place)
    post_movements(sqlite_place, "bcf", [_contribution("k", 100)], principal=OPERATOR)
    assert check_place(sqlite_place, verify_hashes=False).ok
    with sqlite_place.begin() as conn:
        # what SQLite stored when an integer sum passed 64 bits, before the ledger had its bounds
        conn.execute(
            text("UPDATE ledger_balances SET balance = 9.2233720368547758e18 WHERE account = 'cash'")
        )
    report = check_place(sqlite_place, verify_hashes=False)
    assert not report.ok
    assert any("cash" in p and "not whole pence" in p for p in report.problems), report.problems
    with sqlite_place.read() as conn:
        with pytest.raises(LedgerInconsistentError):
            ledger.stored_balances(conn, pool_id)
        assert ledger.check_ledger(conn, pool_id), "pool check must report it, not crash"
        assert conn.execute(select(ledger_balances.c.balance)).first() is not None
