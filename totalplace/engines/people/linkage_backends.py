"""The engine Splink runs its SQL on: DuckDB in-process by default, Spark (local mode, or a cluster's master)
with the ``totalplace[spark]`` extra. Both are handed the same records and the same settings JSON."""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa

from totalplace import settings
from totalplace.errors import LinkageBackendError

BACKENDS = ("duckdb", "spark")


def quiet_splink() -> None:
    """Splink logs each step; a library call should not print to its caller's terminal (what the training
    found is in the returned model instead)."""
    logging.getLogger("splink").setLevel(logging.ERROR)


def db_api(backend: str) -> Any:
    """A fresh Splink database API for ``backend`` (each call its own tables, so runs do not share state)."""
    quiet_splink()
    if backend == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        # DuckDB draws a progress bar on the terminal for long queries; a library call must not.
        connection = duckdb.connect()
        connection.execute("SET enable_progress_bar = false")
        return DuckDBAPI(connection=connection)
    if backend == "spark":
        from splink import SparkAPI

        # Equality comparisons need none of Splink's Scala similarity functions; "persist" keeps Splink's
        # intermediate tables in memory rather than writing parquet into the working directory.
        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=spark_session(), break_lineage_method="persist", register_udfs_automatically=False
        )
    raise LinkageBackendError(
        f"no linkage backend called {backend!r}", hint=f"use one of {', '.join(BACKENDS)}"
    )


def spark_session() -> Any:
    """The process's Spark session (the analytics backend's, if it started one: getOrCreate reuses it)."""
    try:
        from pyspark.sql import SparkSession
    except ModuleNotFoundError as exc:
        raise LinkageBackendError(
            "linking on Spark needs pyspark", hint="install totalplace[spark] (and Java 17)"
        ) from exc
    return (
        SparkSession.builder.master(settings.get_str("spark_master") or "local[2]")
        .appName("totalplace")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.runSQLOnFiles", "false")
        .getOrCreate()
    )


def to_arrow(frame: Any) -> pa.Table:
    """A Splink result table as arrow, whatever the backend."""
    table: pa.Table = frame.as_pyarrow_table()
    return table
