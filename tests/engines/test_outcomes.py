"""Outcomes: intervals (properties), comparisons with polarity, trends, observation files, the framework."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.datasets.observations import period_start
from totalplace.engines.outcomes import stats
from totalplace.engines.outcomes.benchmark import BenchmarkRow, benchmark, infer_indicator
from totalplace.engines.outcomes.compare import Polarity, compare, trend, trends
from totalplace.engines.outcomes.framework import (
    Tolerance,
    current_framework,
    parse_framework,
    save_framework,
)
from totalplace.engines.outcomes.letters import answer_letter, area_movements, draft_letters, list_letters
from totalplace.engines.outcomes.spine import rag_status, scale
from totalplace.errors import ConflictError, ImportRejectedError, InvalidInputError
from totalplace.governance.roles import OPERATOR, trusted
from totalplace.place import Place
from totalplace.reports.outcomes import letter_html

HEADER = "Indicator ID,Indicator Name,Parent Code,Area Code,Area Name,Area Type,Sex,Age,Time period,Count,Denominator,Value"
FRAMEWORK = """
name: healthier
title: Healthier Testshire
outcomes:
  - name: screening
    title: More people screened
    indicators:
      - {id: "100", title: Screening coverage, polarity: high_is_good, value_type: proportion, multiplier: 100,
         target: 80, tolerance: {lower: 70}}
