"""The census, segment, estate, measures and map commands end to end, with coded errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import Invoke
from tests.engines.segment_support import SPEC_YAML, age_wide_csv, density_long_csv, oa_code, tenure_long_csv

AREAS = 24


def _json(result: Result) -> Any:
    assert result.exit_code in (0, 1, 2), result.output
    return json.loads(result.stdout)


def _place(invoke: Invoke, tmp_path: Path) -> list[str]:
    assert invoke("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    assert invoke("partner", "add", "Council", "--kind", "local_authority").exit_code == 0
    features = []
    for i in range(AREAS):
        x, y = -2.40 + (i % 6) * 0.002, 53.40 + (i // 6) * 0.002
        ring = [[x, y], [x + 0.002, y], [x + 0.002, y + 0.002], [x, y + 0.002], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": oa_code(i), "population": 300},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    oas = tmp_path / "oas.geojson"
    oas.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert invoke("geography", "import", str(oas), "--level", "oa").exit_code == 0
    return [oa_code(i) for i in range(AREAS)]


def test_census_to_segments_to_report(run: Invoke, tmp_path: Path) -> None:
    invoke = run
    codes = _place(invoke, tmp_path)
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC_YAML)
    files = []
    for name, text in (
        ("t.csv", tenure_long_csv(codes)),
        ("a.csv", age_wide_csv(codes)),
        ("d.csv", density_long_csv(codes)),
    ):
        (tmp_path / name).write_text(text)
        files.append(str(tmp_path / name))
    imported = _json(invoke("census", "import", *files, "--spec", str(spec), "--json"))
    assert [r["table"] for r in imported["imported"]] == ["tenure", "age", "density"]
    variables = _json(invoke("census", "variables", "--spec", str(spec), "--json"))
    assert variables["derived"] == 5 and variables["areas"] == AREAS

    diagnosed = _json(invoke("segment", "diagnose", str(spec), "--k", "2-4", "--starts", "3", "--json"))
    assert [d["k"] for d in diagnosed["diagnostics"]] == [2, 3, 4]
    built = _json(
        invoke("segment", "build", str(spec), "--levels", "2,4", "--seed", "7", "--starts", "5", "--json")
    )
    assert built["name"] == "tiny-2-4" and len(built["clusters"]) == 6
    again = invoke("segment", "build", str(spec), "--levels", "2,4", "--seed", "7", "--json")
    assert again.exit_code == 1 and _json(again)["error"]["code"] == "TP105"
    assert invoke("segment", "rename", "tiny-2-4", "1", "Owners").exit_code == 0
    shown = _json(invoke("segment", "show", "tiny-2-4", "--areas", "--json"))
    assert {c["name"] for c in shown["clusters"] if c["code"] == "1"} == {"Owners"} and len(
        shown["areas"]
    ) == AREAS

    centroids, ranges = tmp_path / "c.csv", tmp_path / "r.csv"
    invoke("segment", "export", "tiny-2-4", "--centroids", str(centroids), "--ranges", str(ranges))
    assigned = _json(
        invoke(
            "segment",
            "assign",
            "--centroids",
            str(centroids),
            "--ranges",
            str(ranges),
            "--spec",
            str(spec),
            "--name",
            "mine",
            "--json",
        )
    )
    assert assigned["method"] == "assign" and sum(c["size"] for c in assigned["clusters"]) == AREAS
    assert [s["name"] for s in _json(invoke("segment", "list", "--json"))["segmentations"]] == [
        "mine",
        "tiny-2-4",
    ]

    pdf = tmp_path / "report.pdf"
    assert invoke("segment", "report", "tiny-2-4", "--pdf", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    bad = invoke("segment", "build", str(spec), "--levels", "4,2", "--seed", "1", "--json")
    assert bad.exit_code == 1 and _json(bad)["error"]["code"] == "TP701"
    missing = invoke("segment", "build", "nonsense", "--seed", "1", "--json")
    assert _json(missing)["error"]["code"] == "TP700"


def test_a_refused_census_file_exits_2_with_every_problem(run: Invoke, tmp_path: Path) -> None:
    invoke = run
    codes = _place(invoke, tmp_path)
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC_YAML)
    bad = tmp_path / "bad.csv"
    bad.write_text(tenure_long_csv(codes).replace(codes[3], "E00123456"))
    result = invoke("census", "import", str(bad), "--spec", str(spec), "--json")
    assert result.exit_code == 2
    problems = _json(result)["error"]["problems"]
    assert {p["code"] for p in problems} == {"TP541"} and len(problems) == 3


def test_estate_measures_and_map(run: Invoke, tmp_path: Path) -> None:
    invoke = run
    codes = _place(invoke, tmp_path)
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "name,type,lon,lat,floor area\nLibrary,library,-2.395,53.401,400\nHub,library,-2.391,53.405,\n"
    )
    imported = _json(invoke("estate", "import", str(sites), "--partner", "Council", "--json"))
    assert imported["sites"]["rows"] == 2 and imported["sites"]["in_place"] == 2
    listed = _json(invoke("estate", "list", "--type", "library", "--json"))
    assert {s["name"] for s in listed["sites"]} == {"Library", "Hub"}
    access = _json(
        invoke("estate", "access", "--service", "library", "--level", "oa", "--bands", "300,900", "--json")
    )
    assert [b["metres"] for b in access["within"]] == [300, 900] and len(access["areas"]) == AREAS
    unknown = invoke("estate", "access", "--service", "pool", "--level", "oa", "--json")
    assert unknown.exit_code == 1 and _json(unknown)["error"]["code"] == "TP710"
    found = _json(invoke("estate", "candidates", "--level", "oa", "--standard", "5000", "--json"))
    assert {c["site"]["name"] for c in found["rationalisation"]} <= {"Library", "Hub"}

    figures = tmp_path / "imd.csv"
    figures.write_text("Area,Score\n" + "".join(f"{c},{i}\n" for i, c in enumerate(codes)) + "E00999999,1\n")
    done = _json(
        invoke(
            "measures",
            "import",
            str(figures),
            "--name",
            "imd",
            "--column",
            "Score",
            "--level",
            "oa",
            "--code-column",
            "Area",
            "--json",
        )
    )
    assert done["measures"]["other_areas_ignored"] == 1
    svg = tmp_path / "map.svg"
    mapped = _json(invoke("map", "measure:imd:Score", "--level", "oa", "--svg", str(svg), "--json"))
    assert mapped["values"][codes[5]] == 5 and svg.read_text().startswith("<svg")
    assert any(
        m["key"] == "measure:imd:Score" for m in _json(invoke("measures", "list", "--json"))["measures"]
    )


def test_many_census_files_partial_classifications_and_comparison(run: Invoke, tmp_path: Path) -> None:
    """The README's steps: import every file (those of other tables skipped and listed, exit 0); a
    classification on too few variables refused (TP703) unless --allow-partial; its share shown; compared."""
    invoke = run
    codes = _place(invoke, tmp_path)
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC_YAML)
    (tmp_path / "t.csv").write_text(tenure_long_csv(codes))
    (tmp_path / "colour.csv").write_text("area_code,colour,value\n" + "".join(f"{c},Blue,3\n" for c in codes))
    result = invoke(
        "census", "import", str(tmp_path / "t.csv"), str(tmp_path / "colour.csv"), "--spec", str(spec)
    )
    assert result.exit_code == 0, result.output
    assert "colour.csv" in result.output and "Skipped" in result.output
    imported = _json(
        invoke(
            "census",
            "import",
            str(tmp_path / "t.csv"),
            str(tmp_path / "colour.csv"),
            "--spec",
            str(spec),
            "--json",
        )
    )
    assert [s["file"] for s in imported["skipped"]] == ["colour.csv"]
    assert imported["tables_not_given"] == ["age", "density"]

    refused = invoke("segment", "build", str(spec), "--levels", "2", "--seed", "1", "--json")
    assert refused.exit_code == 1 and _json(refused)["error"]["code"] == "TP703"
    built = _json(
        invoke("segment", "build", str(spec), "--levels", "2", "--seed", "1", "--allow-partial", "--json")
    )
    assert built["variable_share"] == {"used": 3, "of": 5, "share": 0.6, "minimum": 0.9, "partial": True}
    shown = invoke("segment", "show", "tiny-2")
    assert "3 of 5 variables (60%), below the 90%" in " ".join(shown.output.split())
    listed = _json(invoke("segment", "list", "--json"))
    assert listed["segmentations"][0]["variable_share"]["partial"] is True

    members = _json(invoke("segment", "show", "tiny-2", "--areas", "--json"))["areas"]
    labels = tmp_path / "labels.csv"
    labels.write_text("OA21CD,supergroup\n" + "".join(f"{m['area_code']},S{m['code']}\n" for m in members))
    compared = _json(invoke("segment", "compare", "tiny-2", "--labels", str(labels), "--json"))
    assert compared["agreement"] == 1 and compared["adjusted_rand"] == 1 and compared["areas"] == AREAS
    assert sum(map(sum, compared["cross_table"]["counts"])) == AREAS
    text = invoke("segment", "compare", "tiny-2", "--labels", str(labels))
    assert text.exit_code == 0 and "Cross-table" in text.output
