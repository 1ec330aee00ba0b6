"""A Trafford place from the published files: ONS mid-2022 LSOA populations and the LSOA boundaries."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import shape

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.areas import boundaries, list_areas

TRAFFORD_LSOAS = 139
TRAFFORD_MID_2022 = 236_301  # the file's own local-authority row, persons, all ages


def test_trafford_lsoas_with_populations_and_boundaries(shared_data: Path, tmp_path: Path) -> None:
    place = Place.init(tmp_path / "trafford", name="Trafford", code="E08000009")
    populations = (
        shared_data
        / "geo_lookups_population"
        / "trafford_mid2022_population_estimates_all_geographies.csv.gz"
    )
    result = import_file(
        place,
        populations,
        ImportRequest(
            "geography", None, options={"level": "lsoa"}, where={"geography": "LSOA", "sex": "Persons"}
        ),
        principal=OPERATOR,
    )
    assert result.effect == {"added": TRAFFORD_LSOAS, "updated": 0}
    shapes = shared_data / "boundaries" / "trafford" / "lsoa.geojson.gz"
    result = import_file(
        place, shapes, ImportRequest("geography", None, options={"level": "lsoa"}), principal=OPERATOR
    )
    assert result.effect == {"added": 0, "updated": TRAFFORD_LSOAS}, "every boundary names a known LSOA"

    with place.read() as conn:
        areas = list_areas(conn, "lsoa")
        outlines = boundaries(conn, "lsoa")
    assert len(areas) == TRAFFORD_LSOAS
    assert all(a.has_boundary and a.population for a in areas)
    assert sum(a.population or 0 for a in areas) == TRAFFORD_MID_2022
    assert {a.name for a in areas if a.code == "E01006074"} == {"Trafford 025A"}
    polygons = [shape(json.loads(g)) for _, _, _, g in outlines]
    assert all(p.is_valid and p.area > 0 for p in polygons)
    west, south, east, north = polygons[0].bounds
    assert -2.6 < west < east < -2.2 and 53.3 < south < north < 53.5  # Trafford, in WGS84 degrees
    place.close()
