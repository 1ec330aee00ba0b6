"""``totalplace versions`` and ``audit log --object``: a model's history listed, shown, compared, restored."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cba_cli import GMCA, _model
from tests.conftest import Invoke


def test_a_models_versions_from_the_cli(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    (tmp_path / "ucd.csv").write_text(GMCA, encoding="utf-8")
    assert run("cba", "unit-costs", "import", str(tmp_path / "ucd.csv"), "--reason", "GMCA").exit_code == 0
    model = tmp_path / "dv.yaml"
    assert run("cba", "add", str(_model(model)), "--reason", "first").exit_code == 0
    assert run("cba", "add", str(_model(model, years=4)), "--reason", "a longer horizon").exit_code == 0
    listed = json.loads(run("versions", "list", "--json").output)["objects"]
    assert {(o["kind"], o["name"], o["versions"]) for o in listed} == {
        ("unit_costs", "library", 1),
        ("model", "dv-service", 2),
    }
    assert "dv-service" in run("versions", "list", "model").output
    shown = run("versions", "show", "model:dv-service", "--version", "1")
    assert shown.exit_code == 0 and "years: 3" in shown.output
    compared = json.loads(run("versions", "compare", "model:dv-service", "1", "2", "--json").output)
    assert "-years: 3" in compared["diff"] and "+years: 4" in compared["diff"]
    restored = run(
        "versions", "restore", "model:dv-service", "1", "--reason", "back to three years", "--json"
    )
    assert json.loads(restored.output)["restored_from"] == 1
    log = json.loads(run("audit", "log", "--object", "model:dv-service", "--json").output)
    assert [v["reason"] for v in log["versions"]] == [
        "first",
        "a longer horizon",
        "back to three years (restores version 1)",
    ]
    assert [r["action"] for r in log["audit"]] == ["version.add", "version.add", "version.restore"]
    assert "History of model:dv-service" in run("audit", "log", "--object", "model:dv-service").output
    assert run("versions", "show", "model:nothing").exit_code != 0
    assert run("versions", "show", "nonsense:x").exit_code != 0
    assert json.loads(run("audit", "verify", "--json").output)["ok"]
    place = json.loads(run("audit", "log", "--object", "place:Testshire", "--json").output)
    assert [r["action"] for r in place["audit"]] == ["place.init"]
