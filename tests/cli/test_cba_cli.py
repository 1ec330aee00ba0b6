"""The cba commands end to end: a unit-cost file in the GMCA layout, a model run, simulated, shared and
compared; bad files refused with located, coded problems."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import Invoke

GMCA = """Code,Description,Unit,Fiscal cost,Agency bearing cost,Economic value,Social value,Price year,Source,Confidence grade
DV-1,Domestic violence incident,incident,"1,200",NHS,300,900,2023-24,Test source,2
DV-1,Domestic violence incident,incident,800,Police,,,2023-24,Test source,2
DV-1,Domestic violence incident,incident,500,Council,,,2023-24,Test source,2
"""


def _model(path: Path, **changes: object) -> Path:
    document = {
        "name": "dv-service",
        "title": "DV service",
        "start_year": "2025-26",
        "years": 3,
        "price_year": "2025-26",
        "cohort": {"2025-26": 200, "2026-27": 200},
        "engagement": {"value": 0.7, "low": 0.5, "high": 0.8},
        "deflators": {"2023-24": "96.0", "2025-26": "100.0"},
        "costs": [
            {"partner": "Council", "kind": "revenue", "amounts": {"2025-26": "100000", "2026-27": "100000"}}
        ],
        "outcomes": [
            {
                "name": "incidents",
                "unit_cost": "DV-1",
                "success": {"value": 0.3, "low": 0.2, "high": 0.4},
                "deadweight": 0.2,
                "profile": [1, 0.5],
            }
        ],
    }
    document.update(changes)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_unit_costs_models_and_settlements_from_the_cli(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    (tmp_path / "ucd.csv").write_text(GMCA, encoding="utf-8")
    imported = run("cba", "unit-costs", "import", str(tmp_path / "ucd.csv"), "--json")
    assert imported.exit_code == 0 and json.loads(imported.output)["imported"] == 1
    listed = json.loads(run("cba", "unit-costs", "list", "--json").output)["unit_costs"]
    dv = next(u for u in listed if u["code"] == "DV-1")
    assert (
        dv["fiscal"] == {"NHS": "1200.00", "Police": "800.00", "Council": "500.00"}
        and dv["origin"] == "imported"
    )
    model = _model(tmp_path / "dv.yaml")
    result = json.loads(run("cba", "run", str(model), "--json").output)
    agencies = {a["agency"]: a for a in result["by_agency"]}
    assert set(agencies) == {"Council", "NHS", "Police"}
    # uprated by 100/96: NHS's unit value 1,200 -> 1,250 in 2025-26 prices
    assert _ratio(agencies["NHS"]["fiscal_benefits"], agencies["Police"]["fiscal_benefits"]) == 1.5
    source = result["outcomes"][0]["unit_cost_source"]
    assert (
        source["uprating"] == "1.041667"
        and source["origin"] == "imported"
        and source["price_year"] == "2023-24"
    )
    tornado = tmp_path / "tornado.svg"
    simulated = json.loads(
        run(
            "cba",
            "simulate",
            str(model),
            "--draws",
            "1000",
            "--seed",
            "4",
            "--json",
            "--tornado",
            str(tornado),
        ).output
    )
    assert tornado.read_text(encoding="utf-8").startswith("<svg")
    again = json.loads(run("cba", "simulate", str(model), "--draws", "1000", "--seed", "4", "--json").output)
    assert simulated == again and {a["agency"] for a in simulated["by_agency"]} == set(agencies)
    shared = json.loads(run("cba", "share", str(model), "--method", "shapley", "--json").output)
    assert sum(float(p["proposed"]) for p in shared["partners"]) == float(shared["costs"])
    assert run("cba", "add", str(model)).exit_code == 0
    other = _model(tmp_path / "other.yaml", name="dv-lite", title="DV lite", engagement=0.4)
    compared = json.loads(run("cba", "compare", "dv-service", str(other), "--json").output)["interventions"]
    assert [c["name"] for c in compared] == ["dv-service", "dv-lite"]
    fixed = _model(
        tmp_path / "fixed.yaml",
        engagement=0.7,
        outcomes=[{"name": "incidents", "unit_cost": "DV-1", "success": 0.3, "deadweight": 0.2}],
    )
    flat = run("cba", "simulate", str(fixed), "--tornado", str(tmp_path / "flat.svg"))
    assert flat.exit_code == 1 and "TP801" in flat.output and not (tmp_path / "flat.svg").exists()
    into = run("cba", "share", "dv-service", "--into", "no-such-pool", "--json")
    assert into.exit_code == 1 and "TP104" in into.output


def test_the_library_uprated_to_one_price_year(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    (tmp_path / "ucd.csv").write_text(GMCA, encoding="utf-8")
    assert run("cba", "unit-costs", "import", str(tmp_path / "ucd.csv")).exit_code == 0
    unready = run("cba", "unit-costs", "list", "--price-year", "2025-26", "--json")
    assert unready.exit_code == 1 and "TP801" in unready.output and "deflators import" in unready.output
    release = tmp_path / "GDP_Deflators.csv"
    release.write_text(
        "GDP DEFLATORS AT MARKET PRICES, AND MONEY GDP\nFinancial year,2025-26 = 100\n"
        "2016-17,75.000\n2023-24,96.000\n2025-26,100.000\n",
        encoding="utf-8",
    )
    assert run("spend", "deflators", "import", str(release)).exit_code == 0
    listed = json.loads(run("cba", "unit-costs", "list", "--price-year", "2025-26", "--json").output)
    dv = next(u for u in listed["unit_costs"] if u["code"] == "DV-1")
    # x 100/96, to the penny, half to even: 1,200 -> 1,250; 800 -> 833.333 -> 833.33; 500 -> 520.833 -> 520.83
    assert dv["fiscal"] == {"NHS": "1250.00", "Police": "833.33", "Council": "520.83"}
    assert (dv["economic"], dv["social"], dv["price_year"], dv["uprated_from"]) == (
        "312.50",
        "937.50",
        "2025-26",
        "2023-24",
    )
    own = json.loads(run("cba", "unit-costs", "list", "--json").output)["unit_costs"]
    assert next(u for u in own if u["code"] == "DV-1")["uprated_from"] is None
    beyond = run("cba", "unit-costs", "list", "--price-year", "2030-31")
    assert beyond.exit_code == 1 and "2030-31" in beyond.output


def _ratio(a: str, b: str) -> float:
    return round(float(a) / float(b), 6)


def test_bad_files_are_refused_with_located_problems(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    bad = GMCA.replace(
        ",2023-24,Test source,2\nDV-1,Domestic violence incident,incident,800",
        ",2023-24,Test source,9\nDV-1,Domestic violence incident,incident,8x0",
    )
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    refused = run("cba", "unit-costs", "import", str(tmp_path / "bad.csv"), "--json")
    problems = json.loads(refused.output)["error"]["problems"]
    assert refused.exit_code == 2 and {(p["row"], p["code"]) for p in problems} == {
        (2, "TP800"),
        (3, "TP800"),
    }
    assert "1 to 6" in problems[0]["message"] and "amount of money" in problems[1]["message"]
    unknown = run("cba", "run", str(_model(tmp_path / "m.yaml")), "--json")
    error = json.loads(unknown.output)["error"]
    assert error["code"] == "TP800" and error["problems"][0]["column"] == "outcomes.0.unit_cost"
    no_deflator = _model(tmp_path / "n.yaml", deflators={})
    (tmp_path / "ucd.csv").write_text(GMCA, encoding="utf-8")
    run("cba", "unit-costs", "import", str(tmp_path / "ucd.csv"))
    missing = json.loads(run("cba", "run", str(no_deflator), "--json").output)["error"]
    assert "no GDP deflator for 2023-24" in missing["problems"][0]["message"]


def test_a_unit_cost_workbook_in_the_gmca_layout(run: Invoke, tmp_path: Path) -> None:
    import csv
    import io

    import openpyxl

    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Unit Cost Database (test)"])  # a title above the header, as the database has
    for row in csv.reader(io.StringIO(GMCA)):
        sheet.append([float(c.replace(",", "")) if c.replace(",", "").isdigit() else c for c in row])
    book.save(tmp_path / "ucd.xlsx")
    imported = run("cba", "unit-costs", "import", str(tmp_path / "ucd.xlsx"), "--json")
    assert imported.exit_code == 0, imported.output
    listed = json.loads(run("cba", "unit-costs", "list", "--json").output)["unit_costs"]
    dv = next(u for u in listed if u["code"] == "DV-1")
    assert dv["fiscal"] == {"NHS": "1200.00", "Police": "800.00", "Council": "500.00"} and dv["grade"] == 2


def test_the_tables_a_person_reads(run: Invoke, tmp_path: Path) -> None:
    """Without --json the commands print the view's headline and tables, pounds written as people write them."""
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    (tmp_path / "ucd.csv").write_text(GMCA, encoding="utf-8")
    assert run("cba", "unit-costs", "import", str(tmp_path / "ucd.csv")).exit_code == 0
    model = _model(tmp_path / "dv.yaml")
    npv = json.loads(run("cba", "run", str(model), "--json").output)["totals"]["npv"]
    shown = run("cba", "run", str(model))
    assert shown.exit_code == 0 and f"NPV £{float(npv):,.2f}" in shown.output
    assert "By agency (present values)" in shown.output and "From gross to net" in shown.output
    simulated = run("cba", "simulate", str(model), "--draws", "200", "--seed", "1")
    assert "200 draws: NPV 5th-95th percentile" in simulated.output and "Switching values" in simulated.output
    shared = run("cba", "share", str(model), "--method", "proportional")
    assert shared.output.startswith("proportional: ") and "- Council gains" in shared.output
