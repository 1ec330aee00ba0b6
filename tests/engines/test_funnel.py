"""Funnel plots: limits that hold the average and narrow as areas grow, and the command on a small place."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Invoke
from totalplace.engines.outcomes import funnel


@settings(deadline=None, max_examples=60)
@given(
    statistic=st.sampled_from(["proportion", "rate", "ratio"]),
    average=st.floats(0.01, 0.9),
    smallest=st.integers(50, 5_000),
    spread=st.floats(1.1, 40),
)
def test_limits_hold_the_average_nest_and_narrow(
    statistic: funnel.Statistic, average: float, smallest: int, spread: float
) -> None:
    multiplier = 1.0 if statistic == "ratio" else 100.0
    centre = multiplier if statistic == "ratio" else average * multiplier
    xs = funnel.axis(smallest, smallest * spread, statistic, average=average)
    assert len(xs) == funnel.POINTS and xs == sorted(set(xs))
    lines = funnel.limit_lines(statistic, xs, 1.0 if statistic == "ratio" else average, multiplier=multiplier)
    for line in lines:
        assert line.lower998 <= line.lower95 <= centre <= line.upper95 <= line.upper998
    if statistic == "proportion":  # limits drawn at denominators close in as they grow
        widths = [line.upper95 - line.lower95 for line in lines]
        assert all(a >= b - 1e-12 for a, b in itertools.pairwise(widths))


def test_years_of_a_period() -> None:
    assert [funnel.years_of(p) for p in ("2015 - 17", "2016/17", "2017", "2019/20 Q3", "2010 - 2014")] == [
        3,
        1,
        1,
        1,
        5,
    ]


def test_the_funnel_command(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    rows = ["Indicator ID,Area Code,Area Name,Area Type,Sex,Age,Time period,Count,Denominator,Value"]
    for i, count in enumerate((50, 52, 49, 90, 10, 51)):
        rows.append(f"7,E0600000{i + 1},Authority {i + 1},UA,Persons,All ages,2020,{count},1000,")
        rows.append(f"8,E0600000{i + 1},Authority {i + 1},UA,Persons,All ages,2020,{count},,")
    (tmp_path / "obs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert run("outcomes", "import", str(tmp_path / "obs.csv")).exit_code == 0
    svg = tmp_path / "funnel.svg"
    result = run("outcomes", "funnel", "--indicator", "7", "--svg", str(svg), "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["area_type"] == "UA" and found["statistic"] == "rate" and len(found["areas"]) == 6
    verdicts = {p["area_name"]: p["significance"] for p in found["areas"]}
    assert verdicts["Authority 4"].startswith("High") and verdicts["Authority 5"].startswith("Low")
    assert verdicts["Authority 1"] == "Not significant" and svg.read_text().startswith("<svg")
    counts_only = run("outcomes", "funnel", "--indicator", "8", "--json")
    assert counts_only.exit_code == 1 and "count and denominator" in counts_only.output
    alone = run("outcomes", "funnel", "--indicator", "7", "--area-type", "Ward", "--json")
    assert alone.exit_code == 1 and "fewer than two Ward" in alone.output
