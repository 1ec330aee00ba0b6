"""An indicator names its confidence-interval method as Fingertips' metadata does; without one it takes the
method the profiles' methods documentation gives its value type."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from totalplace.engines.outcomes import stats
from totalplace.engines.outcomes.benchmark import BenchmarkRow, limits_for
from totalplace.engines.outcomes.framework import Indicator, ValueType, parse_framework
from totalplace.errors import InvalidInputError
from totalplace.parameters import load_parameter
from totalplace.reports.outcomes import interval_method_of

NO_CORRECTION = "Byar's method (no small number correction)"


def _framework(indicator: str) -> str:
    return (
        "name: f\ntitle: F\noutcomes:\n  - name: o\n    title: O\n    indicators:\n"
        f"      - {{id: '1', title: One, {indicator}}}\n"
    )


def test_every_method_is_named_as_fingertips_names_it_and_every_value_type_has_a_default() -> None:
    body = load_parameter("outcomes/confidence_interval_methods.yaml").body
    assert body["small_count"] == stats.SMALL_COUNT == 10
    names = [m.name for m in stats.interval_methods()]
    assert names == [
        "Byar's method",
        NO_CORRECTION,
        "Exact Poisson method",
        "Wilson Score method",
        "Dobson & Byar's methods",
        "T-distribution method",
        "No confidence intervals available",
    ]
    for value_type in get_args(ValueType):
        method = stats.default_interval_method(value_type)
        assert value_type in method.value_types, (value_type, method)
    assert stats.default_interval_method("crude_rate").key == "byars"
    assert stats.default_interval_method("proportion").key == "wilson"
    assert stats.default_interval_method("dsr").key == "dobson"
    assert stats.default_interval_method("mean").key == "t_distribution"


def test_a_method_is_found_by_its_name_however_written_or_by_its_key() -> None:
    assert stats.interval_method("byar\u2019s method (NO small number correction)").name == NO_CORRECTION
    assert stats.interval_method("exact_poisson").name == "Exact Poisson method"
    with pytest.raises(ValueError, match="Wilson Score method"):
        stats.interval_method("Clopper-Pearson")


def test_byars_at_every_count_differs_from_the_guides_rule_only_below_ten() -> None:
    counts = np.arange(0, 40, dtype=float)
    guide_low, guide_high, guide_used = stats.count_limits(counts, 0.95, "byars")
    every_low, every_high, every_used = stats.count_limits(counts, 0.95, "byars_no_small_number_correction")
    exact_low, exact_high, exact_used = stats.count_limits(counts, 0.95, "exact_poisson")
    big = counts >= 10
    assert np.array_equal(guide_low[big], every_low[big]) and np.array_equal(guide_high[big], every_high[big])
    assert np.array_equal(guide_low[~big], exact_low[~big]) and np.array_equal(
        guide_high[~big], exact_high[~big]
    )
    assert not np.allclose(every_high[~big], exact_high[~big], rtol=1e-4)
    assert every_used.tolist() == ["Byars"] * 40 and exact_used.tolist() == ["Exact"] * 40
    assert guide_used.tolist() == ["Exact"] * 10 + ["Byars"] * 30
    assert every_low[0] == 0.0 and exact_low[0] == 0.0  # no events: the least a count can be
    low998, _, _ = stats.count_limits([1, 2], 0.998, "byars_no_small_number_correction")
    assert low998[0] == 0.0 < low998[1]  # Byar's is negative at one event: the lower limit is 0, not missing
    with pytest.raises(ValueError):
        stats.count_limits([1], 0.95, "wilson")


def test_the_framework_names_the_method_and_refuses_one_it_does_not_know_or_that_does_not_fit() -> None:
    named = parse_framework(
        _framework('value_type: crude_rate, ci_method: "BYAR\'S METHOD (no small number correction)"')
    )
    indicator = named.indicators()["1"][1]
    assert indicator.ci_method == NO_CORRECTION and indicator.interval_method().key.startswith("byars_no")
    plain = parse_framework(_framework("value_type: proportion, multiplier: 100")).indicators()["1"][1]
    assert plain.ci_method is None and plain.interval_method().name == "Wilson Score method"
    with pytest.raises(InvalidInputError) as unknown:
        parse_framework(_framework("value_type: crude_rate, ci_method: Clopper-Pearson"))
    assert "ci_method" in str(unknown.value) and "Exact Poisson method" in str(unknown.value)
    with pytest.raises(InvalidInputError) as unfit:
        parse_framework(_framework("value_type: proportion, ci_method: Exact Poisson method"))
    assert "not a method for a proportion" in str(unfit.value)


def _columns(count: list[float], denominator: list[float]) -> dict[str, np.ndarray]:
    size = len(count)
    nan = np.full(size, np.nan)
    return {
        "count": np.array(count),
        "denominator": np.array(denominator),
        "value": nan.copy(),
        **{k: nan.copy() for k in ("lower95", "upper95", "lower998", "upper998")},
    }


@pytest.mark.parametrize(
    ("method", "used"),
    [
        (None, ["Exact", "Byars"]),
        ("Byar's method", ["Exact", "Byars"]),
        (NO_CORRECTION, ["Byars", "Byars"]),
        ("Exact Poisson method", ["Exact", "Exact"]),
    ],
)
def test_limits_follow_the_indicators_method(method: str | None, used: list[str]) -> None:
    indicator = Indicator(id="1", title="One", value_type="crude_rate", ci_method=method)
    got = limits_for(indicator, _columns([3, 40], [50_000, 50_000]))
    assert got.method.tolist() == used
    key = indicator.interval_method().key
    expected = stats.crude_rate([3, 40], [50_000, 50_000], 0.95, 100_000, key)
    assert np.allclose(got.lower95, expected.lower) and np.allclose(got.upper95, expected.upper)


def test_no_intervals_means_none_are_calculated_and_published_ones_stay() -> None:
    indicator = Indicator(
        id="1", title="One", value_type="crude_rate", ci_method="No confidence intervals available"
    )
    columns = _columns([3, 40], [50_000, 50_000])
    columns["lower95"][1], columns["upper95"][1] = 50.0, 110.0
    got = limits_for(indicator, columns)
    assert np.isnan(got.lower95[0]) and got.method.tolist() == ["", "published"]
    assert (got.lower95[1], got.upper95[1]) == (50.0, 110.0)


def test_the_indicator_page_says_which_method_and_whether_it_is_the_default() -> None:
    row = BenchmarkRow(area_code="E06000001", period="2017", value_type="crude_rate", ci_method=NO_CORRECTION)
    line = interval_method_of([row])
    assert line is not None and line["name"] == NO_CORRECTION and line["default"] is False
    assert "every count" in line["description"]
    default = BenchmarkRow(
        area_code="E06000001", period="2017", value_type="crude_rate", ci_method="Byar's method"
    )
    assert interval_method_of([default])["default"] is True  # type: ignore[index]
    assert interval_method_of([]) is None


def test_the_command_line_prints_each_indicators_method() -> None:
    import pyarrow as pa

    from totalplace.engines.outcomes.benchmark import BenchmarkResult
    from totalplace.reports.outcomes import BenchmarkView, FrameworkView

    framework = parse_framework(_framework(f'value_type: crude_rate, ci_method: "{NO_CORRECTION}"'))
    (table,) = FrameworkView(framework).tables
    heads = [c.header for c in table.columns]
    assert table.rows[0][heads.index("intervals")] == NO_CORRECTION
    rows = pa.table(
        {"indicator": ["1", "1", "2"], "ci_method": [NO_CORRECTION, NO_CORRECTION, "Wilson Score method"]}
    )
    view = BenchmarkView(BenchmarkResult("england", "f", rows), 2)
    assert view.headline == f"1: intervals by {NO_CORRECTION}"  # only the indicators of the rows printed
    every = BenchmarkView(BenchmarkResult("england", "f", rows), 10)
    assert every.headline == f"1: intervals by {NO_CORRECTION}; 2: intervals by Wilson Score method"
