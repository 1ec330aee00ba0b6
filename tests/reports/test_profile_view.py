"""The profile's views: the areas page draws a map where the place has LSOA boundaries."""

from __future__ import annotations

import json

import pyarrow as pa

from tests.engines.people_tables import people_table, records_table
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.people.areas import area_counts
from totalplace.engines.people.profile import build_profile
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.reports.profile import areas_command, areas_view, profile_command, profile_view


def _box(n: int) -> dict[str, object]:
    west = -2.45 + n * 0.01
    ring = [[west, 53.4], [west + 0.01, 53.4], [west + 0.01, 53.41], [west, 53.41], [west, 53.4]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"code": f"E0199900{n}", "name": f"Area {n}", "parent_code": None, "population": 1500},
    }


def test_the_areas_page_has_a_map_where_there_are_boundaries(sqlite_place: Place) -> None:
    counts = area_counts(records_table(), people_table(), purpose="planning")
    assert "map" not in areas_view(sqlite_place, counts).charts
    body = json.dumps({"type": "FeatureCollection", "features": [_box(n) for n in (1, 2, 3)]}).encode()
    import_file(
        sqlite_place,
        body,
        ImportRequest("geography", None, options={"level": "lsoa"}),
        principal=OPERATOR,
        source_name="lsoa.geojson",
    )
    assert "map" not in areas_view(sqlite_place, counts).charts  # every count small: nothing to draw
    ids = [f"r{k}" for k in range(60)]
    records = pa.table(
        {
            "record_id": ids,
            "partner": ["Northbridge NHS"] * 60,
            "source": ["nhs_urgent_contacts"] * 60,
            "event_date": ["2024-01-01"] * 60,
            "area_code": [f"E0199900{1 + k % 3}" for k in range(60)],
        }
    )
    people = pa.table({"record_id": ids, "person_id": [f"P{k:07d}" for k in range(60)]})
    crowd = area_counts(records, people, purpose="planning")
    view = areas_view(sqlite_place, crowd)
    assert crowd.column("people") == {"E01999001": 20, "E01999002": 20, "E01999003": 20}
    assert "<svg" in view.charts["map"].svg
    assert "suppressed" in (areas_command(counts).tables[0].note or "")


def test_the_profile_views() -> None:
    profile = build_profile(records_table(), people_table(), "person", "P0000001", purpose="direct_care")
    view = profile_view(profile, can_reveal=True)
    assert view.to_dict()["can_reveal"] and "<svg" in view.charts["timeline"].svg
    planning = build_profile(records_table(), people_table(), "person", "P0000001", purpose="planning")
    assert not profile_view(planning, can_reveal=True).to_dict()["can_reveal"]  # reveal is for direct care
    command = profile_command(profile)
    assert command.tables[0].title == "Chronology" and len(command.tables[0].rows) == 3
