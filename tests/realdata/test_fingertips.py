"""The Fingertips download for Campylobacter incidence (indicator 93356) imported as published and benchmarked."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from statistics import NormalDist

import pytest

from tests.conftest import SHARED_DATA, skip_or_fail
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.outcomes import stats
from totalplace.engines.outcomes.benchmark import benchmark
from totalplace.engines.outcomes.comparators import la_profiles, nearest, save_set
from totalplace.engines.outcomes.framework import save_framework
from totalplace.engines.outcomes.inequality import decile_rank, inequality
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

FILE = SHARED_DATA / "public_health" / "fingertips_campylobacter_93356_countyua_inputs.csv"
FRAMEWORK = """
name: health-protection
title: Health protection
outcomes:
  - name: infections
    title: Fewer gut infections
    indicators:
      - {id: "93356", title: Campylobacter incidence, polarity: low_is_good, value_type: crude_rate, multiplier: 100000}
"""

# What Fingertips published for this indicator: Byar's limits at every count, the 20 county/UA counts below 10
# included (the publisher's interval columns are held out of the shared file; the issue measured them).
PUBLISHED_METHOD = "Byar's method (no small number correction)"
FRAMEWORK_AS_PUBLISHED = FRAMEWORK.replace(
    "multiplier: 100000}", f'multiplier: 100000, ci_method: "{PUBLISHED_METHOD}"}}'
)


@pytest.fixture
def trafford(tmp_path: Path) -> Place:
    if not FILE.exists():
        skip_or_fail("shared", f"{FILE} is absent")
    place = Place.init(tmp_path / "place", name="Trafford", code="E08000009")
    result = import_file(place, FILE, ImportRequest("observations", None), principal=OPERATOR)
    assert result.batch.row_count == 852
    return place


def test_trafford_against_england_and_its_region(trafford: Place) -> None:
    rows = benchmark(trafford).rows()
    written: list[str] = []
    benchmark(trafford).write_json(written.append)  # what --json streams: the same document
    assert json.loads("".join(written)) == benchmark(trafford).to_dict()
    assert {(r.period, r.breakdown["age"]) for r in rows} == {
        ("2015", "All ages"),
        ("2015", "0-9 yrs"),
        ("2016", "All ages"),
        ("2016", "0-9 yrs"),
        ("2017", "All ages"),
    }
    latest = next(r for r in rows if r.period == "2017")
    assert latest.count == 70 and latest.value == pytest.approx(70 / 234_673 * 100_000)
    assert latest.method == "Byars" and latest.comparison95 == "lower"  # no framework: no judgement
    expected = stats.crude_rate(70, 234_673, 0.998)
    assert latest.lower998 == pytest.approx(expected.lower[0]) and latest.upper998 == pytest.approx(
        expected.upper[0]
    )
    assert latest.trend.direction == "not calculated"  # three years published; five are needed
    with trafford.begin() as conn:
        save_framework(conn, FRAMEWORK, principal=OPERATOR)
    judged = benchmark(trafford, period="2017").rows()[0]
    assert judged.comparison95 == "better" and judged.benchmark == pytest.approx(96.6109417216)
    region = benchmark(trafford, period="2017", against="region").rows()[0]
    assert region.benchmark is not None and region.benchmark != judged.benchmark


def test_every_county_and_ua_is_compared_or_says_why(trafford: Place) -> None:
    with FILE.open(encoding="utf-8") as handle:
        codes = sorted({r["Area Code"] for r in csv.DictReader(handle) if r["Area Type"] == "County & UA"})
    rows = benchmark(trafford, areas=codes).rows()
    assert len(rows) == 760
    flags = {r.comparison95 for r in rows}
    assert flags == {"higher", "similar", "lower", "not compared"}
    unexplained = [r for r in rows if r.comparison95 == "not compared" and not r.value_note]
    assert unexplained == [], "a row is left uncompared only when the publisher says why (combined areas)"
    for r in rows:
        if r.value is not None:
            assert r.lower998 <= r.lower95 <= r.value <= r.upper95 <= r.upper998  # type: ignore[operator]


def test_the_inequality_gradient_across_englands_deciles(trafford: Place) -> None:
    found = inequality(trafford, "93356", period="2017")
    ranks = [q.rank for q in found.quantiles]
    categories = {q.category.split(" (")[0] for q in found.quantiles}
    assert len(ranks) == 10 and sorted(ranks) == list(range(1, 11)) and "Most deprived decile" in categories
    least, most = found.quantiles[-1].value, found.quantiles[0].value
    assert found.index.gap == pytest.approx(least - most)
    assert found.index.sii_lower < found.index.sii < found.index.sii_upper
    assert found.index.sii > 0, "Campylobacter is reported more in less deprived areas"
    assert decile_rank("Third less deprived decile (IMD2015)") == 8 and decile_rank("Decile 4") == 4


def test_comparators_from_open_data_and_benchmarking_against_them(trafford: Place) -> None:
    lookups = SHARED_DATA / "geo_lookups_population"
    profiles = la_profiles(
        SHARED_DATA / "imd2019" / "iod2019_file2_domains_rank_decile_lsoa.csv.gz",
        lookups / "ons_sape21dt11_mid2018_lsoa_population_density_ew.csv.gz",
        lookups / "ons_ruc11_lsoa11_ew.csv.gz",
    )
    assert len(profiles.codes) == 317  # every English local authority district of 2019
    members = nearest(profiles, "E08000009", 10)
    assert members[0].name == "Stockport" and len(members) == 10
    assert [m.distance for m in members] == sorted(m.distance for m in members)
    assert all(sum(m.contributions.values()) == pytest.approx(1, abs=0.01) for m in members)
    with trafford.begin() as conn:
        save_set(conn, name="nearest-10", area="E08000009", members=members, actor="t")
    row = benchmark(trafford, against="comparators", period="2017").rows()[0]
    with FILE.open(encoding="utf-8") as handle:
        published = [
            r
            for r in csv.DictReader(handle)
            if r["Area Code"] in {m.code for m in members}
            and r["Time period"] == "2017"
            and r["Age"] == "All ages"
            and r["Count"]
        ]
    pooled = (
        sum(float(r["Count"]) for r in published) / sum(float(r["Denominator"]) for r in published) * 100_000
    )
    assert published and row.benchmark == pytest.approx(pooled) and row.comparison95 == "lower"


def test_the_indicator_page_shows_englands_gradient_and_the_comparators(trafford: Place) -> None:
    from totalplace.engines.outcomes.indicator import gradient_and_comparators

    lookups = SHARED_DATA / "geo_lookups_population"
    profiles = la_profiles(
        SHARED_DATA / "imd2019" / "iod2019_file2_domains_rank_decile_lsoa.csv.gz",
        lookups / "ons_sape21dt11_mid2018_lsoa_population_density_ew.csv.gz",
        lookups / "ons_ruc11_lsoa11_ew.csv.gz",
    )
    with trafford.begin() as conn:
        save_set(
            conn, name="nearest-5", area="E08000009", members=nearest(profiles, "E08000009", 5), actor="t"
        )
    extra = gradient_and_comparators(trafford, "93356", "2017")
    assert extra.inequality is not None
    assert extra.inequality.area == "E92000001" and len(extra.inequality.quantiles) == 10
    names = [c.name for c in extra.comparators]
    assert names[0] == "Stockport" and all(c.value is not None for c in extra.comparators)


def test_the_funnel_of_counties_and_unitary_authorities(trafford: Place) -> None:
    """Campylobacter 2017 across the counties and UAs: the average is their pooled rate, and an area is
    significantly high or low exactly when its own 95% or 99.8% interval excludes that average."""
    from totalplace.engines.outcomes.funnel import funnel
    from totalplace.reports.outcomes import funnel_view

    with trafford.begin() as conn:
        save_framework(conn, FRAMEWORK, principal=OPERATOR)
    found = funnel(trafford, "93356")
    assert (found.period, found.area_type, found.statistic) == ("2017", "County & UA", "rate")
    with FILE.open(encoding="utf-8") as handle:
        published = [
            r
            for r in csv.DictReader(handle)
            if r["Area Type"] == "County & UA"
            and r["Time period"] == "2017"
            and r["Count"]
            and r["Denominator"]
        ]
    assert len(found.points) == len(published) > 100
    pooled = sum(float(r["Count"]) for r in published) / sum(float(r["Denominator"]) for r in published)
    assert found.baseline == pytest.approx(pooled * 100_000)
    verdicts = {"High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)", "Not significant"}
    assert {p.significance for p in found.points} == verdicts
    for point in found.points:
        wide = stats.crude_rate(point.count, point.denominator, 0.95)
        narrow = stats.crude_rate(point.count, point.denominator, 0.998)
        outside95 = not wide.lower[0] <= found.baseline <= wide.upper[0]
        outside998 = not narrow.lower[0] <= found.baseline <= narrow.upper[0]
        assert (point.significance != "Not significant") == outside95, point
        assert point.significance.endswith("(0.001)") == outside998, point
        # low is good: significantly low is better
        if point.significance.startswith("Low"):
            assert point.comparison == "better"
    assert funnel_view(found).chart().svg.startswith("<svg")


def test_the_download_takes_the_vectorised_path_and_reads_the_same() -> None:
    """A clean Fingertips file is read column-wise (Arrow), and gives exactly the table the row-by-row path
    gives; one bad row sends it back to the exact path, which names the row."""
    from totalplace.datasets.importer import parse_file
    from totalplace.datasets.limits import ImportLimits
    from totalplace.errors import ImportRejectedError

    if not FILE.exists():
        skip_or_fail("shared", f"{FILE} is absent")
    data = FILE.read_bytes()
    limits = ImportLimits.from_settings()
    request = ImportRequest("observations", None)
    fast = parse_file(data, FILE.name, request, limits)
    exact = parse_file(data, FILE.name, request, limits, fast=False)
    assert fast.vectorised and not exact.vectorised
    assert fast.arrow.equals(exact.arrow)
    lines = data.decode("utf-8-sig").splitlines()
    cells = next(csv.reader([lines[5]]))
    cells[12] = "-3"  # a negative count on line 6
    lines[5] = ",".join(f'"{c}"' for c in cells)
    with pytest.raises(ImportRejectedError) as refused:
        parse_file("\n".join(lines).encode(), FILE.name, request, limits)
    (problem,) = refused.value.problems
    assert (problem.row, problem.column, problem.code) == (6, "count", "TP543")


def _byars_95(count: float) -> tuple[float, float]:
    """Byar's 95% limits of a count as the Technical Guide writes them (Appendix 1), at every count: written
    here apart from the engine, and checked against the PHEindicatormethods fixture below."""
    z = NormalDist().inv_cdf(0.975)
    lower = count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
    upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * math.sqrt(count + 1))) ** 3
    return lower, upper


def _byars_formula_holds_on_the_fixture() -> None:
    import openpyxl

    path = SHARED_DATA / "public_health" / "phe_indicator_methods_testdata" / "testdata_Byars_Wilson.xlsx"
    if not path.exists():
        skip_or_fail("shared", f"{path} is absent")
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0]
    header, *body = list(sheet.iter_rows(values_only=True))
    rows = [dict(zip(map(str, header), r, strict=False)) for r in body if any(v is not None for v in r)]
    checked = [r for r in rows if r["method"] == "Byars" and r["confidence"] == "95%" and r["lowercl"]]
    assert checked
    for r in checked:
        lower, upper = _byars_95(float(r["x"]))
        assert (lower, upper) == pytest.approx((float(r["lowercl"]), float(r["uppercl"])), rel=1e-9)


def test_every_interval_and_flag_as_fingertips_published_them_small_counts_too(trafford: Place) -> None:
    """All 760 county/UA rows: with the indicator's metadata naming the method Fingertips published it with,
    every 95% interval is Byar's to 0.01 (the 20 counts below 10 too) and every flag against England is the
    one that interval gives; under the methods documentation's default (exact below 10) exactly those 20
    intervals differ by more than 0.01, and no flag changes."""
    _byars_formula_holds_on_the_fixture()
    with FILE.open(encoding="utf-8") as handle:
        published = list(csv.DictReader(handle))
    counties = {
        (r["Area Code"], r["Time period"], r["Age"]): r for r in published if r["Area Type"] == "County & UA"
    }
    england = {
        (r["Time period"], r["Age"]): float(r["Value"])
        for r in published
        if r["Area Code"] == "E92000001" and not r["Category"]
    }
    codes = sorted({code for code, _, _ in counties})
    default = {
        (r.area_code, r.period, r.breakdown["age"]): r for r in benchmark(trafford, areas=codes).rows()
    }
    with trafford.begin() as conn:
        save_framework(conn, FRAMEWORK_AS_PUBLISHED, principal=OPERATOR)
    rows = benchmark(trafford, areas=codes).rows()
    assert len(rows) == len(counties) == 760
    assert {r.ci_method for r in rows} == {PUBLISHED_METHOD}
    assert {r.ci_method for r in default.values()} == {"Byar's method"}  # the documentation's default
    intervals = flags = small = moved = 0
    for row in rows:
        key = (row.area_code, row.period, row.breakdown["age"])
        source, before = counties[key], default[key]
        if not source["Count"]:  # combined areas: no count, no interval, not compared (the note says why)
            intervals += row.lower95 is None and row.upper95 is None
            flags += row.comparison95 == before.comparison95 == "not compared"
            continue
        count, per = float(source["Count"]), 100_000 / float(source["Denominator"])
        lower, upper = (limit * per for limit in _byars_95(count))
        assert row.lower95 is not None and row.upper95 is not None
        intervals += abs(row.lower95 - lower) <= 0.01 and abs(row.upper95 - upper) <= 0.01
        bench = england[key[1:]]
        expected = "similar" if lower <= bench <= upper else ("better" if upper < bench else "worse")
        flags += row.comparison95 == expected
        small += count < 10
        assert before.lower95 is not None and before.upper95 is not None
        moved += abs(before.lower95 - lower) > 0.01 or abs(before.upper95 - upper) > 0.01
        assert before.comparison95 == {"better": "lower", "worse": "higher"}.get(expected, expected)
        assert row.method == "Byars" and before.method == ("Exact" if count < 10 else "Byars")
    assert (intervals, flags) == (760, 760)
    assert (small, moved) == (20, 20)
