"""``totalplace sharing list|show|add|vary``: agreements from the command line, each change a version."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.conftest import Invoke
from totalplace.demo import PARTNERS
from totalplace.demo.sharing import EVALUATION, agreement_text


def _place(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Northbridge").exit_code == 0
    for name, kind in PARTNERS:
        assert run("partner", "add", name, "--kind", kind).exit_code == 0


def test_add_list_show_and_vary(run: Invoke, tmp_path: Path) -> None:
    _place(run, tmp_path)
    first = tmp_path / "evaluation.yaml"
    first.write_text(agreement_text(EVALUATION, dt.date.today()), encoding="utf-8")
    added = run("sharing", "add", str(first), "--reason", "agreed by the board", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["version"] == 1
    listed = json.loads(run("sharing", "list", "--json").output)["agreements"]
    assert [(a["name"], a["status"]) for a in listed] == [(EVALUATION, "review_due")]
    table = run("sharing", "list").output
    assert "1 agreement; 1 needs attention" in table and "Information-sharing agreements" in table
    shown = run("sharing", "show", EVALUATION)
    assert shown.exit_code == 0
    assert all(t in shown.output for t in ("Parties", "Legal basis", "Flows", "Decisions"))
    later = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    second = tmp_path / "varied.yaml"
    second.write_text(
        first.read_text(encoding="utf-8").replace("review_date:", f"review_date: {later}\n#", 1),
        encoding="utf-8",
    )
    varied = run("sharing", "vary", str(second), "--reason", "reviewed", "--json")
    assert varied.exit_code == 0, varied.output
    assert json.loads(varied.output)["status"] == "current"
    document = json.loads(run("sharing", "show", EVALUATION, "--version", "1", "--json").output)
    assert document["version"] == 1 and document["versions"] == 2
    log = json.loads(run("audit", "log", "--object", f"sharing:{EVALUATION}", "--json").output)
    assert [v["reason"] for v in log["versions"]] == ["agreed by the board", "reviewed"]


def test_refusals_name_the_line(run: Invoke, tmp_path: Path) -> None:
    _place(run, tmp_path)
    bad = tmp_path / "bad.yaml"
    text = agreement_text(EVALUATION, dt.date.today()).replace("- nhs_act_2006_s251", "- nhs_act_2099")
    bad.write_text(text, encoding="utf-8")
    refused = run("sharing", "add", str(bad), "--reason", "x", "--json")
    assert refused.exit_code == 2
    problem = json.loads(refused.output)["error"]["problems"][0]
    assert (
        problem["column"] == "legal.powers.2"
        and problem["row"] == text.splitlines().index("    - nhs_act_2099") + 1
    )
    missing = run("sharing", "show", "no-such", "--json")
    assert missing.exit_code == 1 and json.loads(missing.output)["error"]["code"] == "TP905"
    no_reason = run("sharing", "add", str(bad))
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
