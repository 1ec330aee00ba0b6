"""The scale backend: the same views and queries on Spark (local mode in tests), via sqlglot.

Imported only when asked for; pyspark comes with the ``totalplace[spark]`` extra. Parameters are bound by
Spark itself: sqlglot writes DuckDB's ``$name`` as Spark's named marker ``:name`` and ``spark.sql`` takes the
values in ``args``. Each query must parse as one SELECT; SQL over files (``parquet.`/path` ``) is turned off
(``spark.sql.runSQLOnFiles``), the batches being read by the DataFrame reader instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlglot

from totalplace import settings
from totalplace.backends.base import AnalyticsBackend
from totalplace.backends.safe_sql import Params, check_name, checked_params
from totalplace.backends.sandbox import one_query
from totalplace.errors import BackendError

if TYPE_CHECKING:
    from totalplace.place import Place


def to_spark_sql(sql: str) -> str:
    """Translate a query from DuckDB's dialect to Spark SQL."""
    return ";\n".join(sqlglot.transpile(sql, read="duckdb", write="spark"))


class SparkBackend(AnalyticsBackend):
    """Spark SQL over the place's parquet batches."""

    name = "spark"
    _session: Any = None

    def __init__(self, place: Place) -> None:
        try:
            from pyspark.sql import SparkSession, functions
        except ModuleNotFoundError as exc:
            raise BackendError(
                "the Spark backend needs pyspark", hint="install totalplace[spark] (and Java 17)"
            ) from exc
        super().__init__(place)
        if SparkBackend._session is None:
            SparkBackend._session = (
                SparkSession.builder.master(settings.get_str("spark_master") or "local[2]")
                .appName("totalplace")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.session.timeZone", "UTC")
                # Local mode talks to itself only: bind and advertise loopback, or block transfers between
                # the driver's own executors try the machine's other addresses and can be refused.
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.runSQLOnFiles", "false")
                .getOrCreate()
            )
        spark = SparkBackend._session
        spark.createDataFrame(self.catalog).createOrReplaceTempView("catalog")
        spark.createDataFrame(self.areas).createOrReplaceTempView("areas")
        for kind, files in self.files.items():
            if files:
                frames = [
                    spark.read.parquet(str(f.path)).withColumn(
                        "batch_id", functions.lit(f.batch_id).cast("bigint")
                    )
                    for f in files
                ]
                union = frames[0]
                for frame in frames[1:]:
                    union = union.unionByName(frame, allowMissingColumns=True)
            else:
                union = spark.createDataFrame(self.empty_kind(kind)).withColumn(
                    "batch_id", functions.lit(0).cast("bigint")
                )
            union.createOrReplaceTempView(kind)
        self.spark = spark

    def query(self, sql: str, params: Params | None = None) -> pa.Table:
        values = checked_params(params)
        one_query(sql)
        try:
            result: pa.Table = self.spark.sql(to_spark_sql(sql), args=values or None).toArrow()
        except Exception as exc:  # pyspark raises many unrelated types; all mean the query failed
            raise BackendError(f"the query failed on Spark: {exc}") from exc
        return result

    def register_table(self, name: str, table: pa.Table) -> None:
        self.spark.createDataFrame(table).createOrReplaceTempView(check_name(name))

    def create_view(self, name: str, sql: str, *, materialise: bool = False) -> None:
        check_name(name)
        one_query(sql)
        try:
            frame = self.spark.sql(to_spark_sql(sql))
            (frame.cache() if materialise else frame).createOrReplaceTempView(name)
        except Exception as exc:  # pyspark raises many unrelated types; all mean the view failed
            raise BackendError(f"the view {name} could not be made on Spark: {exc}") from exc

    def close(self) -> None:
        """Spark's session is shared within the process and stopped at exit; views are replaced next time."""
