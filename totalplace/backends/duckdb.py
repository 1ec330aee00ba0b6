"""The default backend: DuckDB in-process, reading the parquet batches where they lie."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from totalplace import settings
from totalplace.backends.base import AnalyticsBackend
from totalplace.errors import BackendError

if TYPE_CHECKING:
    from totalplace.place import Place


def _config(**extra: str) -> dict[str, str | bool | int | float | list[str]]:
    return {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": settings.get_str("analytics_memory") or "1GB",
        **extra,
    }


def _quote_path(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


class DuckDBBackend(AnalyticsBackend):
    """DuckDB over the place's files; no extension is loaded, so nothing is fetched from the internet."""

    name = "duckdb"

    def __init__(self, place: Place) -> None:
        super().__init__(place)
        spill = place.dir / "data" / "tmp"
        spill.mkdir(parents=True, exist_ok=True)
        # Bounded memory by default: a 10-million-line map spills part of its working table to the place's
        # data/tmp folder instead of taking most of the machine (DuckDB's own default is 80% of RAM).
        self.con = duckdb.connect(config=_config(temp_directory=str(spill)))
        self.con.register("catalog", self.catalog)
        self.con.register("areas", self.areas)
        for kind, files in self.files.items():
            if files:
                parts = [
                    f"SELECT {f.batch_id}::BIGINT AS batch_id, * "
                    f"FROM read_parquet({_quote_path(str(f.path))})"
                    for f in files
                ]
                self.con.execute(f"CREATE VIEW {kind} AS " + " UNION ALL BY NAME ".join(parts))
            else:
                empty = self.empty_kind(kind)
                self.con.register(f"_empty_{kind}", empty)
                self.con.execute(
                    f"CREATE VIEW {kind} AS SELECT NULL::BIGINT AS batch_id, * FROM _empty_{kind} WHERE false"
                )

    @classmethod
    def over_tables(cls, tables: dict[str, pa.Table]) -> DuckDBBackend:
        """A backend over in-memory tables (a file being previewed), with no place behind it."""
        backend = cls.__new__(cls)
        backend.con = duckdb.connect(config=_config())
        for name, table in tables.items():
            backend.con.register(name, table)
        return backend

    def query(self, sql: str) -> pa.Table:
        try:
            return self.con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise BackendError(f"the query failed on DuckDB: {exc}") from exc

    def register_table(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def create_view(self, name: str, sql: str, *, materialise: bool = False) -> None:
        try:
            kinds = self.con.execute(
                "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
            ).fetchall()
            for (kind,) in kinds:  # replace whatever stands under this name, view or table
                self.con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {name}")
            what = "TEMP TABLE" if materialise else "VIEW"
            self.con.execute(f"CREATE {what} {name} AS {sql}")
        except duckdb.Error as exc:
            raise BackendError(f"the view {name} could not be made on DuckDB: {exc}") from exc

    def close(self) -> None:
        self.con.close()
