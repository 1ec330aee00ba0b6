"""The default backend: DuckDB in-process, reading the parquet batches where they lie.

Every connection is locked before it answers a query: external access is off (no COPY, ATTACH, INSTALL,
LOAD, and no reading of a file or a Python variable by name), the only files it may open are the place's
active batch files (``allowed_paths``: reading them, not writing beside them), and the configuration is
locked so that no statement can undo any of it. Spilling to the place's ``data/tmp`` needs no grant: DuckDB's
own temporary-file manager writes there. Each query is checked to be exactly one SELECT by DuckDB's own
parser before it runs.
"""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from totalplace import settings
from totalplace.backends.base import AnalyticsBackend, BatchFile
from totalplace.backends.safe_sql import Params, check_name, checked_params
from totalplace.errors import BackendError, QueryRefusedError, SandboxRefusedError

if TYPE_CHECKING:
    from totalplace.place import Place


def _config(**extra: str) -> dict[str, str | bool | int | float | list[str]]:
    return {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": settings.get_str("analytics_memory") or "1GB",
        **extra,
    }


def lock(con: duckdb.DuckDBPyConnection, paths: list[str], directories: list[str] | None = None) -> None:
    """Turn off the connection's access to anything outside ``paths`` (and ``directories``, which it may also
    write in) and lock its configuration.

    DuckDB checks ``allowed_paths`` by exact name, so a COPY cannot overwrite an allowed file either (it
    writes a temporary file beside it first, which is not allowed). See DuckDB's "Securing DuckDB" guide.
    """
    con.execute("SET allowed_paths = $paths", {"paths": paths})
    if directories:
        con.execute("SET allowed_directories = $folders", {"folders": directories})
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def scratch_connection(folder: str) -> duckdb.DuckDBPyConnection:
    """An in-memory connection that may read and write only in ``folder`` (a private temporary folder)."""
    con = duckdb.connect(config=_config())
    lock(con, [], [folder])
    return con


def _batches_sql(name: str, files: list[BatchFile]) -> str:
    """``CREATE VIEW name AS`` each file with its batch id, unioned by column name, built by sqlglot."""
    from sqlglot import exp  # here, not at import: the CLI starts without it

    parts: list[exp.Query] = [
        exp.select(
            exp.alias_(exp.cast(exp.Literal.number(f.batch_id), "BIGINT"), "batch_id"), exp.Star()
        ).from_(exp.func("read_parquet", exp.Literal.string(str(f.path)), dialect="duckdb"))
        for f in files
    ]
    union = reduce(
        lambda a, b: exp.Union(this=a, expression=b, distinct=False, by_name=True), parts[1:], parts[0]
    )
    table = exp.Table(this=exp.to_identifier(check_name(name), quoted=True))
    return exp.Create(kind="VIEW", this=table, expression=union).sql("duckdb")


def _error(exc: duckdb.Error, what: str) -> BackendError:
    if isinstance(exc, duckdb.PermissionException):
        return SandboxRefusedError(
            f"{what} tried to reach a file it may not: {exc}",
            hint="analytics reach only the place's batch files (and an operator's --allow folders); "
            "nothing was read or written there",
        )
    return BackendError(f"{what} failed on DuckDB: {exc}")


class DuckDBBackend(AnalyticsBackend):
    """DuckDB over the place's files; no extension is loaded, so nothing is fetched from the internet."""

    name = "duckdb"

    def __init__(self, place: Place, *, directories: list[str] | None = None) -> None:
        """The place's views on a locked connection; ``directories`` (for an operator's SQL only) may also be
        read and written."""
        super().__init__(place)
        spill = place.dir / "data" / "tmp"
        spill.mkdir(parents=True, exist_ok=True)
        # Bounded memory by default: a 10-million-line map spills part of its working table to the place's
        # data/tmp folder instead of taking most of the machine (DuckDB's own default is 80% of RAM).
        self.con = duckdb.connect(config=_config(temp_directory=str(spill)))
        self.con.register("catalog", self.catalog)
        self.con.register("areas", self.areas)
        allowed: list[str] = []
        for kind, files in self.files.items():
            if files:
                resolved = [BatchFile(f.batch_id, f.path.resolve()) for f in files]
                allowed += [str(f.path) for f in resolved]
                self.con.execute(_batches_sql(kind, resolved))
            else:
                empty = f"_empty_{check_name(kind)}"
                self.con.register(empty, self.empty_kind(kind))
                self.con.execute(
                    f'CREATE VIEW "{kind}" AS SELECT NULL::BIGINT AS batch_id, * FROM "{empty}" WHERE false'
                )
        lock(self.con, allowed, directories)

    @classmethod
    def over_tables(cls, tables: dict[str, pa.Table]) -> DuckDBBackend:
        """A backend over in-memory tables (a file being previewed), with no place and no file behind it."""
        backend = cls.__new__(cls)
        backend.con = duckdb.connect(config=_config())
        for name, table in tables.items():
            backend.con.register(check_name(name), table)
        lock(backend.con, [])
        return backend

    def _one_select(self, sql: str) -> None:
        """Refuse SQL that DuckDB's own parser does not read as exactly one SELECT."""
        try:
            statements = self.con.extract_statements(sql)
        except duckdb.Error as exc:
            raise BackendError(f"the query could not be read by DuckDB: {exc}") from exc
        kinds = [s.type for s in statements]
        if kinds != [duckdb.StatementType.SELECT]:
            named = ", ".join(k.name for k in kinds) or "nothing"
            raise QueryRefusedError(
                f"exactly one SELECT may run, not {named}", hint="a defect in the caller; nothing was run"
            )

    def query(self, sql: str, params: Params | None = None) -> pa.Table:
        values = checked_params(params)
        self._one_select(sql)
        try:
            return self.con.sql(sql, params=values or None).to_arrow_table()
        except duckdb.Error as exc:
            raise _error(exc, "the query") from exc

    def run_script(self, sql: str) -> pa.Table | None:
        """Run every statement of ``sql`` (an operator's, audited by the caller) on the locked connection;
        the last statement's rows, or None when it gives none."""
        try:
            statements = self.con.extract_statements(sql)
            for statement in statements[:-1]:
                self.con.execute(statement.query)
            last = self.con.sql(statements[-1].query) if statements else None
            return None if last is None else last.to_arrow_table()
        except duckdb.Error as exc:
            raise _error(exc, "the operator's SQL") from exc

    def register_table(self, name: str, table: pa.Table) -> None:
        self.con.register(check_name(name), table)

    def create_view(self, name: str, sql: str, *, materialise: bool = False) -> None:
        quoted = f'"{check_name(name)}"'
        self._one_select(sql)
        try:
            kinds = self.con.execute(
                "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
            ).fetchall()
            for (kind,) in kinds:  # replace whatever stands under this name, view or table
                self.con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {quoted}")
            what = "TEMP TABLE" if materialise else "VIEW"
            self.con.execute(f"CREATE {what} {quoted} AS {sql}")
        except duckdb.Error as exc:
            raise _error(exc, f"the view {name}") from exc

    def close(self) -> None:
        self.con.close()
