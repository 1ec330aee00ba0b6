"""Actual spend from imported spending files, matched to schemes, posted once, and undone on supersession."""

from __future__ import annotations

import yaml

from tests.engines.pool_support import add_pool_partners, identity_problems
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.pool.fund import create_fund, open_fund
from totalplace.engines.pool.spend_import import import_spend
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store.catalog import supersede

HEADER = "Payment Date,Supplier Name,Amount,Cost Centre,Description\n"
FIRST = (
    '12/05/2025,Home First Ltd,"1,000.00",Reablement,Home care after discharge\n'
    "20/05/2025,Home First Ltd,500.00,REABLEMENT,Home care after discharge\n"
    "03/06/2025,Acme Care,250.00,Older people,Residential care\n"
    "03/06/2025,Stationers,99.00,Corporate,Paper\n"
    "03/06/2024,Home First Ltd,777.00,Reablement,Before the pool began\n"
)
AGREEMENT = {
    "name": "bcf",
    "title": "BCF",
    "partners": ["Council", "NHS"],
    "host": "Council",
    "fund_manager": "Director",
    "start_year": "2025-26",
    "term_years": 1,
    "schemes": [
        {
            "name": "discharge",
            "owner": "NHS",
            "budget": "10,000.00",
            "match": {"partner": "Council", "cost_centre": "reablement"},
        },
        {
            "name": "care",
            "owner": "Council",
            "budget": "10,000.00",
            "match": {"partner": "Council", "description": "care"},
        },
    ],
}


def test_spend_is_matched_posted_once_and_replaced(sqlite_place: Place) -> None:
    add_pool_partners(sqlite_place)
    first = import_file(
        sqlite_place,
        (HEADER + FIRST).encode(),
        ImportRequest("spend", "Council"),
        principal=OPERATOR,
        source_name="may.csv",
    )
    create_fund(sqlite_place, yaml.safe_dump(AGREEMENT), "bcf.yaml", principal=OPERATOR)
    report = import_spend(sqlite_place, "bcf", principal=OPERATOR)
    # Reablement lines go to discharge (the first scheme that matches), not also to care; 2024 is outside the term.
    assert report.by_scheme == {"discharge": 150_000, "care": 25_000}
    assert report.posted == 2
    assert import_spend(sqlite_place, "bcf", principal=OPERATOR).already == 2

    corrected = FIRST.replace("500.00,REABLEMENT", "400.00,REABLEMENT")
    second = import_file(
        sqlite_place,
        (HEADER + corrected).encode(),
        ImportRequest("spend", "Council"),
        principal=OPERATOR,
        source_name="may-v2.csv",
    )
    with sqlite_place.begin() as conn:
        supersede(conn, old_id=first.batch.id, new_id=second.batch.id, actor="t")
    again = import_spend(sqlite_place, "bcf", principal=OPERATOR)
    assert again.reversed == 2 and again.posted == 2
    with sqlite_place.read() as conn:
        fund = open_fund(conn, "bcf")
        totals = ledger.balances(conn, fund.id)
    assert totals["spend:discharge"] == 140_000 and totals["spend:care"] == 25_000
    assert identity_problems(sqlite_place, "bcf") == []
