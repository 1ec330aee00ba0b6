"""`totalplace query` runs one read-only SELECT, audited; `totalplace operator sql` does more, confirmed and
audited first, but never writes in the place's own folder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import Invoke
from tests.datasets.files import GOOD_ROWS, HEADER


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    return {
        str(Path(root) / f): ((Path(root) / f).stat().st_size, (Path(root) / f).stat().st_mtime_ns)
        for root, _, files in os.walk(folder)
        for f in files
    }


@pytest.fixture
def place_dir(run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    assert run("partner", "add", "Council", "--kind", "local_authority").exit_code == 0
    spend = tmp_path / "spend.csv"
    spend.write_text(HEADER + "\n" + GOOD_ROWS, encoding="utf-8")
    assert run("import", "spend", str(spend), "--partner", "Council").exit_code == 0
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # where a relative COPY or ATTACH would write
    return tmp_path / "place"


def _audit(run: Invoke) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = _json(run("audit", "log", "--json"))
    return records


REFUSED = [
    ("copy (select 1) to 'out.csv'", "TP410"),
    ("copy (select 'x') to '{place}/data/batches/over.parquet'", "TP410"),
    ("select * from read_csv('/etc/passwd')", "TP411"),
    ("select content from read_text('{place}/secret.key')", "TP411"),
    ("attach 'other.db' as other", "TP410"),
    ("select 1; copy (select 1) to 'out.csv'", "TP410"),
    ("select 1 as a; select 2 as b", "TP410"),
    ("pragma database_list", "TP410"),
    ("set enable_external_access = true", "TP410"),
    ("install httpfs", "TP410"),
    ("load httpfs", "TP410"),
    ("select * from '{place}/secret.key'", "TP412"),
]


@pytest.mark.parametrize(("sql", "code"), REFUSED, ids=[s for s, _ in REFUSED])
def test_refused_sql_runs_nothing_and_writes_nothing(
    run: Invoke, place_dir: Path, sql: str, code: str
) -> None:
    before, cwd_before, records = _files(place_dir), _files(Path.cwd()), len(_audit(run))
    result = run("query", sql.format(place=place_dir), "--json")
    assert result.exit_code == 2, result.output
    assert _json(result)["error"]["code"] == code
    assert (place_dir / "secret.key").read_text().strip() not in result.output
    assert _files(Path.cwd()) == cwd_before and _files(place_dir) == before
    assert len(_audit(run)) == records


def test_a_select_runs_and_is_audited(run: Invoke, place_dir: Path) -> None:
    sql = "select supplier, sum(amount_pence) as pence from spend group by 1 order by 2 desc"
    result = run("query", sql, "--json")
    assert result.exit_code == 0, result.output
    found = _json(result)
    assert found["row_count"] >= 1 and found["columns"] == ["supplier", "pence"]
    newest = _audit(run)[0]
    assert newest["seq"] == found["audit_seq"] and newest["action"] == "query.run"
    assert newest["actor"] == "cli" and newest["object_id"] == "spend"
    assert (
        json.loads(newest["detail"])["sql"] == sql
        and json.loads(newest["detail"])["rows"] == found["row_count"]
    )
    assert run("audit", "verify").exit_code == 0


def test_the_operator_command_is_confirmed_audited_and_kept_out_of_the_place(
    run: Invoke, place_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    copy = f"copy (select amount_pence from spend) to '{out}/suppliers.csv'"
    records = len(_audit(run))
    unconfirmed = run("operator", "sql", copy, "--allow", str(out), "--json")
    assert unconfirmed.exit_code == 2 and _json(unconfirmed)["error"]["code"] == "TP413"
    assert len(_audit(run)) == records and not (out / "suppliers.csv").exists()
    inside = run("operator", "sql", "select 1", "--confirm", "--allow", str(place_dir / "data"), "--json")
    assert inside.exit_code == 2 and _json(inside)["error"]["code"] == "TP413"

    done = run(
        "operator",
        "sql",
        copy + f"; select count(*) as n from read_csv('{out}/suppliers.csv')",
        "--confirm",
        "--allow",
        str(out),
        "--json",
    )
    assert done.exit_code == 0, done.output
    assert _json(done)["rows"] == [{"n": 3}] and (out / "suppliers.csv").is_file()
    newest = _audit(run)[0]
    assert newest["action"] == "operator.sql" and json.loads(newest["detail"])["sql"].startswith("copy")

    batches = _files(place_dir / "data")
    batch = next(p for p in batches if p.endswith(".parquet"))
    over = run(
        "operator", "sql", f"copy (select 1 as a) to '{batch}'", "--confirm", "--allow", str(out), "--json"
    )
    assert over.exit_code == 2 and _json(over)["error"]["code"] == "TP414"
    assert _files(place_dir / "data") == batches
    assert _audit(run)[0]["action"] == "operator.sql"  # recorded before it ran, refused or not
    secret = run(
        "operator", "sql", f"select * from read_text('{place_dir}/secret.key')", "--confirm", "--json"
    )
    assert secret.exit_code == 2 and (place_dir / "secret.key").read_text().strip() not in secret.output
