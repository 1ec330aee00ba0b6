"""The command line, end to end: every command answers --json with one JSON document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import Invoke
from tests.datasets.files import GOOD_ROWS, HEADER
from totalplace.cli import cli


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def test_a_place_from_init_to_query(run: Invoke, tmp_path: Path) -> None:
    invoke = run
    created = invoke("init", str(tmp_path / "place"), "--name", "Trafford", "--code", "E08000009", "--json")
    assert created.exit_code == 0, created.output
    assert _json(created)["store"] == "sqlite"
    assert invoke("partner", "add", "Trafford Council", "--kind", "local_authority", "--json").exit_code == 0
    partners = _json(invoke("partner", "list", "--json"))
    assert [p["name"] for p in partners] == ["Trafford Council"]
    again = invoke("partner", "add", "Trafford Council", "--kind", "local_authority", "--json")
    assert again.exit_code == 1
    assert _json(again)["error"]["code"] == "TP105"

    good = tmp_path / "payments.csv"
    good.write_text(HEADER + "\n" + GOOD_ROWS, encoding="utf-8")
    imported = invoke("import", "spend", str(good), "--partner", "Trafford Council", "--json")
    assert imported.exit_code == 0, imported.output
    assert _json(imported)["status"] == "imported"
    assert (
        _json(invoke("import", "spend", str(good), "--partner", "Trafford Council", "--json"))["status"]
        == "unchanged"
    )

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n31/02/2024,A,1.00,x\n01/03/2024,B,lots,y\n", encoding="utf-8")
    refused = invoke("import", "spend", str(bad), "--partner", "Trafford Council", "--json")
    assert refused.exit_code == 2
    problems = _json(refused)["error"]["problems"]
    assert [(p["code"], p["row"], p["column"]) for p in problems] == [
        ("TP532", 2, "Payment Date"),
        ("TP531", 3, "Amount"),
    ]
    human = invoke("import", "spend", str(bad), "--partner", "Trafford Council")
    assert human.exit_code == 2 and "TP532" in human.stderr

    batches = _json(invoke("datasets", "list", "--json"))
    assert len(batches) == 1
    shown = _json(invoke("datasets", "show", "1", "--json"))
    assert shown["totals"] == {"amount_pence": 130949}
    out = tmp_path / "export.xlsx"
    assert invoke("datasets", "export", "1", "--format", "xlsx", "-o", str(out)).exit_code == 0
    assert out.stat().st_size > 1000
    assert [p.name for p in tmp_path.glob("export.xlsx*")] == ["export.xlsx"]  # no part file left behind
    csv_out = tmp_path / "export.csv"
    assert invoke("datasets", "export", "1", "-o", str(csv_out)).exit_code == 0
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM, so Excel reads the pound sign

    queried = _json(invoke("query", "select sum(amount_pence) as pence from spend", "--json"))
    assert queried["rows"] == [{"pence": 130949}]

    added = invoke("user", "add", "lead", "--admin", "--password-stdin", "--json", stdin="a long password\n")
    assert added.exit_code == 0, added.output
    assert invoke("user", "grant", "lead", "--role", "auditor", "--purpose", "audit").exit_code == 0
    users = _json(invoke("user", "list", "--json"))
    assert users[0]["roles"][0]["role"] == "auditor"

    verified = _json(invoke("audit", "verify", "--json"))
    assert verified["ok"] is True and verified["records"] >= 5
    assert len(_json(invoke("audit", "log", "--limit", "3", "--json"))) == 3
    assert _json(invoke("check", "--json"))["ok"] is True


def test_geography_import_and_list(run: Invoke, tmp_path: Path) -> None:
    invoke = run
    invoke("init", str(tmp_path / "place"), "--name", "P")
    areas = tmp_path / "areas.csv"
    areas.write_text(
        "geography,area_code,area_name,all_ages\nLSOA,E01000001,A,1500\nLSOA,E01000002,B,1600\n"
        "Ward,E05000001,W,3100\n",
        encoding="utf-8",
    )
    result = invoke(
        "geography", "import", str(areas), "--level", "lsoa", "--where", "geography=LSOA", "--json"
    )
    assert result.exit_code == 0, result.output
    assert _json(result)["effect"] == {"added": 2, "updated": 0}
    assert _json(invoke("geography", "list", "--json")) == {
        "lsoa": {"areas": 2, "population": 3100, "with_boundary": 0}
    }
    listed = _json(invoke("geography", "list", "--level", "lsoa", "--json"))
    assert [a["code"] for a in listed] == ["E01000001", "E01000002"]


def test_errors_say_what_to_do(run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    invoke = run
    monkeypatch.delenv("TOTALPLACE_PLACE")
    missing = invoke("partner", "list", "--json")
    assert missing.exit_code == 1
    assert "--place" in _json(missing)["error"]["hint"]
    human = invoke("partner", "list")
    assert "what to do" in human.stderr


def test_settings_doc_is_current() -> None:
    result = CliRunner().invoke(cli, ["settings", "--markdown"])
    doc = Path(__file__).parents[2] / "docs" / "settings.md"
    assert result.stdout == doc.read_text(encoding="utf-8"), "run `make docs` to regenerate docs/settings.md"


def test_help_is_written_for_people() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    for command in ("init", "partner", "import", "geography", "datasets", "audit", "serve", "demo"):
        assert command in result.stdout
