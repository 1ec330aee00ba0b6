"""The analytics connection: values bound as parameters, one SELECT per call, and no file but the batches'."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from tests.datasets.files import GOOD_ROWS, HEADER, csv_bytes
from totalplace.backends.duckdb import DuckDBBackend, scratch_connection
from totalplace.backends.safe_sql import checked_params, identifier, literal
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.spendmap import load_rules
from totalplace.engines.spendmap.map import _population, build_spend_map
from totalplace.errors import (
    BackendError,
    InvalidInputError,
    QueryRefusedError,
    SandboxRefusedError,
)
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

LEAK = "lsoa' AND CAST((SELECT content FROM read_text('{secret}')) AS INTEGER)=1 AND '1'='1"


@pytest.fixture
def filled(sqlite_place: Place) -> Place:
    import_file(
        sqlite_place,
        csv_bytes(HEADER + "\n" + GOOD_ROWS),
        ImportRequest("spend", "Council"),
        principal=OPERATOR,
        source_name="a.csv",
    )
    return sqlite_place


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_values_are_bound_not_pasted(filled: Place) -> None:
    secret = filled.dir / "secret.key"
    with filled.analytics("duckdb") as engine:
        rows = engine.query(
            "select count(*) as n from spend where supplier = $who", {"who": "Acme Care Ltd' OR '1'='1"}
        ).to_pylist()
        assert rows == [{"n": 0}]
        assert engine.query("select $x as x", {"x": "it's"}).to_pylist() == [{"x": "it's"}]
        # the finding: the level pasted into the population query read the session key; now it is a value
        assert _population(engine, LEAK.format(secret=secret)) is None
        with pytest.raises(InvalidInputError) as refused:
            build_spend_map(engine, load_rules(filled.dir), area_level=LEAK.format(secret=secret))
        assert refused.value.code == "TP106" and secret.read_text() not in str(refused.value)


@pytest.mark.parametrize(
    "sql",
    [
        "select 1; select 2",
        "SELECT sum(population) AS people FROM areas WHERE level = 'lsoa'; COPY (SELECT 'x') TO 'x.csv'; "
        "SELECT 1 AS people --'",
        "copy (select 1) to 'x.csv'",
        "attach 'x.db' as x",
        "set enable_external_access = true",
        "pragma database_list",
        "install httpfs",
        "load httpfs",
        "create table t as select 1",
    ],
)
def test_only_one_select_runs(
    filled: Place, sql: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # where x.csv would land
    with filled.analytics("duckdb") as engine, pytest.raises(QueryRefusedError) as refused:
        engine.query(sql)
    assert refused.value.code == "TP410" and not _files(cwd)


def test_no_file_but_the_batches_can_be_read_or_written(filled: Place) -> None:
    before = {p: p.read_bytes() for p in _files(filled.dir / "data")}
    secret = filled.dir / "secret.key"
    batch = next(p for p in before if p.suffix == ".parquet")
    with filled.analytics("duckdb") as engine:
        for sql in (
            f"select content from read_text('{secret}')",
            f"select * from read_csv('{secret}')",
            "select * from read_csv('/etc/passwd')",
            f"select * from glob('{filled.dir}/*')",
        ):
            with pytest.raises(SandboxRefusedError) as refused:
                engine.query(sql)
            assert refused.value.code == "TP414" and secret.read_text() not in str(refused.value)
        with pytest.raises(BackendError) as unknown:  # no replacement scan of a file named as a table
            engine.query(f"select * from '{secret}'")
        assert "does not exist" in str(unknown.value)
        # even the raw connection, past the one-SELECT check: the configuration is locked, and a COPY over a
        # batch (allowed by name for reading) is refused
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            engine.con.execute("SET enable_external_access = true")  # type: ignore[attr-defined]
        with pytest.raises(duckdb.PermissionException):
            engine.con.execute(f"COPY (SELECT 1 AS a) TO '{batch.resolve()}'")  # type: ignore[attr-defined]
        assert engine.query("select count(*) as n from spend").to_pylist() == [{"n": 3}]
    assert {p: p.read_bytes() for p in _files(filled.dir / "data")} == before


def test_views_and_names(filled: Place) -> None:
    with filled.analytics("duckdb") as engine:
        with pytest.raises(BackendError):
            engine.create_view("x; drop view spend", "select 1")
        with pytest.raises(QueryRefusedError):
            engine.create_view("fine", "select 1; copy (select 1) to 'x.csv'")
        with pytest.raises(BackendError):
            engine.register_table("spend--", pa.table({"a": [1]}))
        engine.create_view("fine", "select 1 as a")
        assert engine.query("select a from fine").to_pylist() == [{"a": 1}]
    with pytest.raises(BackendError):
        identifier("supplier", ("description",))
    assert identifier("supplier", ("supplier",)) == '"supplier"'
    assert literal("it's") == "'it''s'" and literal(3) == "3"
    with pytest.raises(BackendError):
        checked_params({"x": [1, 2]})  # type: ignore[dict-item]
    with pytest.raises(BackendError):
        checked_params({"x; drop": 1})


def test_tables_in_memory_and_scratch_folders_are_locked_too(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    engine = DuckDBBackend.over_tables({"spend": pa.table({"a": [1]})})
    with engine, pytest.raises(SandboxRefusedError):
        engine.query(f"select * from read_text('{secret}')")
    folder = tmp_path / "scratch"
    folder.mkdir()
    con = scratch_connection(str(folder))
    con.execute(f"COPY (SELECT 1 AS a) TO '{folder}/ok.csv'")
    with pytest.raises(Exception, match="disabled by configuration"):
        con.execute(f"COPY (SELECT 1 AS a) TO '{tmp_path}/out.csv'")
    con.close()
    assert (folder / "ok.csv").is_file() and not (tmp_path / "out.csv").exists()
