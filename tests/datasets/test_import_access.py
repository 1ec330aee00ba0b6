"""The access policy over imported data and indicators, asked by the library itself (issue 15).

Each hole found in the demo as ``nhs-finance`` is reproduced here and must not get through: counting its own
file into the police-owned anti-social-behaviour indicator, downloading another partner's raw spend file,
and changing data of the whole place (geography, census, area measures, observations, aggregations).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.datasets.files import GOOD_ROWS, HEADER, csv_bytes
from tests.engines.segment_support import add_oas, oa_code
from totalplace.datasets.access import kind_actions, may_download
from totalplace.datasets.export import export_batch
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.maps import import_measures
from totalplace.engines.outcomes.aggregate import aggregate_records
from totalplace.engines.outcomes.cohorts import cohort_file_reports
from totalplace.engines.outcomes.framework import parse_framework, save_framework
from totalplace.engines.outcomes.owners import check_partners
from totalplace.errors import (
    ImportRejectedError,
    InvalidInputError,
    NotFoundError,
    PartnerRequiredError,
    PermissionDeniedError,
)
from totalplace.governance.roles import OPERATOR, Principal
from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.areas import list_areas
from totalplace.store.catalog import list_batches
from totalplace.store.partners import add_partner, partner_by_name
from totalplace.store.users import RoleGrant

FRAMEWORK = """
name: testshire
title: Testshire outcomes
outcomes:
  - name: safer
    title: Safer streets
    indicators:
      - {id: S01, title: Anti-social behaviour incidents, polarity: low_is_good, multiplier: 1000,
         partner: Police}
      - {id: H01, title: Emergency admissions, polarity: low_is_good, partner: NHS}
      - {id: P01, title: Residents who feel safe, polarity: high_is_good}
