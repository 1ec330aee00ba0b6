"""``totalplace link train|run|evaluate|show`` over generated records (the Splink core stood in for)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.engines.people.link_support import Held, generate
from tests.engines.people.link_support import held as held


def test_train_run_show_and_evaluate(run: Invoke, tmp_path: Path, held: Held) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    records = generate(30, 2, seed=1, tag="aaaaaaaaaaaa")
    held.add("planning", records)
    trained = run("link", "train", "--purpose", "planning", "--json")
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.output)["version"] == 1
    done = run("link", "run", "--purpose", "planning", "--threshold", "0.9", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["people"] == 30
    shown = json.loads(run("link", "show", "--purpose", "planning", "--json").output)
    assert shown["run"]["households"] == 10 and shown["match_weights"]
    assert "People" in run("link", "show", "--purpose", "planning").output

    labels = tmp_path / "truth.csv"
    with labels.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["record_id", "true_person"])
        writer.writerows(zip(records["record_id"].to_pylist(), records["true_id"].to_pylist(), strict=True))
    args = (
        "link",
        "evaluate",
        "--purpose",
        "planning",
        "--labels",
        "true_person",
        "--labels-file",
        str(labels),
    )
    scored = run(*args, "--json")
    assert scored.exit_code == 0, scored.output
    document = json.loads(scored.output)
    assert document["pairs"]["f1"] == 1.0 and document["threshold"] == 0.8
    assert len(document["by_threshold"]) == 9
    wrong = run("link", "evaluate", "--purpose", "planning", "--labels", "nothing", "--json")
    assert wrong.exit_code != 0 and "TP955" in wrong.output


def test_run_before_train_says_what_to_do(run: Invoke, tmp_path: Path, held: Held) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    held.add("planning", generate(3, 1, seed=1, tag="bbbbbbbbbbbb"))
    refused = run("link", "run", "--purpose", "planning")
    assert refused.exit_code == 1 and "TP953" in refused.output


def test_labels_may_name_records_by_file_and_line_as_the_demo_truth_does(tmp_path: Path) -> None:
    from totalplace.datasets.people import read_labels

    truth = tmp_path / "truth_records.csv"
    truth.write_text("record_key,file_sha12,line,person_id\nx:1,abcdefabcdef,2,0042\n", encoding="utf-8")
    table = read_labels(truth, "person_id")
    assert table.to_pylist() == [{"record_id": "abcdefabcdef:2", "person_id": "0042"}]


def test_viewer_writes_an_offline_html_file(
    run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.engines.people.test_runs_splink import _as_extract
    from totalplace.engines.people import people as people_view
    from totalplace.engines.people.linkage_generated import records as generated

    records = Held()
    records.add("planning", _as_extract(generated(400, seed=2)))
    monkeypatch.setattr(people_view, "person_records", records)
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    assert run("link", "train", "--purpose", "planning").exit_code == 0
    out = tmp_path / "viewer.html"
    done = run("link", "viewer", "--purpose", "planning", "--out", str(out), "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["bytes"] == len(out.read_bytes())
    assert "Content-Security-Policy" in out.read_text(encoding="utf-8")
