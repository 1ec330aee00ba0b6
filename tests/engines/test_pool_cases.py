"""The hand-worked settlement cases in pool_cases/, run end to end through the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.engines.pool_support import add_pool_partners, run_case
from totalplace.place import Place

CASES = sorted((Path(__file__).parent / "pool_cases").glob("*.yaml"))


def test_there_are_at_least_twelve_cases() -> None:
    assert len(CASES) >= 12


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, sqlite_place: Place) -> None:
    add_pool_partners(sqlite_place)
    failures = run_case(sqlite_place, yaml.safe_load(path.read_text("utf-8")))
    assert failures == []
