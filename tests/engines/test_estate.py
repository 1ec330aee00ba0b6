"""Reading asset registers in their three coordinate forms, refusing the wrong ones, access and candidates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from tests.engines.segment_support import add_oas
from totalplace.datasets.assets import AreaShapes, PostcodeCentres, assets_to_csv, normalise_postcode
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.datasets.limits import ImportLimits
from totalplace.engines.estate import parameters
from totalplace.engines.estate.access import default_bands, service_access
from totalplace.engines.estate.candidates import CandidateRules, candidates
from totalplace.engines.estate.sites import import_sites
from totalplace.errors import ConfigurationError, EstateError, ImportRejectedError, InvalidInputError
from totalplace.governance.roles import OPERATOR
from totalplace.parameters import ParameterFile, load_parameter
from totalplace.place import Place
from totalplace.store.partners import add_partner

LIMITS = ImportLimits.from_settings()
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _read(text: str, **kwargs: object) -> tuple[list[list[str]], dict[str, object]]:
    body, info = assets_to_csv(text.encode(), "sites.csv", limits=LIMITS, areas=None, **kwargs)  # type: ignore[arg-type]
    rows = [line.split(",") for line in body.decode().splitlines()]
    return rows, info.to_dict()


def test_wgs84_bng_and_postcodes_agree() -> None:
    east, north = TO_BNG.transform(-2.3520922, 53.3879587)
    wgs, _ = _read("name,type,lon,lat\nTown Hall,office,-2.3520922,53.3879587\n")
    bng, _ = _read(f"NAME,CATEGORY,EASTING,NORTHING\nTown Hall,office,{east},{north}\n")
    postcodes = PostcodeCentres({"WA14 1PF": (east, north)})
    pcd, info = _read("name,type,postcode\nTown Hall,office,wa141pf\n", postcodes=postcodes)
    for rows in (wgs, bng, pcd):
        lon, lat, e, n = (float(v) for v in rows[1][4:8])
        assert lon == pytest.approx(-2.3520922, abs=1e-5) and lat == pytest.approx(53.3879587, abs=1e-5)
        assert e == pytest.approx(east, abs=0.2) and n == pytest.approx(north, abs=0.2)
    assert info["located_by"] == {"postcode": 1}
    assert pcd[1][8] == "WA14 1PF" == normalise_postcode(" wa14  1pf ")


def test_grid_metres_under_degree_headers_are_detected() -> None:
    with pytest.raises(ImportRejectedError) as refused:
        _read("name,type,lon,lat\nDepot,office,376680,387959\n")
    (problem,) = refused.value.problems
    assert (
        problem.code == "TP545"
        and problem.row == 2
        and problem.column == "lon"
        and "--crs bng" in problem.message
    )
    rows, _ = _read("name,type,lon,lat\nDepot,office,376680,387959\n", crs="bng")
    assert float(rows[1][4]) == pytest.approx(-2.352, abs=1e-3)


def test_degrees_read_as_grid_are_detected() -> None:
    with pytest.raises(ImportRejectedError) as refused:
        _read("name,type,x,y\nDepot,office,-2.35,53.38\n", crs="bng")
    assert refused.value.problems[0].code == "TP545"


def test_positions_outside_the_country_are_refused() -> None:
    with pytest.raises(ImportRejectedError) as refused:
        _read("name,type,lon,lat\nParis,office,2.35,48.85\nOK,office,-2.3,53.4\nSea,office,-20,53\n")
    assert [(p.code, p.row) for p in refused.value.problems] == [("TP544", 2), ("TP544", 4)]
    with pytest.raises(ImportRejectedError) as far:
        _read("name,type,easting,northing\nFar,office,900000,100000\n")
    assert far.value.problems[0].code == "TP544"


def test_swapped_longitude_and_latitude_are_put_right_and_reported() -> None:
    rows, info = _read("name,type,lon,lat\nA,office,53.4,-2.3\nB,office,-2.3,53.4\n")
    assert rows[1][4:6] == ["-2.300000", "53.400000"]
    assert info["swapped_longitude_latitude_rows"] == [2]


def test_unknown_postcodes_refuse_or_are_set_aside() -> None:
    postcodes = PostcodeCentres({"M1 1AA": (384000.0, 398000.0)})
    text = "name,type,postcode\nA,office,M1 1AA\nB,office,ZZ9 9ZZ\nC,office,\n"
    with pytest.raises(ImportRejectedError) as refused:
        _read(text, postcodes=postcodes)
    assert [(p.code, p.row) for p in refused.value.problems] == [("TP546", 3), ("TP547", 4)]
    rows, info = _read(text, postcodes=postcodes, skip_unlocated=True)
    assert len(rows) == 2 and len(info["set_aside_unlocated"]) == 2  # type: ignore[arg-type]


def test_a_register_without_positions_or_type_is_refused_with_what_to_do() -> None:
    with pytest.raises(InvalidInputError, match="--postcodes"):
        _read("name,type,postcode\nA,office,M1 1AA\n")
    with pytest.raises(InvalidInputError, match="--type"):
        _read("name,lon,lat\nA,-2.3,53.4\n")


def test_geojson_points_and_polygons() -> None:
    square = [[-2.31, 53.40], [-2.30, 53.40], [-2.30, 53.41], [-2.31, 53.41], [-2.31, 53.40]]
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Library"},
                "geometry": {"type": "Point", "coordinates": [-2.3, 53.4]},
            },
            {
                "type": "Feature",
                "properties": {"name": "Hospital"},
                "geometry": {"type": "Polygon", "coordinates": [square]},
            },
        ],
    }
    body, info = assets_to_csv(
        json.dumps(document).encode(), "s.geojson", limits=LIMITS, areas=None, asset_type="site"
    )
    assert info.located_by == {"point": 1, "polygon centroid": 1}
    assert b"-2.305000,53.405000" in body


def test_point_in_polygon_assignment() -> None:
    shapes = AreaShapes.of(
        [
            (
                "E00000001",
                json.dumps(
                    {"type": "Polygon", "coordinates": [[[0, 50], [1, 50], [1, 51], [0, 51], [0, 50]]]}
                ),
            )
        ]
    )
    assert shapes.area_of(0.5, 50.5) == "E00000001" and shapes.area_of(1.5, 50.5) == ""


@pytest.fixture
def estate_place(sqlite_place: Place, tmp_path: Path) -> Place:
    add_oas(sqlite_place, tmp_path, 100)  # a 10 x 10 grid of 0.002-degree squares from (-2.40, 53.40)
    with sqlite_place.begin() as conn:
        add_partner(conn, name="NHS", kind="nhs", code=None, actor="t")
    council = tmp_path / "council.csv"
    council.write_text(
        "name,type,lon,lat,floor area,running cost\n"
        'Library West,library,-2.3990,53.4010,400,"£12,000.50"\n'
        "Library East,library,-2.3830,53.4170,300,9000\n"
        "Library Twin,library,-2.3985,53.4012,250,\n",
        encoding="utf-8",
    )
    nhs = tmp_path / "nhs.csv"
    nhs.write_text("name,lon,lat\nSurgery,-2.3991,53.4011\n", encoding="utf-8")
    import_sites(sqlite_place, council, principal=OPERATOR, partner="Council")
    import_sites(sqlite_place, nhs, principal=OPERATOR, partner="NHS", asset_type="GP practice")
    return sqlite_place


def test_access_matches_a_brute_force_distance(estate_place: Place, tmp_path: Path) -> None:
    centres = {
        f"E00{900000 + i:06d}": TO_BNG.transform(
            -2.40 + (i % 10) * 0.002 + 0.001, 53.40 + (i // 10) * 0.002 + 0.001
        )
        for i in range(100)
    }
    path = tmp_path / "centres.csv"
    path.write_text(
        "code,x,y\n" + "".join(f"{c},{x},{y}\n" for c, (x, y) in centres.items()), encoding="utf-8"
    )
    import_file(
        estate_place,
        path,
        ImportRequest("geography", None, options={"level": "oa", "update_only": "yes"}),
        principal=OPERATOR,
    )
    access = service_access(estate_place, "library", level="oa", bands=(500, 3000))
    sites = np.array(
        [TO_BNG.transform(x, y) for x, y in ((-2.3990, 53.4010), (-2.3830, 53.4170), (-2.3985, 53.4012))]
    )
    for row in access.areas:
        expected = np.hypot(*(sites - np.array(centres[row.code])).T).min()
        assert row.distance_m == pytest.approx(expected, abs=0.5)
    assert access.centres == {"population-weighted": 100, "boundary centre": 0}
    assert access.sites == 3 and access.population == sum(300 + i for i in range(100))
    assert access.bands[-1].share == 1.0 and 0 < access.bands[0].population < access.population
    within = sum(300 + int(r.code[-3:]) for r in access.areas if r.distance_m <= 500)
    assert access.bands[0].population == within


def test_access_to_an_unknown_service_lists_the_types(estate_place: Place) -> None:
    with pytest.raises(EstateError, match="library"):
        service_access(estate_place, "swimming pool", level="oa")


def test_candidates_find_the_shared_site_and_the_redundant_twin(estate_place: Place) -> None:
    found = candidates(
        estate_place, level="oa", rules=CandidateRules(colocate_within_m=100, access_standard_m=3000)
    )
    pairs = [{s.name for s in c.sites} for c in found.colocation]
    assert {"Library West", "Surgery"} in pairs
    assert all(len({s.partner for s in c.sites}) == 2 for c in found.colocation)
    released = {c.site.name for c in found.rationalisation}
    assert released & {"Library West", "Library Twin"}, "one of two libraries 40 m apart is not needed"
    assert "Library East" not in released or found.rationalisation[0].max_distance_after_m <= 3000


def test_the_screens_use_the_cited_distances_unless_given() -> None:
    body = load_parameter("estate/distances.yaml").body
    assert default_bands() == tuple(b["metres"] for b in body["access_bands"]) == (800, 1600, 3200, 8000)
    rules = CandidateRules()
    assert rules.to_dict() == {
        "colocate_within_m": 250.0,
        "catchment_m": 1600.0,
        "min_overlap": 0.5,
        "access_standard_m": 1600.0,
    }
    assert CandidateRules(colocate_within_m=100).catchment_m == 1600.0
    assert all("verified" in b for b in body["access_bands"]), "each value says whether it was confirmed"


def test_a_refused_estate_parameter_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    cited = load_parameter("estate/distances.yaml")
    falling = [
        {"metres": 1600, "meaning": "x", "verified": True},
        {"metres": 800, "meaning": "y", "verified": True},
    ]
    bad = ParameterFile(**{**cited.__dict__, "body": {**cited.body, "access_bands": falling}})
    monkeypatch.setattr(parameters, "load_parameter", lambda _name: bad)
    parameters.estate_distances.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="access_bands"):
            parameters.estate_distances()
    finally:
        parameters.estate_distances.cache_clear()


def test_candidates_json_is_the_typed_result(estate_place: Place) -> None:
    found = candidates(estate_place, level="oa", rules=CandidateRules(colocate_within_m=100))
    data = found.to_dict()
    assert list(data) == ["rules", "sites", "colocation", "rationalisation"] and data["sites"] == 4
    first = data["colocation"][0]
    assert list(first) == ["sites", "distance_m", "catchment_overlap", "shared_population", "evidence"]
    assert list(first["sites"][0]) == [
        "asset_id",
        "name",
        "partner",
        "type",
        "lon",
        "lat",
        "floor_area",
        "running_cost_pence",
    ]
    assert json.loads(json.dumps(data)) == data
