"""The Fingertips methods reproduce the test fixtures of PHEindicatormethods (UKHSA), row by row.

Fixtures: ../shared/data/public_health/phe_indicator_methods_testdata/ (expected outputs are the workbooks'
cached values). Compared to 1e-9 relative, the precision the fixtures are stored to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from tests.conftest import SHARED_DATA, skip_or_fail
from totalplace.engines.outcomes import funnel, stats

FIXTURES = SHARED_DATA / "public_health" / "phe_indicator_methods_testdata"
CONFIDENCE = {"95%": 0.95, "99.8%": 0.998}


def _sheet(name: str, sheet: str | int = 0) -> list[dict[str, Any]]:
    path = FIXTURES / name
    if not path.exists():
        skip_or_fail("shared", f"{path} is absent")
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def _close(got: Any, expected: Any) -> bool:
    got = float(np.asarray(got).ravel()[0])
    if expected is None:
        return bool(np.isnan(got))
    return bool(got == pytest.approx(float(expected), rel=1e-9, abs=1e-12))


def test_byars_and_wilson_limits() -> None:
    rows = _sheet("testdata_Byars_Wilson.xlsx")
    assert len(rows) == 13
    for row in rows:
        confidence = CONFIDENCE[row["confidence"]]
        if row["method"] == "Byars":
            lower, upper = stats.byars(row["x"], confidence)
        else:
            lower, upper = stats.wilson(row["x"], row["n"], confidence)
        assert _close(lower, row["lowercl"]) and _close(upper, row["uppercl"]), row


@pytest.mark.parametrize(
    ("book", "method"), [("testdata_Proportion.xlsx", "proportion"), ("testdata_Rate.xlsx", "rate")]
)
def test_proportions_and_crude_rates(book: str, method: str) -> None:
    checked = 0
    for row in _sheet(book):
        if row["Numerator"] is None or row["Denominator"] is None:
            assert row["value"] is None  # the package returns NA; our importer refuses such rows
            continue
        func = stats.proportion if method == "proportion" else stats.crude_rate
        for level, suffix in ((0.95, "95_0cl"), (0.998, "99_8cl")):
            got = func(row["Numerator"], row["Denominator"], level, row["multiplier"])
            assert _close(got.value, row["value"]), row
            assert _close(got.lower, row[f"lower{suffix}"]) and _close(got.upper, row[f"upper{suffix}"]), row
            if method == "rate":
                assert str(got.method[0]) == row["method"]
        checked += 1
    assert checked >= 16


def _areas(sheet: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in _sheet("testdata_DSR_ISR.xlsx", sheet):
        out.setdefault(row["area"], []).append(row)
    return out


def test_directly_standardised_rates_by_dobson() -> None:
    weights = [w for _, w in stats.esp2013()]
    assert sum(weights) == 100_000
    areas = _areas("testdata_multiarea")
    results = [
        r
        for r in _sheet("testdata_DSR_ISR.xlsx", "testresults_DSR")
        if "non" not in r["area"] and r["area"] != "testdata_1976"
    ]
    assert len(results) == 6
    for result in results:
        bands = areas[result["area"]]
        multiplier = int(result["statistic"].rsplit(" ", 1)[1])
        counts, pops = [b["count"] for b in bands], [b["pop"] for b in bands]
        for level, suffix in ((0.95, "95_0cl"), (0.998, "99_8cl")):
            got = stats.directly_standardised_rate(counts, pops, weights, level, multiplier)
            assert _close(got.value, result["value"]), result
            assert _close(got.lower, result[f"lower{suffix}"]) and _close(got.upper, result[f"upper{suffix}"])


def test_the_1976_standard_population_at_95_percent() -> None:
    bands = _sheet("testdata_DSR_ISR.xlsx", "testdata_1976")
    result = next(
        r for r in _sheet("testdata_DSR_ISR.xlsx", "testresults_DSR") if r["area"] == "testdata_1976"
    )
    got = stats.directly_standardised_rate(
        [b["count"] for b in bands], [b["pop"] for b in bands], [b["esp1976"] for b in bands], 0.95, 10_000
    )
    assert _close(got.value, result["value"]) and _close(got.lower, result["lower95_0cl"])
    # The fixture's 99.8% limits for this row are ten times its value, an error in the fixture itself.


def test_indirectly_standardised_ratios_and_rates() -> None:
    areas = _areas("testdata_multiarea_isr")
    refdata = _sheet("testdata_DSR_ISR.xlsx", "refdata")  # the reference rate is over the whole reference
    results = [
        r for r in _sheet("testdata_DSR_ISR.xlsx", "testresults_ISR") if r["area"].startswith("testdata")
    ]
    assert len(results) == 12
    for result in results:
        bands = [b for b in areas[result["area"]] if b["pop"] is not None]  # the package drops an NA band
        expected = sum(b["refcount"] / b["refpop"] * b["pop"] for b in bands)
        observed = sum(b["count"] for b in bands)
        assert _close(expected, result["expected"]) and observed == result["observed"]
        statistic = result["statistic"]
        multiplier = float(statistic.rsplit(" ", 1)[1])
        reference = None
        if "rate" in statistic:
            reference = sum(r["refcount"] for r in refdata) / sum(r["refpop"] for r in refdata) * multiplier
            assert _close(reference, result["ref_rate"])
        for level, suffix in ((0.95, "95_0cl"), (0.998, "99_8cl")):
            got = stats.indirectly_standardised(observed, expected, level, reference)
            scale = 1.0 if reference is not None else multiplier
            assert _close(got.value * scale, result["value"]), result
            assert _close(got.lower * scale, result[f"lower{suffix}"]), result
            assert _close(got.upper * scale, result[f"upper{suffix}"]), result
            assert str(got.method[0]) == result["method"]


def test_means_by_students_t() -> None:
    values: dict[str, list[float]] = {}
    for row in _sheet("testdata_Mean.xlsx", "testdata_Mean"):
        values.setdefault(row["area"], []).append(row["values"])
    values["No grouping"] = [v for vs in values.values() for v in vs]
    for result in _sheet("testdata_Mean.xlsx", "testdata_Mean_results"):
        for level, suffix in ((0.95, "95_0cl"), (0.998, "99_8cl")):
            got = stats.mean(values[result["area"]], level)
            assert _close(got.value, result["value"])
            assert _close(got.lower, result[f"lower{suffix}"]) and _close(got.upper, result[f"upper{suffix}"])


def test_fixtures_are_present() -> None:
    assert Path(FIXTURES).is_dir() or not SHARED_DATA.is_dir()


def test_slope_index_of_inequality() -> None:
    """Point SII and RII exactly; the simulated limits within 3% of the fixture's own simulation."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in _sheet("testdata_SII.xlsx"):
        if row["TestDescription"] == "default (e.g. life expectancy) - default parameters":
            groups.setdefault((row["Area"], row["Grouping1"], row["Grouping2"]), []).append(row)
    assert len(groups) == 2
    for rows in groups.values():
        rows.sort(key=lambda r: r["Quantile"])
        got = stats.slope_index(
            [r["Value"] for r in rows],
            [r["Population"] for r in rows],
            [r["StandardError"] for r in rows],
            0.95,
        )
        expected = rows[0]
        assert got.sii == pytest.approx(expected["sii"], rel=1e-9) and got.rii == pytest.approx(
            expected["rii"], rel=1e-9
        )
        width = expected["sii_uppercl_1"] - expected["sii_lowercl_1"]
        assert got.sii_lower == pytest.approx(expected["sii_lowercl_1"], abs=0.03 * width)
        assert got.sii_upper == pytest.approx(expected["sii_uppercl_1"], abs=0.03 * width)
        assert got.gap_lower < got.gap < got.gap_upper


