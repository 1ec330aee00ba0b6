"""Area measures: imported figures (other areas skipped), derived variables, segments and access, on one map.

The place is built once for the module; the measures that read the analytics backend are read on DuckDB and
on Spark (``backend_name``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines.segment_support import add_oas, import_tiny_census
from totalplace.engines.estate.sites import import_sites
from totalplace.engines.maps import available, import_measures, measure
from totalplace.engines.segment.run import BuildRequest, build_segmentation
from totalplace.errors import ImportRejectedError, InvalidInputError, NotFoundError
from totalplace.governance.roles import OPERATOR, trusted
from totalplace.place import Place
from totalplace.reports.maps import area_map


@pytest.fixture(scope="module")
def mapped(module_place: Place, tmp_path_factory: pytest.TempPathFactory) -> Place:
    sqlite_place, tmp_path = module_place, tmp_path_factory.mktemp("maps")
    codes = add_oas(sqlite_place, tmp_path, 20)
    spec = import_tiny_census(sqlite_place, tmp_path, codes)
    build_segmentation(
        sqlite_place, spec, BuildRequest("tiny", [2], seed=1, starts=3), principal=trusted("t")
    )
    deprivation = tmp_path / "imd.csv"
    deprivation.write_text(
        "LSOA code (2011),Name,IMD Decile,Change\n"
        + "".join(f"{c},Area,{1 + i % 10},{-i}\n" for i, c in enumerate(codes))
        + "E01999999,Elsewhere,5,0\nE01999998,Elsewhere,6,0\n",
        encoding="utf-8",
    )
    result, info = import_measures(
        sqlite_place,
        deprivation,
        principal=OPERATOR,
        name="imd",
        columns=["IMD Decile", "Change"],
        level="oa",
    )
    assert result.status == "imported" and info.areas == 20 and info.other_areas_ignored == 2
    sites = tmp_path / "sites.csv"
    sites.write_text("name,type,lon,lat\nLibrary,library,-2.395,53.401\n", encoding="utf-8")
    import_sites(sqlite_place, sites, principal=OPERATOR, partner="Council")
    return sqlite_place


def test_imported_measures_with_negatives_and_other_areas_skipped(mapped: Place, backend_name: str) -> None:
    decile = measure(mapped, "measure:imd:IMD Decile")
    assert decile.level == "oa" and len(decile.values) == 20 and decile.values["E00900003"] == 4
    assert measure(mapped, "measure:imd:Change").values["E00900005"] == -5
    with pytest.raises(NotFoundError):
        measure(mapped, "measure:imd:Nothing")


def test_a_measures_file_with_no_area_of_the_place_is_refused(mapped: Place, tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.csv"
    path.write_text("code,score\nE01999999,3\n", encoding="utf-8")
    with pytest.raises(ImportRejectedError, match="none of the file's 1 areas"):
        import_measures(mapped, path, principal=OPERATOR, name="x", columns=["score"], level="oa")
    with pytest.raises(InvalidInputError):
        import_measures(mapped, path, principal=OPERATOR, name="x", columns=[], level="oa")


def test_variables_segments_population_and_access(mapped: Place, backend_name: str) -> None:
    segments = measure(mapped, "segment:tiny")
    assert segments.categorical and {str(v).split()[0] for v in segments.values.values()} == {"1", "2"}
    assert len(measure(mapped, "population", level="oa").values) == 20
    distance = measure(mapped, "access:library", level="oa")
    assert len(distance.amounts()) == len(distance.values) and min(distance.amounts()) < 200
    catchment = measure(mapped, "catchment:library", level="oa")
    assert catchment.categorical and set(catchment.values.values()) == {"Library"}
    keys = {m.key for m in available(mapped)}
    assert {"population", "measure:imd:IMD Decile", "segment:tiny", "catchment:library"} <= keys
    with pytest.raises(InvalidInputError, match="unknown measure"):
        measure(mapped, "colour")


def test_any_measure_draws_as_a_choropleth(mapped: Place) -> None:
    for key in ("measure:imd:IMD Decile", "segment:tiny", "population"):
        chart = area_map(
            mapped,
            measure(mapped, key, level="oa"),
            [{"lon": -2.395, "lat": 53.401, "name": "L", "partner": "Council"}],
        )
        assert chart is not None and "<svg" in chart.svg