"""
OBSERVATIONS = "indicator_id,area_code,period,count,denominator\n{id},E06000001,2024/25,39,10000\n"
WARDS = "code,name,population\nE05000001,North,5000\nE05000002,South,{south}\n"


@pytest.fixture
def partnered(sqlite_place: Place) -> Place:
    with sqlite_place.begin() as conn:
        for name, kind in (("NHS", "nhs"), ("Police", "police")):
            add_partner(conn, name=name, kind=kind, code=None, actor="t")
        save_framework(conn, FRAMEWORK, principal=OPERATOR)
    return sqlite_place


def _as(place: Place, role: str, partner: str | None, purpose: str = "finance") -> Principal:
    with place.read() as conn:
        pid = partner_by_name(conn, partner).id if partner else None
    return Principal(f"{role}-{partner or 'place'}", False, (RoleGrant(role, pid, partner, purpose),))


def _spend(place: Place, partner: str | None, who: Principal, name: str = "s.csv") -> int:
    data = csv_bytes(HEADER + "\n" + GOOD_ROWS + f"01/05/2024,{name},1.00,x\n")
    request = ImportRequest("spend", partner)
    return import_file(place, data, request, principal=who, source_name=name).batch.id


def _observations(place: Place, indicator: str, who: Principal) -> int:
    body = OBSERVATIONS.format(id=indicator).encode()
    result = import_file(place, body, ImportRequest("observations"), principal=who, source_name="o.csv")
    return result.batch.id


def test_each_kind_names_the_action_its_import_takes() -> None:
    actions = {kind: action for kind, _whose, action in kind_actions()}
    assert actions == {
        "spend": "batch.import",
        "geography": "geography.change",
        "census": "geography.change",
        "assets": "batch.import",
        "observations": "indicator.count",
        "person_records": "records.import",
    }


def test_a_partner_imports_only_its_own_spending_and_never_for_no_partner(partnered: Place) -> None:
    nhs = _as(partnered, "partner_finance", "NHS")
    with pytest.raises(PermissionDeniedError):
        _spend(partnered, "Council", nhs)
    with pytest.raises(PartnerRequiredError):
        _spend(partnered, None, nhs)
    with pytest.raises(PartnerRequiredError):  # not even an administrator imports spend for nobody
        _spend(partnered, None, OPERATOR)
    batch = _spend(partnered, "NHS", nhs)
    with partnered.read() as conn:
        (mine,) = [b for b in list_batches(conn) if b.id == batch]
    assert (mine.partner_name, mine.importer) == ("NHS", nhs.username)


def test_nhs_cannot_change_the_whole_places_geography(partnered: Place) -> None:
    """The hole: nhs-finance uploaded wards with a population of -5 and the ward map failed for everyone."""
    nhs = _as(partnered, "partner_finance", "NHS")
    body = WARDS.format(south=4000).encode()
    for partner in (None, "NHS"):
        request = ImportRequest("geography", partner, options={"level": "ward"})
        with pytest.raises(PermissionDeniedError if partner is None else InvalidInputError):
            import_file(partnered, body, request, principal=nhs, source_name="wards.csv")
    with partnered.read() as conn:
        assert list_areas(conn, "ward") == []
    analyst = _as(partnered, "analyst", None, "analysis")
    request = ImportRequest("geography", None, options={"level": "ward"})
    import_file(partnered, body, request, principal=analyst, source_name="wards.csv")
    lead = _as(partnered, "partnership_lead", None, "planning")
    import_file(partnered, WARDS.format(south=4100).encode(), request, principal=lead, source_name="w2.csv")
    with partnered.read() as conn:
        assert [a.population for a in list_areas(conn, "ward")] == [5000, 4100]


@pytest.mark.parametrize(
    ("south", "code"), [("-5", "TP543"), ("12.5", "TP533"), ("lots", "TP533"), ("1e3", "TP533")]
)
def test_a_ward_population_must_be_a_whole_number_not_below_zero(
    partnered: Place, south: str, code: str
) -> None:
    request = ImportRequest("geography", None, options={"level": "ward"})
    with pytest.raises(ImportRejectedError) as refused:
        import_file(
            partnered, WARDS.format(south=south).encode(), request, principal=OPERATOR, source_name="w.csv"
        )
    (problem,) = refused.value.problems
    assert (problem.code, problem.file, problem.row, problem.column) == (code, "w.csv", 3, "population")
    with partnered.read() as conn:
        assert list_areas(conn, "ward") == []


def test_a_negative_population_in_geojson_is_refused_too(partnered: Place) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"code": "E05000001", "name": "North", "population": -5},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-2.4, 53.4], [-2.39, 53.4], [-2.39, 53.41], [-2.4, 53.41], [-2.4, 53.4]]],
            },
        }
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    request = ImportRequest("geography", None, options={"level": "ward"})
    with pytest.raises(ImportRejectedError) as refused:
        import_file(partnered, body, request, principal=OPERATOR, source_name="wards.geojson")
    assert [(p.code, p.column) for p in refused.value.problems] == [("TP543", "population")]


def test_nhs_cannot_count_into_the_police_indicator(partnered: Place, tmp_path: Path) -> None:
    """The hole: nhs-finance counted its own file into the police-owned anti-social-behaviour indicator."""
    nhs = _as(partnered, "partner_finance", "NHS")
    with pytest.raises(PermissionDeniedError, match="indicator S01"):
        _observations(partnered, "S01", nhs)
    add_oas(partnered, tmp_path, 2)
    records = tmp_path / "asb.csv"
    records.write_text(f"case,oa\nc1,{oa_code(0)}\nc2,{oa_code(1)}\n")
    common = {"title": "ASB", "period": "2024/25", "level": "oa", "area_column": "oa"}
    with pytest.raises(PermissionDeniedError):
        aggregate_records(partnered, records, indicator="S01", principal=nhs, **common)  # type: ignore[arg-type]
    with partnered.read() as conn:
        assert [b.kind for b in list_batches(conn, kind="observations")] == []
    police = _as(partnered, "partner_finance", "Police")
    batch = _observations(partnered, "S01", police)
    result, _ = aggregate_records(partnered, records, indicator="S01", principal=police, **common)  # type: ignore[arg-type]
    with partnered.read() as conn:
        owners = {b.id: b.partner_name for b in list_batches(conn, kind="observations")}
    assert owners == {batch: "Police", result.batch.id: "Police"}
    assert _observations(partnered, "H01", nhs)  # its own indicator


def test_an_indicator_of_the_whole_place_needs_a_place_wide_role(partnered: Place) -> None:
    for indicator in ("P01", "NOT-IN-FRAMEWORK"):
        with pytest.raises(PermissionDeniedError):
            _observations(partnered, indicator, _as(partnered, "partner_finance", "Police"))
    assert _observations(partnered, "P01", _as(partnered, "analyst", None, "analysis"))


def test_a_file_counting_into_several_indicators_needs_every_one(partnered: Place) -> None:
    body = (OBSERVATIONS.format(id="S01") + "H01,E06000001,2024/25,3,100\n").encode()
    police = _as(partnered, "partner_finance", "Police")
    with pytest.raises(PermissionDeniedError, match="H01"):
        import_file(partnered, body, ImportRequest("observations"), principal=police, source_name="two.csv")
    result = import_file(
        partnered, body, ImportRequest("observations"), principal=OPERATOR, source_name="t.csv"
    )
    assert result.batch.partner_id is None  # two partners' indicators: the batch is the place's


def test_an_indicator_partner_the_place_does_not_have_is_refused(partnered: Place) -> None:
    framework = parse_framework(FRAMEWORK.replace("partner: Police", "partner: Constabulary"))
    with partnered.read() as conn, pytest.raises(NotFoundError, match="Constabulary"):
        check_partners(conn, framework)
    with partnered.begin() as conn:
        save_framework(
            conn, FRAMEWORK.replace("partner: Police", "partner: Constabulary"), principal=OPERATOR
        )
    with pytest.raises(NotFoundError, match="Constabulary"):
        _observations(partnered, "S01", OPERATOR)


def test_census_tables_and_area_measures_are_the_places(partnered: Place, tmp_path: Path) -> None:
    add_oas(partnered, tmp_path, 2)
    path = tmp_path / "imd.csv"
    path.write_text(f"code,score\n{oa_code(0)},3\n{oa_code(1)},7\n")
    nhs = _as(partnered, "partner_finance", "NHS")
    with pytest.raises(PermissionDeniedError):
        import_measures(partnered, path, name="imd", columns=["score"], level="oa", principal=nhs)
    with pytest.raises(PermissionDeniedError):
        import_file(partnered, path.read_bytes(), ImportRequest("census"), principal=nhs, source_name="c.csv")
    analyst = _as(partnered, "analyst", None, "analysis")
    result, _ = import_measures(partnered, path, name="imd", columns=["score"], level="oa", principal=analyst)
    assert result.batch.partner_id is None and result.batch.importer == analyst.username


def test_a_cohort_is_analysed_only_by_those_who_count_into_indicators() -> None:
    auditor = Principal("auditor", False, (RoleGrant("auditor", None, None, "audit"),))
    with pytest.raises(PermissionDeniedError):
        cohort_file_reports(
            b"group,x_before,x_after\nreferred,1,0\n",
            "c.csv",
            outcomes=["x"],
            group="group",
            referred_value="referred",
            covariates=[],
            principal=auditor,
        )


def test_raw_rows_download_for_the_importing_partner_leads_and_auditors(partnered: Place) -> None:
    """The hole: nhs-finance could download any partner's raw spend file."""
    council = _spend(partnered, "Council", OPERATOR)
    nhs_batch = _spend(partnered, "NHS", OPERATOR, "nhs.csv")
    nhs = _as(partnered, "partner_finance", "NHS")
    with pytest.raises(PermissionDeniedError):
        export_batch(partnered, council, "csv", principal=nhs)
    with pytest.raises(PermissionDeniedError):
        export_batch(partnered, council, "csv", principal=_as(partnered, "analyst", None, "analysis"))
    allowed = (
        nhs,
        _as(partnered, "partnership_lead", None, "planning"),
        _as(partnered, "auditor", None, "audit"),
    )
    for who in allowed:
        batch, body = export_batch(partnered, nhs_batch, "csv", principal=who)
        assert b"nhs.csv" in body and may_download(who, batch)
        with partnered.read() as conn:
            record = next(audit.records(conn, limit=1, newest_first=True))
        assert (record.action, record.actor, record.object_id) == (
            "batch.export",
            who.username,
            str(nhs_batch),
        )
        assert json.loads(record.detail)["read"] == "restricted"
    with partnered.read() as conn:
        council_batch = next(b for b in list_batches(conn) if b.id == council)
    assert not may_download(nhs, council_batch)