def test_funnel_limits_for_proportions() -> None:
    import csv

    path = FIXTURES / "testdata_funnel_prop_inputs.csv"
    if not path.exists():
        skip_or_fail("shared", f"{path} is absent")
    with path.open(encoding="utf-8-sig") as handle:
        inputs = list(csv.DictReader(handle))
    baseline = sum(float(r["numerator"]) for r in inputs) / sum(float(r["denominator"]) for r in inputs)
    with (FIXTURES / "testdata_funnel_prop_outputs.csv").open(encoding="utf-8-sig") as handle:
        outputs = list(csv.DictReader(handle))
    assert float(outputs[0]["Baseline"]) == pytest.approx(baseline * 100, abs=1e-6)
    n = [float(r["Population"]) for r in outputs]
    for tail, low_col, high_col in (
        (0.025, "Lower2s0025limit", "Upper2s0025limit"),
        (0.001, "Lower3s0001limit", "Upper3s0001limit"),
    ):
        low, high = stats.funnel_limits_proportion(baseline, n, tail)
        for i, row in enumerate(outputs):
            assert low[i] == pytest.approx(float(row[low_col]), abs=1e-6), row
            assert high[i] == pytest.approx(float(row[high_col]), abs=1e-6), row


def _csv(name: str) -> list[dict[str, str]]:
    import csv

    path = FIXTURES / name
    if not path.exists():
        skip_or_fail("shared", f"{path} is absent")
    with path.open(encoding="utf-8-sig") as handle:
        return [{k.strip(): v for k, v in row.items()} for row in csv.DictReader(handle)]


