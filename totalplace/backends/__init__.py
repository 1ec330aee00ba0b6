"""Analytics execution over the catalog and the parquet batches (DESIGN.md §4).

Engines write SQL in DuckDB's dialect against the views every backend provides and run it through
:class:`~totalplace.backends.base.AnalyticsBackend`; the Spark backend translates it with sqlglot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from totalplace.errors import BackendError

if TYPE_CHECKING:
    from totalplace.backends.base import AnalyticsBackend
    from totalplace.place import Place

BACKENDS = ("duckdb", "spark")


def open_backend(place: Place, name: str) -> AnalyticsBackend:
    """The backend called ``name`` over ``place``; Spark is imported only when asked for."""
    if name == "duckdb":
        from totalplace.backends.duckdb import DuckDBBackend

        return DuckDBBackend(place)
    if name == "spark":
        from totalplace.backends.spark import SparkBackend

        return SparkBackend(place)
    raise BackendError(f"unknown analytics backend {name!r}", hint=f"backends are: {', '.join(BACKENDS)}")
