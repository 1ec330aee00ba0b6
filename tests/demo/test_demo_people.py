"""The demo's residents go into a place through the records step, under the demo's sharing agreements.

Runs once the records step (``datasets/records.py``) and the demo's agreements (``demo/sharing.py``) are in
the tree; until then it is skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_place
from totalplace.demo import PARTNERS
from totalplace.demo.people import add_people
from totalplace.demo.sources import SOURCES
from totalplace.store.partners import add_partner


def test_every_agreed_extract_is_imported_and_the_opt_out_applied(tmp_path: Path) -> None:
    pytest.importorskip("totalplace.datasets.records")
    sharing = pytest.importorskip("totalplace.demo.sharing")
    place = make_place(tmp_path / "place")
    with place.begin() as conn:
        for name, kind in PARTNERS[1:]:  # make_place made a "Council"; the demo's six partners besides
            add_partner(conn, name=name, kind=kind, code=None, actor="test")
        add_partner(conn, name=PARTNERS[0][0], kind=PARTNERS[0][1], code=None, actor="test")
    sharing.add_sharing(place)
    summary = add_people(place, tmp_path / "work", tmp_path / "truth", link=False)
    assert (tmp_path / "truth" / "truth_records.csv").exists()
    assert not (place.dir / "truth").exists()
    assert summary.not_agreed == [] and len(summary.imported) == 2 * len(SOURCES)
    care = summary.imported["northbridge-early-help-direct-care/nhs_urgent_contacts"]
    planning = summary.imported["northbridge-population-health-planning/nhs_urgent_contacts"]
    assert 0.9 * care < planning < care  # the opt-out, and records with no NHS number, left out of planning
    assert (
        summary.imported["northbridge-population-health-planning/housing"]
        == (summary.imported["northbridge-early-help-direct-care/housing"])
    )
    place.close()