def _same_expected(events: float, got: float, published: float) -> bool:
    """Expected counts on a limit agree to the fixture's precision: PHEindicatormethods bisects for them on
    v = expected / (1 + events + expected) until the step is below 1e-7, so they agree on that scale."""

    def v(expected: float) -> float:
        return expected / (1 + events + expected)

    return abs(v(got) - v(published)) < 2e-7


def test_funnel_limits_for_ratios() -> None:
    """testdata_funnel_ratio_outputs: the observed-events axis from the inputs' expected counts, and the
    expected counts and ratios (as ISR x 100 and as count - 1) on each limit."""
    inputs = _csv("testdata_funnel_ratio_inputs.csv")
    outputs = _csv("testdata_funnel_ratio_outputs.csv")
    expected = [float(r["expected"]) for r in inputs]
    xs = funnel.axis(min(expected), max(expected), "ratio")
    assert xs == [int(r["Observed_events"]) for r in outputs]
    sides = (("lower", "2s", "95"), ("upper", "2s", "95"), ("lower", "3s", "998"), ("upper", "3s", "998"))
    # ISRs are ratios x 100; the "count" columns are the ratio less one
    for kind, multiplier, as_ratio in (("isr", 100.0, 0.01), ("count", 1.0, 1.0)):
        lines = funnel.limit_lines("ratio", xs, 1.0, multiplier=multiplier)
        for line, row in zip(lines, outputs, strict=True):
            k = line.x
            for side, label, level in sides:
                published = float(row[f"{side}_{label}_exp_events"])
                assert _same_expected(k, line.x_of(side, level), published), (k, side, label)
                ratio = float(row[f"{side}_{label}_{kind}"]) * as_ratio + (kind == "count")
                # a ratio is events over expected: compare the expected counts the two ratios imply
                assert _same_expected(k, k / (line.limit(side, level) / multiplier), k / ratio), (k, kind)


def _rate_inputs() -> list[dict[str, float]]:
    return [
        {"ev": float(r["ev"]), "rate": float(r["rate"]), "pop": float(r["pop"])}
        for r in _csv("testdata_funnel_rate_input_funnels.csv")
    ]


def _rate_case(case: str) -> tuple[list[float], list[float]]:
    """The events and derived denominators of the three rate cases of PHEindicatormethods' tests."""
    rows = _rate_inputs()
    if case == "dsr":
        return [r["ev"] for r in rows], [100_000 * r["ev"] / r["rate"] for r in rows]
    if case == "crude":
        top = max(r["ev"] for r in rows)
        events = [5.0 if r["ev"] == top else r["ev"] for r in rows]
        return events, [100_000 * e / r["rate"] for e, r in zip(events, rows, strict=True)]
    # crude, with a population column and the largest area's events set to nought; only areas over half
    # the largest population
    pops = [100_000 * r["ev"] / r["rate"] for r in rows]
    top = max(r["ev"] for r in rows)
    kept = [(r, p) for r, p in zip(rows, pops, strict=True) if p > max(pops) / 2]
    return [0.0 if r["ev"] == top else r["ev"] for r, _ in kept], [p for _, p in kept]


