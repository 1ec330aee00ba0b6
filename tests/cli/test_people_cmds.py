"""``people profile`` and ``people areas``: the chronology and the counts, the reveal needing a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Invoke, make_place
from tests.engines.people_tables import SECRETS, stand_in
from totalplace.engines.people import profile_access


@pytest.fixture(autouse=True)
def linked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A place whose records and linkage steps answer with the small tables of the engine tests."""
    monkeypatch.setattr(profile_access, "contract_tables", lambda: stand_in())
    make_place(tmp_path / "place").close()


def test_profile_pseudonymised_then_revealed(run: Invoke) -> None:
    shown = run("people", "profile", "P0000001", "--purpose", "planning", "--json")
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert body["records"] == 3 and not [s for s in SECRETS if s in shown.output]
    table = run("people", "profile", "H0000001", "--household", "--purpose", "direct_care")
    assert table.exit_code == 0 and "Chronology" in table.output
    refused = run("people", "profile", "P0000001", "--purpose", "direct_care", "--reveal", "--json")
    assert refused.exit_code == 1 and "TP962" in refused.output
    revealed = run(
        "people", "profile", "P0000001", "--purpose", "direct_care", "--reveal", "--reason", "MASH", "--json"
    )
    assert revealed.exit_code == 0 and "9434765919" in revealed.output


def test_areas(run: Invoke) -> None:
    shown = run("people", "areas", "--purpose", "planning", "--by", "partner", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["columns"][-1] == "people"
    assert "suppressed" in run("people", "areas").output