def test_a_batch_of_the_whole_places_data_downloads_for_leads_and_auditors(partnered: Place) -> None:
    request = ImportRequest("geography", None, options={"level": "ward"})
    batch = import_file(partnered, WARDS.format(south=1).encode(), request, principal=OPERATOR).batch
    with pytest.raises(PermissionDeniedError):
        export_batch(partnered, batch.id, "csv", principal=_as(partnered, "partner_finance", "NHS"))
    export_batch(partnered, batch.id, "csv", principal=_as(partnered, "partnership_lead", None, "planning"))
    export_batch(partnered, batch.id, "xlsx", principal=_as(partnered, "auditor", None, "audit"))


def test_the_store_itself_never_keeps_a_negative_population(partnered: Place) -> None:
    from totalplace.store.areas import AreaRow, upsert_areas

    row = AreaRow("E05000009", "X", "ward", None, -5, None, None, None)
    with partnered.begin() as conn, pytest.raises(InvalidInputError, match="E05000009"):
        upsert_areas(conn, [row], batch_id=1, actor="t")


def test_the_guide_shows_the_kind_to_action_table_of_the_code() -> None:
    from totalplace.datasets.access import kinds_markdown

    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide.md").read_text(encoding="utf-8")
    assert kinds_markdown() in guide


def test_only_who_could_import_a_batch_may_supersede_it(partnered: Place) -> None:
    from totalplace.datasets.importer import supersede_batch

    old = _spend(partnered, "Council", OPERATOR, "old.csv")
    new = _spend(partnered, "Council", OPERATOR, "new.csv")
    with pytest.raises(PermissionDeniedError):
        supersede_batch(partnered, old, new, principal=_as(partnered, "partner_finance", "NHS"))
    supersede_batch(partnered, old, new, principal=_as(partnered, "partner_finance", "Council"))
    with partnered.read() as conn:
        assert {b.id: b.status for b in list_batches(conn)}[old] == "superseded"