@pytest.mark.parametrize(
    ("case", "fixture"),
    [
        ("dsr", "testdata_funnel_rate_outputs.csv"),
        ("crude", "testdata_funnel_rate_outputs_2.csv"),
        ("crude_with_denominator", "testdata_funnel_rate_outputs_3.csv"),
    ],
)
def test_funnel_limits_for_rates(case: str, fixture: str) -> None:
    """The events axis, the baseline, and the one-year population and rate on each limit (three years of
    data, per 100,000)."""
    events, denominators = _rate_case(case)
    outputs = _csv(fixture)
    average = sum(events) / sum(denominators)
    assert average * 100_000 == pytest.approx(float(outputs[0]["baseline"]), rel=1e-9)
    xs = funnel.axis(min(denominators), max(denominators), "rate", average=average, years=3)
    assert xs == [int(r["Events"]) for r in outputs]
    lines = funnel.limit_lines("rate", xs, average, multiplier=100_000, years=3)
    for line, row in zip(lines, outputs, strict=True):
        k = line.x
        for side, label, level in (
            ("lower", "2s", "95"),
            ("upper", "2s", "95"),
            ("lower", "3s", "998"),
            ("upper", "3s", "998"),
        ):
            published = float(row[f"{side}_{label}_population_1_year"]) * 3 * average
            assert _same_expected(k, line.x_of(side, level) * 3 * average, published), (k, side)
            from_limit = k * average * 100_000 / float(row[f"{side}_{label}_limit"])
            assert _same_expected(k, k * average * 100_000 / line.limit(side, level), from_limit), (k, side)


def test_funnel_axis_and_limits_for_proportions_over_a_narrow_range() -> None:
    """testdata_funnel_prop_outputs_with_axis_variation: areas under 31,000 only, so the axis starts near
    the smallest denominator rather than at nought."""
    inputs = [r for r in _csv("testdata_funnel_prop_inputs.csv") if float(r["denominator"]) < 31_000]
    outputs = _csv("testdata_funnel_prop_outputs_with_axis_variation.csv")
    denominators = [float(r["denominator"]) for r in inputs]
    average = sum(float(r["numerator"]) for r in inputs) / sum(denominators)
    xs = funnel.axis(min(denominators), max(denominators), "proportion")
    assert xs == [int(r["Population"]) for r in outputs]
    lines = funnel.limit_lines("proportion", xs, average, multiplier=100)
    for line, row in zip(lines, outputs, strict=True):
        assert line.lower95 == pytest.approx(float(row["Lower2s0025limit"]), abs=1e-6)
        assert line.upper998 == pytest.approx(float(row["Upper3s0001limit"]), abs=1e-6)


def test_funnel_significance_of_proportions_and_ratios() -> None:
    """Each area's published significance label, for the proportion and ratio inputs."""
    props = _csv("testdata_funnel_prop_inputs.csv")
    x = [float(r["numerator"]) for r in props]
    n = [float(r["denominator"]) for r in props]
    got = funnel.significance("proportion", x, n, sum(x) / sum(n))
    assert got == [r["significance"] for r in props]
    ratios = _csv("testdata_funnel_ratio_inputs.csv")
    got = funnel.significance(
        "ratio", [float(r["obs"]) for r in ratios], [float(r["expected"]) for r in ratios], 1.0
    )
    assert got == [r["significance"] for r in ratios]


@pytest.mark.parametrize(
    ("rate_column", "multiplier", "standardised", "label_column"),
    [
        ("rate_dsr", 100_000, True, "dsr_per_100000_with_0"),
        ("rate_crude_per_100", 100, False, "crude_per_100_with_0"),
        ("rate_crude_per_100000", 100_000, False, "crude_per_100000_with_0"),
    ],
)
def test_funnel_significance_of_rates(
    rate_column: str, multiplier: int, standardised: bool, label_column: str
) -> None:
    """testdata_funnel_rate_dsr_inputs: the denominator is derived from the count and the rate (the
    population for areas with no events), then each area's Poisson interval is set against the average."""
    rows = _csv("testdata_funnel_rate_dsr_inputs.csv")
    count = np.array([float(r["count"]) for r in rows])
    rate = np.array([float("nan") if r[rate_column] == "NA" else float(r[rate_column]) for r in rows])
    pop = np.array([float(r["pop"]) for r in rows])
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = np.where(count > 0, multiplier * count / rate, np.nan if standardised else pop)
    average = float(count[~np.isnan(derived)].sum() / np.nansum(derived))
    got = funnel.significance("rate", count, derived, average, standardised=standardised)
    assert got == [r[label_column] for r in rows]