"""


@given(x=st.integers(0, 10_000), extra=st.integers(1, 10_000))
@settings(max_examples=200, deadline=None)
def test_proportion_intervals_contain_the_estimate_and_widen(x: int, extra: int) -> None:
    n = x + extra
    narrow, wide = stats.proportion(x, n, 0.95), stats.proportion(x, n, 0.998)
    assert narrow.lower[0] <= narrow.value[0] <= narrow.upper[0]
    assert wide.lower[0] <= narrow.lower[0] + 1e-12 and narrow.upper[0] <= wide.upper[0] + 1e-12
    assert wide.lower[0] >= 0 and wide.upper[0] <= 1 + 1e-12


@given(x=st.integers(0, 100_000), n=st.integers(1, 10_000_000))
@settings(max_examples=200, deadline=None)
def test_rate_intervals_contain_the_estimate_and_widen(x: int, n: int) -> None:
    narrow, wide = stats.crude_rate(x, n, 0.95), stats.crude_rate(x, n, 0.998)
    assert narrow.lower[0] <= narrow.value[0] <= narrow.upper[0]
    assert wide.lower[0] <= narrow.lower[0] and narrow.upper[0] <= wide.upper[0]
    assert narrow.method[0] == ("Exact" if x < 10 else "Byars")


def test_no_dsr_below_ten_events() -> None:
    weights = [w for _, w in stats.esp2013()]
    got = stats.directly_standardised_rate([0] * 18 + [9], [1000] * 19, weights, 0.95)
    assert np.isnan(got.value[0]) and "< 10" in str(got.method[0])


def test_comparison_respects_polarity() -> None:
    low, high, bench = [10, 10, 10, np.nan], [20, 20, 20, 20], [5, 15, 25, 15]
    assert list(compare(low, high, bench, "high_is_good")) == ["better", "similar", "worse", "not compared"]
    assert list(compare(low, high, bench, "low_is_good")) == ["worse", "similar", "better", "not compared"]
    assert list(compare(low, high, bench, "no_judgement"))[:3] == ["higher", "similar", "lower"]


def test_trend_needs_five_points_and_detects_a_steady_rise() -> None:
    years = [2015.0, 2016.0, 2017.0, 2018.0, 2019.0]
    rising = trend(
        years,
        [10, 12, 14, 16, 18],
        [9.5, 11.5, 13.5, 15.5, 17.5],
        [10.5, 12.5, 14.5, 16.5, 18.5],
        "low_is_good",
    )
    assert rising.direction == "increasing and getting worse"
    flat = trend(years, [10, 11, 10, 11, 10], [5] * 5, [15] * 5, "high_is_good")
    assert flat.direction == "no significant change"
    assert trend(years[:3], [1, 2, 3], [0, 1, 2], [2, 3, 4], "high_is_good").direction == "not calculated"


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2017", 2017.0),
        ("2017/18", 2017.0),
        ("2015 - 17", 2015.0),
        ("2019/20 Q3", 2019.5),
        ("last year", None),
    ],
)
def test_periods(text: str, period: float | None) -> None:
    assert period_start(text) == period


def _file(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "obs.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_bad_observations_are_refused_row_by_row(sqlite_place: Place, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        [
            "100,Screening,,E06000001,Testshire,UA,Persons,All,2017,50,-100,",
            "100,Screening,,E06000001,Testshire,UA,Persons,All,2018,150,100,",
            "100,Screening,,E99000001,Nowhere,UA,Persons,All,2018,50,100,",
            "100,Screening,,E06000001,Testshire,UA,Persons,All,sometime,50,100,",
            "100,Screening,,E06000001,Testshire,UA,Persons,All,2019,,,",
        ],
    )
    with pytest.raises(ImportRejectedError) as refused:
        import_file(sqlite_place, path, ImportRequest("observations", None), principal=OPERATOR)
    found = {(p.code, p.row, p.column) for p in refused.value.problems}
    assert found == {
        ("TP543", 2, "denominator"),
        ("TP549", 3, "count"),
        ("TP541", 4, "area_code"),
        ("TP550", 5, "period"),
        ("TP534", 6, "value"),
    }


def test_framework_polarity_target_and_inference(sqlite_place: Place, tmp_path: Path) -> None:
    rows = [
        f"100,Screening,E12000001,{code},{name},UA,Persons,All,{year},{count},1000,{count / 10}"
        for year, counts in ((2016, (700, 760, 820)), (2017, (690, 800, 830)))
        for code, name, count in zip(
            ("E06000001", "E12000001", "E92000001"),
            ("Testshire", "North East", "England"),
            counts,
            strict=True,
        )
    ]
    import_file(sqlite_place, _file(tmp_path, rows), ImportRequest("observations", None), principal=OPERATOR)
    inferred = benchmark(sqlite_place, period="2017").rows()[0]
    assert inferred.value_type == "proportion" and inferred.comparison95 == "lower"
    with sqlite_place.begin() as conn:
        save_framework(conn, FRAMEWORK, principal=OPERATOR)
    with sqlite_place.read() as conn:
        assert current_framework(conn) is not None
    row = benchmark(sqlite_place, period="2017").rows()[0]
    assert row.value == pytest.approx(69.0) and row.comparison95 == "worse" and row.benchmark == 83.0
    assert benchmark(sqlite_place, period="2017", against="region").rows()[0].benchmark == 80.0
    target = benchmark(sqlite_place, period="2016", against="target").rows()[0]
    assert target.benchmark == 80 and target.comparison95 == "worse"
    with pytest.raises(InvalidInputError):
        parse_framework(FRAMEWORK.replace("high_is_good", "up"))
    assert infer_indicator("9", None, 5, 100, 5000.0).value_type == "crude_rate"


def test_many_trends_at_once_agree_with_one_at_a_time() -> None:
    rng = np.random.default_rng(5)
    years = [2015.0, 2016.0, 2017.0, 2018.0, 2019.0, 2020.0]
    cases = []
    for slope in (0.0, 1.5, -2.0, 0.3):
        values = [10 + slope * (y - 2015) + float(rng.normal(0, 0.2)) for y in years]
        cases.append((values, [v - 0.6 for v in values], [v + 0.6 for v in values]))
    series = np.repeat(np.arange(len(cases)), len(years))
    t = np.tile(years, len(cases))
    all_values, lows, highs = (np.concatenate([np.array(c[k]) for c in cases]) for k in range(3))
    polarities: list[Polarity] = ["high_is_good", "low_is_good", "no_judgement", "high_is_good"]
    polarity = np.array(polarities)
    direction, _ = trends(series, t, all_values, lows, highs, polarity)
    for k, (v, lo, hi) in enumerate(cases):
        assert direction[k] == trend(years, v, lo, hi, polarities[k]).direction
    short, _ = trends(
        np.zeros(3, dtype=np.int64), years[:3], [1, 2, 3], [0, 1, 2], [2, 3, 4], np.array(["high_is_good"])
    )
    assert short[0] == "not calculated"


def test_a_letter_when_an_indicator_leaves_its_band(sqlite_place: Place, tmp_path: Path) -> None:
    rows = [
        f"100,Screening,E12000001,{code},{name},UA,Persons,{age},{year},{count},1000,{count / 10}"
        for year, counts in ((2016, (750, 820)), (2017, (640, 830)))
        for code, name, count in zip(
            ("E06000001", "E92000001"), ("Testshire", "England"), counts, strict=True
        )
        for age in ("All ages",)
    ] + [
        f"100,Screening,E12000001,E06000001,Testshire,UA,Persons,{age},{year},{count},500,{count / 5}"
        for year, age, count in (
            (2016, "50-59 yrs", 390),
            (2017, "50-59 yrs", 300),
            (2016, "60-64 yrs", 380),
            (2017, "60-64 yrs", 370),
        )
    ]
    import_file(sqlite_place, _file(tmp_path, rows), ImportRequest("observations", None), principal=OPERATOR)
    with sqlite_place.begin() as conn:
        save_framework(
            conn,
            FRAMEWORK.replace("tolerance: {lower: 70}", "tolerance: {lower: 70}, owner: Screening board"),
            principal=OPERATOR,
        )
    drafted = draft_letters(sqlite_place, principal=trusted("t"))
    assert (
        len(drafted) == 1 and draft_letters(sqlite_place, principal=trusted("t")) == []
    )  # once per indicator and period
    letter = drafted[0]
    assert (
        letter.addressee == "Screening board" and letter.period == "2017" and letter.content.side == "below"
    )
    previous = letter.content.previous
    assert letter.content.latest.value == pytest.approx(64.0)
    assert previous is not None and previous.value == pytest.approx(75.0)
    assert letter.content.likely_causes[0].breakdown["age"] == "50-59 yrs"  # the group that fell most
    html = letter_html(letter, "Testshire")
    assert "below its tolerance band" in html and "64.0" in html
    with sqlite_place.begin() as conn:
        answered = answer_letter(
            conn, letter.id, plan="Evening clinics", remedy_by="2026-03-31", principal=trusted("t")
        )
        with pytest.raises(ConflictError):
            answer_letter(conn, letter.id, plan="again", remedy_by="2026-03-31", principal=trusted("t"))
    assert answered.status == "answered" and "Evening clinics" in letter_html(answered, "Testshire")
    with sqlite_place.read() as conn:
        assert [x.status for x in list_letters(conn)] == ["answered"]


def test_the_areas_that_moved_the_place_most_come_first() -> None:
    def row(code: str, period: str, value: float, denominator: float) -> BenchmarkRow:
        return BenchmarkRow(
            area_code=code,
            area_name=code.title(),
            period=period,
            breakdown={"sex": "Persons", "age": "All ages"},
            value=value,
            denominator=denominator,
            lower95=value - 1,
            upper95=value + 1,
            comparison95="similar",
        )

    rows = [
        row("small", "2016", 10.0, 100),
        row("small", "2017", 30.0, 100),  # +20 on a tenth of the denominator: contributes 2
        row("large", "2016", 10.0, 900),
        row("large", "2017", 13.0, 900),  # +3 on nine tenths: contributes 2.7, so first
        row("new", "2017", 50.0, 0),  # no earlier value: listed last, without a change
    ]
    moved = area_movements(rows, "2017", "2016")
    assert [m.area_code for m in moved] == ["large", "small", "new"]
    assert moved[0].contribution == pytest.approx(2.7) and moved[1].contribution == pytest.approx(2.0)
    assert moved[2].change is None and moved[2].contribution is None


def test_red_amber_green() -> None:
    """Red outside the band or worse than England, green better, amber similar, grey without a value."""

    def row(value: float | None, comparison: str) -> BenchmarkRow:
        return BenchmarkRow(area_code="E06000001", period="2017", value=value, comparison95=comparison)

    band = Tolerance(lower=70)
    assert rag_status(row(65, "better"), band) == "red"
    assert rag_status(row(75, "worse"), band) == "red"
    assert rag_status(row(75, "better"), band) == "green"
    assert rag_status(row(75, "similar"), None) == "amber"
    assert rag_status(row(None, "better"), band) == rag_status(None, band) == "grey"
    # the spine's scale runs from worst to best, turned round when low is good
    assert scale(80, 60, 100, flip=False) == 0.5 and scale(70, 60, 100, flip=True) == 0.75
    assert scale(None, 60, 100, flip=False) is None and scale(70, 70, 70, flip=False) is None
