"""The published spending files import as released and reconcile to the penny; the default rules cover them."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from totalplace.datasets.cra import CraShare, cra_to_spend_csv
from totalplace.datasets.importer import ImportRequest, import_file, parse_file
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import read_path
from totalplace.engines.spendmap import build_spend_map, load_rules
from totalplace.engines.spendmap.preview import preview_map
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.partners import add_partner

TRAFFORD_ROWS = 210_068
TRAFFORD_PENCE = 56_521_957_374  # £565,219,573.74, the sum of the file's Amount column
LAMBETH_ROWS = 3_155
# Every amount in the file, with the 639 rows whose delimiters were lost re-split (checked independently).
LAMBETH_PENCE = 4_029_233_484


@pytest.fixture
def finance(shared_data: Path) -> Path:
    return shared_data / "la_finance"


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Place:
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    place = Place.init(tmp_path / "p", name="Trafford", code="E08000009")
    with place.begin() as conn:
        add_partner(conn, name="Trafford Council", kind="local_authority", code=None, actor="t")
        add_partner(conn, name="Lambeth Council", kind="local_authority", code=None, actor="t")
    return place


def test_trafford_supplier_spend_reconciles_to_the_penny(place: Place, finance: Path) -> None:
    result = import_file(
        place,
        finance / "trafford-supplier-spend-2024-25.zip",
        ImportRequest("spend", "Trafford Council"),
        principal=OPERATOR,
    )
    assert result.effect["format"] == "transparency"
    assert result.batch.row_count == TRAFFORD_ROWS
    assert result.batch.totals == {"amount_pence": TRAFFORD_PENCE}
    assert "repaired_rows" not in result.effect
    with place.analytics() as engine:
        rows = engine.query(
            "select count(*) as n, sum(amount_pence) as p, min(date) as first, max(date) as last from spend"
        ).to_pylist()[0]
    assert (rows["n"], rows["p"]) == (TRAFFORD_ROWS, TRAFFORD_PENCE)
    assert (rows["first"].isoformat(), rows["last"].isoformat()) == ("2024-04-02", "2025-03-31")


def test_default_rules_classify_at_least_95_percent_of_trafford(finance: Path) -> None:
    limits = ImportLimits.from_settings()
    path = finance / "trafford-supplier-spend-2024-25.zip"
    parsed = parse_file(read_path(path, limits), path.name, ImportRequest("spend"), limits)
    spend = preview_map(parsed, load_rules(), "Trafford Council")
    assert spend.total_pence == TRAFFORD_PENCE
    assert spend.coverage >= 0.95, spend.unclassified


def test_grants_and_card_files_import(place: Place, finance: Path) -> None:
    grants = import_file(
        place,
        finance / "trafford_council_voluntary_sector_grants.csv",
        ImportRequest("spend", "Trafford Council"),
        principal=OPERATOR,
    )
    assert grants.effect["format"] == "360giving"
    assert grants.batch.row_count == 555
    card = import_file(
        place,
        finance / "government_procurement_card_transactions_2024-25.csv.gz",
        ImportRequest("spend", "Trafford Council"),
        principal=OPERATOR,
    )
    assert card.effect["format"] == "card"
    assert card.batch.row_count == 8_134
    with place.analytics() as engine:
        coded = engine.query(
            "select count(*) as n from spend where merchant_category is not null"
        ).to_pylist()
    assert coded == [{"n": 8_134}]


def test_lambeth_header_variant_with_lost_delimiters(place: Place, finance: Path) -> None:
    result = import_file(
        place,
        finance / "lambeth_invoices_over_500_2012-06.csv.gz",
        ImportRequest("spend", "Lambeth Council"),
        principal=OPERATOR,
    )
    assert result.batch.row_count == LAMBETH_ROWS
    assert result.batch.totals == {"amount_pence": LAMBETH_PENCE}
    assert len(result.effect["repaired_rows"]) == 639


@pytest.mark.spark
def test_trafford_map_is_identical_on_spark(place: Place, finance: Path) -> None:
    if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
        skip_or_fail("spark", "pyspark or Java is not installed")
    import_file(
        place,
        finance / "trafford-supplier-spend-2024-25.zip",
        ImportRequest("spend", "Trafford Council"),
        principal=OPERATOR,
    )
    with place.analytics("duckdb") as duck:
        expected = build_spend_map(duck, load_rules(), year="2024-25")
    with place.analytics("spark") as spark:
        got = build_spend_map(spark, load_rules(), year="2024-25")
    assert got.total_pence == expected.total_pence == TRAFFORD_PENCE
    assert got.by_theme == expected.by_theme
    assert got.by_stage == expected.by_stage


def _mid_2018_populations(shared: Path) -> tuple[int, int]:
    """Trafford's and the North West's mid-2018 populations, summed from the published LSOA estimates."""
    lookups = shared / "geo_lookups_population"
    with gzip.open(lookups / "geographr_lookup_ltla19_region19.csv.gz", "rt", encoding="utf-8") as handle:
        north_west = {r["ltla19_code"] for r in csv.DictReader(handle) if r["region19_name"] == "North West"}
    with gzip.open(lookups / "geographr_lookup_lsoa11_ltla19.csv.gz", "rt", encoding="utf-8") as handle:
        district = {r["lsoa11_code"]: r["ltla19_code"] for r in csv.DictReader(handle)}
    trafford = region = 0
    with gzip.open(
        lookups / "ons_sape21dt11_mid2018_lsoa_population_density_ew.csv.gz", "rt", encoding="utf-8"
    ) as f:
        for row in csv.DictReader(f):
            people = int(row["Mid-2018 population"].replace(",", ""))
            if district.get(row["Code"]) in north_west:
                region += people
            if district.get(row["Code"]) == "E08000009":
                trafford += people
    return trafford, region


def test_cra_apportions_the_region_to_the_place(place: Place, shared_data: Path, finance: Path) -> None:
    trafford, north_west = _mid_2018_populations(shared_data)
    assert 230_000 < trafford < 240_000 and 7_000_000 < north_west < 7_500_000
    share = CraShare("North West", "2017-18", trafford, north_west)
    limits = ImportLimits.from_settings()
    body, used = cra_to_spend_csv(
        read_path(finance / "hmt_cra_2018_database.csv.gz", limits), "cra", share, limits
    )
    result = import_file(
        place,
        body,
        ImportRequest("spend", "Trafford Council", format="transparency"),
        principal=OPERATOR,
        source_name=f"cra [{share.describe()}]",
    )
    assert result.batch.row_count == used > 500
    regional = _regional_pence(finance / "hmt_cra_2018_database.csv.gz")
    place_pence = result.batch.totals["amount_pence"]
    # Each line is split exactly, so the place's total is the region's times the share, within a penny a line.
    assert abs(place_pence - regional * trafford / north_west) <= used
    with place.analytics() as engine:
        spend = build_spend_map(engine, load_rules(), year="2017-18")
    assert spend.coverage == 1.0
    themes = {r.theme for r in spend.by_theme}
    assert {"welfare_support", "health_care", "education"} <= themes


def _regional_pence(path: Path) -> int:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return sum(
            int(Decimal(r["2017-18"]) * 100_000)
            for r in csv.DictReader(handle)
            if r["NUTS Region"] == "ENGLAND_North West"
            and r["ID/non-ID"] == "ID"
            and r["CG, LG, PC, BOE"] in ("CG", "PC")
            and r["2017-18"]
        )


@pytest.mark.parametrize(
    ("name", "vectorised"),
    [
        ("trafford-supplier-spend-2024-25.zip", True),
        ("government_procurement_card_transactions_2024-25.csv.gz", True),
        ("trafford_council_voluntary_sector_grants.csv", True),
        ("lambeth_invoices_over_500_2012-06.csv.gz", False),  # lost delimiters need the exact path's repair
    ],
)
def test_both_paths_read_the_published_files_identically(finance: Path, name: str, vectorised: bool) -> None:
    limits = ImportLimits.from_settings()
    data = read_path(finance / name, limits)
    quick = parse_file(data, name, ImportRequest("spend"), limits)
    exact = parse_file(data, name, ImportRequest("spend"), limits, fast=False)
    assert quick.vectorised is vectorised
    assert quick.arrow.equals(exact.arrow)
    assert quick.totals == exact.totals
