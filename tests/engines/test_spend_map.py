"""The spending map on a small place whose answers can be worked out by hand, on DuckDB and on Spark."""

from __future__ import annotations

import json

import pytest

from tests.engines.conftest import require_spark
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.spendmap import SpendMap, build_spend_map, load_rules
from totalplace.engines.spendmap.lines import find_lines
from totalplace.errors import InvalidInputError
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.partners import add_partner

COUNCIL = """OrganisationalUnit,BeneficiaryName,PaymentDate,Amount,Purpose,ProclassLabel,ProclassCode
PHYS SUPP 85+ LT,Care Home Ltd,2024-05-01,1000.00,EXT RES CARE FEES,SOCIAL CARE : Residential Care,321311
Libraries,Books Ltd,2024-06-01,300.00,Books,EDUCATION : Library Books,170000
NA,HMRC,2024-06-30,500.00,PAYE Tax,NA,NA
Mystery,Someone,2024-07-01,200.00,Things,NA,NA
Libraries,Books Ltd,2023-06-01,50.00,Books,EDUCATION : Library Books,170000
"""
NHS = """Payment Date,Supplier Name,Amount,Description,Cost Centre
01/05/2024,Care Home Ltd,400.00,Nursing care fees,Older people
"""
AREAS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": code, "name": code, "population": pop},
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        }
        for code, pop in (("E01000001", 1), ("E01000002", 2))
    ],
}


@pytest.fixture(scope="module")
def spend_place(module_place: Place) -> Place:
    """The council's and the NHS's spending over two small areas (built once; the tests only read it)."""
    return _place(module_place)


def _place(place: Place) -> Place:
    with place.begin() as conn:
        add_partner(conn, name="NHS", kind="nhs", code=None, actor="t")
    import_file(
        place,
        json.dumps(AREAS).encode(),
        ImportRequest("geography", options={"level": "lsoa"}),
        principal=OPERATOR,
        source_name="a.geojson",
    )
    import_file(
        place,
        COUNCIL.encode(),
        ImportRequest("spend", "Council"),
        principal=OPERATOR,
        source_name="council.csv",
    )
    import_file(place, NHS.encode(), ImportRequest("spend", "NHS"), principal=OPERATOR, source_name="nhs.csv")
    return place


@pytest.fixture(scope="module")
def maps_built() -> dict[str, SpendMap]:
    """The 2024-25 map on each backend, built once (Spark takes tens of seconds over it)."""
    return {}


def _map_on(place: Place, backend: str, built: dict[str, SpendMap]) -> SpendMap:
    if backend not in built:
        with place.analytics(backend) as engine:
            assert engine.name == backend
            built[backend] = build_spend_map(engine, load_rules(), year="2024-25")
    return built[backend]


def test_map_by_hand(spend_place: Place, backend_name: str, maps_built: dict[str, SpendMap]) -> None:
    spend = _map_on(spend_place, backend_name, maps_built)
    assert list(spend.years) == ["2023-24", "2024-25"]
    by_year = {(r.year, r.theme): r.pence for r in spend.by_year_theme}
    assert by_year[("2023-24", "culture_leisure")] == 5000  # every year side by side, whatever year is mapped
    assert by_year[("2024-25", "culture_leisure")] == 30000
    assert spend.total_pence == 240000 and spend.lines == 5
    assert spend.coverage == 220000 / 240000  # only "Mystery" is unclassified
    assert spend.population == 3 and spend.per_head_pence == 80000
    themes = {r.theme: r.pence for r in spend.by_theme}
    assert themes == {
        "adult_social_care": 140000,
        "workforce_costs": 50000,
        "culture_leisure": 30000,
        None: 20000,
    }
    # Prevention share: universal libraries £300 against £300 + targeted/acute care £1,400.
    assert spend.prevention_share == 30000 / 170000
    (overlap,) = spend.overlaps
    assert overlap.theme == "adult_social_care" and {p.partner for p in overlap.partners} == {
        "Council",
        "NHS",
    }
    assert spend.unclassified.pence == 20000
    rows = spend.areas.rows
    assert [r.pence for r in rows] == [80000, 160000]  # apportioned 1:2 by population, to the penny
    assert sum(r.pence for r in rows) == spend.total_pence
    assert spend.areas.apportioned_pence == spend.total_pence


def test_drill_down_names_the_rule(spend_place: Place, backend_name: str) -> None:
    with spend_place.analytics() as engine:
        assert engine.name == backend_name
        found = find_lines(engine, load_rules(), theme="adult_social_care", year="2024-25")
        assert found.count == 2 and found.pence == 140000
        assert {r.rule_id for r in found.lines} == {"kw.asc-older-band"}
        assert find_lines(engine, load_rules(), unclassified=True).lines[0].supplier == "Someone"
        # A supplier's name matches literally (its own % and _ are not wildcards), a partner in any case.
        care = find_lines(engine, load_rules(), supplier="CARE home", partner="nhs")
        assert [(r.partner, r.amount_pence, r.date) for r in care.lines] == [("NHS", 40000, "2024-05-01")]
        assert find_lines(engine, load_rules(), supplier="care_home").count == 0


@pytest.mark.spark
def test_the_map_is_the_same_on_spark(spend_place: Place, maps_built: dict[str, SpendMap]) -> None:
    require_spark()
    expected = _map_on(spend_place, "duckdb", maps_built)
    assert _map_on(spend_place, "spark", maps_built).to_dict() == expected.to_dict()


def test_a_year_that_is_not_a_financial_year_is_refused(spend_place: Place) -> None:
    with spend_place.analytics() as engine:
        for bad in ("abc", "2024", "2024-26", "24-25"):
            with pytest.raises(InvalidInputError):
                build_spend_map(engine, load_rules(), year=bad)
        with pytest.raises(InvalidInputError):
            find_lines(engine, load_rules(), year="2024/25")
