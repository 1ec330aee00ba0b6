"""`totalplace spend ...`, `measures` and `map`: each prints the view's headline and tables for a person, and
the engine's own result with --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import Invoke
from tests.datasets.files import HEADER

SPEND = (
    HEADER + "\n15/05/2023,Acme Care Ltd,960.00,Care\n"
    "15/05/2024,Acme Care Ltd,1000.00,Care\n"
    "16/05/2024,Mystery Ltd,50.00,Things\n"
)
AREAS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": code, "name": code, "population": population},
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        }
        for code, population in (("E01000001", 10), ("E01000002", 30))
    ],
}


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _place(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    assert run("partner", "add", "Council", "--kind", "local_authority").exit_code == 0
    spend = tmp_path / "spend.csv"
    spend.write_text(SPEND, encoding="utf-8")
    assert run("import", "spend", str(spend), "--partner", "Council").exit_code == 0
    areas = tmp_path / "areas.geojson"
    areas.write_text(json.dumps(AREAS), encoding="utf-8")
    assert run("geography", "import", str(areas), "--level", "lsoa").exit_code == 0


def test_the_map_its_lines_and_rules(run: Invoke, tmp_path: Path) -> None:
    _place(run, tmp_path)
    data = _json(run("spend", "map", "--json"))
    assert data["total_pence"] == 201_000 and data["years"] == ["2023-24", "2024-25"]
    assert {r["year"]: r["fy_start"] for r in data["by_year_theme"]} == {"2023-24": 2023, "2024-25": 2024}
    human = run("spend", "map", "--year", "2024-25")
    assert human.exit_code == 0, human.output
    assert "Place spending map, 2024-25: £1,050.00 over 2 lines" in human.stdout
    assert "per resident" in human.stdout and "£26.25" in human.stdout  # £1,050 over 40 residents
    for title in ("By theme", "By partner", "By prevention stage", "Unclassified"):
        assert title in human.stdout
    every_year = run("spend", "map")
    assert "Years side by side" in every_year.stdout and "£960.00" in every_year.stdout

    lines = _json(run("spend", "lines", "--unclassified", "--json"))
    assert lines["count"] >= 1 and {r["supplier"] for r in lines["lines"]} >= {"Mystery Ltd"}
    shown = run("spend", "lines", "--supplier", "mystery")
    assert "1 lines, £50.00 (showing 1)" in shown.stdout

    rules = _json(run("spend", "rules", "list", "--json"))
    assert rules[0].keys() == {"id", "source", "priority", "theme", "cohort", "stage", "when"}
    assert f"{len(rules)} rules" in run("spend", "rules", "list").stdout


def test_a_measure_by_area(run: Invoke, tmp_path: Path) -> None:
    _place(run, tmp_path)
    found = _json(run("map", "population", "--json"))
    assert found == {
        "key": "population",
        "title": "Population",
        "level": "lsoa",
        "categorical": False,
        "values": {"E01000001": 10, "E01000002": 30},
    }
    table = run("map", "population")
    assert "Population by lsoa" in table.stdout
    assert table.stdout.index("E01000002") < table.stdout.index("E01000001")  # largest first
    assert {m["key"] for m in _json(run("measures", "list", "--json"))["measures"]} >= {"population"}
    assert "Measures" in run("measures", "list").stdout
