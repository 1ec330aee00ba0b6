"""outcomes import: the Fingertips download by its own headers, any other CSV by its columns or --column."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Invoke


def test_formats_and_own_column_names(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    unframed = run("outcomes", "framework", "show")
    assert unframed.exit_code == 1 and "TP104" in unframed.output and "framework set" in unframed.output
    own = tmp_path / "own.csv"
    own.write_text("Measure,Area,Year,Numerator,Denominator\nA1,E06000001,2021,30,100\n", encoding="utf-8")
    refused = run("outcomes", "import", str(own), "--format", "fingertips", "--json")
    assert refused.exit_code == 2, refused.output  # no Fingertips header in it: refused, nothing stored
    mapped = run(
        "outcomes",
        "import",
        str(own),
        "--column",
        "indicator_id=Measure",
        "--column",
        "period=Year",
        "--json",
    )
    assert mapped.exit_code == 0, mapped.output
    assert json.loads(mapped.output)["effect"]["format"] == "csv"
    benchmark = json.loads(
        run("outcomes", "benchmark", "--indicator", "A1", "--area", "E06000001", "--json").output
    )
    (row,) = benchmark["rows"]
    assert (row["count"], row["denominator"], row["period"]) == (30, 100, "2021")
    fingertips = tmp_path / "ft.csv"
    fingertips.write_text(
        "Indicator ID,Area Code,Sex,Age,Time period,Count,Denominator,Value\n"
        "B2,E06000001,Persons,All ages,2021,5,50,10\n",
        encoding="utf-8",
    )
    detected = json.loads(run("outcomes", "import", str(fingertips), "--json").output)
    assert detected["effect"]["format"] == "fingertips"
    mixed = run("outcomes", "import", str(fingertips), "--format", "fingertips", "--column", "period=Year")
    assert mixed.exit_code != 0 and "--column is for --format csv" in mixed.output
    unplaced = run("outcomes", "benchmark")
    assert unplaced.exit_code == 1 and "TP104" in unplaced.output and "--area" in unplaced.output
    printed = run("outcomes", "benchmark", "--area", "E06000001", "--limit", "1")
    assert printed.exit_code == 0 and "the first 1 of 2 rows" in printed.output.replace("\n", " ")
    every = run("outcomes", "benchmark", "--area", "E06000001", "--limit", "1", "--json")
    assert len(json.loads(every.output)["rows"]) == 2
