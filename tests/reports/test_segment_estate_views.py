"""The segment, estate and home views: the tables the commands print and the home page's data, from typed
results built by hand (no place needed)."""

from __future__ import annotations

from totalplace.engines.estate.access import Access, AreaAccess, Within
from totalplace.engines.segment.cluster import Diagnostic
from totalplace.place import PlaceConfig
from totalplace.reports.estate import access_view
from totalplace.reports.home import PlaceFacts, home_page
from totalplace.reports.segment import diagnostics_view
from totalplace.store.areas import Area
from totalplace.store.partners import Partner


def test_diagnostics_are_formatted_once_for_the_table() -> None:
    rows = [Diagnostic(2, 12.345, 0.41234, (30, 10), 0.25), Diagnostic(3, 8.0, None, (20, 12, 8), 0.2)]
    view = diagnostics_view(rows)
    assert view.to_dict() == {"diagnostics": [r.to_dict() for r in rows]}
    assert view.to_dict()["diagnostics"][0]["sizes"] == [30, 10]
    (table,) = view.tables
    assert table.rows == (("2", "12.3", "0.412", "25.0%", "30, 10"), ("3", "8.0", "", "20.0%", "20, 12, 8"))


def test_access_lists_the_furthest_areas_first() -> None:
    access = Access(
        "library",
        "lsoa",
        2,
        (
            AreaAccess("E1", "Near", 1000, 120.4, "Central", "Council"),
            AreaAccess("E2", "Far", 500, 2500.0, "Hub", "Council"),
        ),
        (Within(800, 1000, 2 / 3, 1), Within(3200, 1500, 1.0, 2)),
        1500,
        913.6,
        120.4,
        2500.0,
        {"population-weighted": 2, "boundary centre": 0},
    )
    view = access_view(access)
    assert "on average 914 m" in view.headline and "furthest area 2,500 m" in view.headline
    within, furthest = view.tables
    assert within.rows[0] == ("800 m", "1,000", "66.7%", "1") and within.rows[1][2] == "100.0%"
    assert [r[0] for r in furthest.rows] == ["E2", "E1"]
    assert view.to_dict()["within"][0] == {"metres": 800, "population": 1000, "share": 2 / 3, "areas": 1}


def test_home_page_counts_batches_and_names_levels() -> None:
    facts = PlaceFacts(
        (Partner(1, "Council", "local_authority", None, "2024-01-01"),),
        (),
        {"lsoa": {"areas": 3, "population": 4500, "with_boundary": 3}, "unknown": {"areas": 1}},
        (Area("W1", "Ward 1", "ward", None, 4500, True),),
        2,
    )
    config = PlaceConfig("Testshire", "E06000001", "2024-01-01", "sqlite", 1)
    view = home_page(config, "lead", facts)
    data = view.to_dict()
    assert data["partners"] == [
        {"id": 1, "name": "Council", "kind": "local_authority", "code": None, "created_at": "2024-01-01"}
    ]
    assert data["geography"] == {"lsoa": {"areas": 3, "population": 4500, "with_boundary": 3}}
    pool = next(e for e in data["engines"] if e["stage"] == "pool")
    assert pool == {
        "link": "/pools",
        "stage": "pool",
        "engine": "Pooled funds and settlement",
        "input": None,
        "input_batches": 0,
        "installed": True,
        "produced": "2 pooled funds",
    }
    assert set(view.charts) == {"population"}
