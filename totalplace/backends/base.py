"""The interface every analytics backend offers, and the views it must provide.

Views, named the same on every backend:
- one per dataset kind (``spend``, ``geography``): the rows of its active batches with a ``batch_id``
  column, unioned by column name;
- ``catalog``: one row per batch with its provenance (``totals`` as JSON text);
- ``areas``: the place's small areas (code, name, level, parent_code, population).

Queries take their values as named parameters (``$name``, bound by the backend), never pasted into the SQL
(:mod:`totalplace.backends.safe_sql`), and each call runs exactly one SELECT.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from totalplace.backends.safe_sql import Params
from totalplace.datasets.kinds import KINDS
from totalplace.store.areas import list_areas
from totalplace.store.catalog import list_batches

if TYPE_CHECKING:
    import pyarrow as pa

    from totalplace.place import Place


@dataclass(frozen=True)
class BatchFile:
    """An active batch's id and file, as a backend reads it."""

    batch_id: int
    path: Path


class AnalyticsBackend(ABC):
    """Runs SQL (DuckDB dialect) over a place's batches, catalog and areas."""

    name: str = "abstract"

    def __init__(self, place: Place) -> None:
        import pyarrow as pa  # here, not at the top: a command that only names a backend stays light

        self.place = place
        with place.read() as conn:
            batches = list_batches(conn)
            areas = list_areas(conn)
        self.files: dict[str, list[BatchFile]] = {kind: [] for kind in KINDS}
        for batch in sorted(batches, key=lambda b: b.id):
            if batch.status == "active":
                path = place.batches_dir / Path(batch.parquet_path).name
                self.files.setdefault(batch.kind, []).append(BatchFile(batch.id, path))
        self.catalog = pa.table(
            {
                "batch_id": pa.array([b.id for b in batches], pa.int64()),
                "kind": pa.array([b.kind for b in batches], pa.string()),
                "partner_id": pa.array([b.partner_id for b in batches], pa.int64()),
                "partner": pa.array([b.partner_name for b in batches], pa.string()),
                "source_name": pa.array([b.source_name for b in batches], pa.string()),
                "sha256": pa.array([b.sha256 for b in batches], pa.string()),
                "row_count": pa.array([b.row_count for b in batches], pa.int64()),
                "totals": pa.array([json.dumps(b.totals) for b in batches], pa.string()),
                "status": pa.array([b.status for b in batches], pa.string()),
                "imported_at": pa.array([b.imported_at for b in batches], pa.string()),
            }
        )
        self.areas = pa.table(
            {
                "code": pa.array([a.code for a in areas], pa.string()),
                "name": pa.array([a.name for a in areas], pa.string()),
                "level": pa.array([a.level for a in areas], pa.string()),
                "parent_code": pa.array([a.parent_code for a in areas], pa.string()),
                "population": pa.array([a.population for a in areas], pa.int64()),
            }
        )

    def empty_kind(self, kind: str) -> pa.Table:
        """A zero-row table with the columns of a dataset kind, for kinds with no batches yet."""
        from totalplace.datasets.stored import arrow_schema

        return arrow_schema(KINDS[kind].schema).empty_table()

    @abstractmethod
    def query(self, sql: str, params: Params | None = None) -> pa.Table:
        """Run one SELECT (DuckDB dialect) and return its result as an Arrow table.

        ``params`` binds the query's named parameters: ``$level`` in the SQL takes ``params["level"]``. Every
        value that comes from a request, a file or a person goes this way. SQL holding anything but a single
        SELECT is refused (QueryRefusedError, TP410) before it runs.
        """

    @abstractmethod
    def register_table(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as ``name`` (engines use this for small lookup tables)."""

    @abstractmethod
    def create_view(self, name: str, sql: str, *, materialise: bool = False) -> None:
        """Define ``name`` (a plain lower-case SQL name) as one SELECT (DuckDB dialect, no parameters),
        replacing any of that name.

        With ``materialise`` the result is computed once and kept (a temporary table, a cached frame), for a
        view that many queries then read.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the backend's resources."""

    def __enter__(self) -> AnalyticsBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
