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

import io
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from totalplace.backends.safe_sql import Params
from totalplace.datasets.kinds import ANALYTICS_KINDS, KINDS
from totalplace.store.areas import list_areas
from totalplace.store.catalog import list_batches

if TYPE_CHECKING:
    import pyarrow as pa

    from totalplace.place import Place


#: The columns of the ``catalog`` and ``areas`` views, as Arrow types by name.
CATALOG_COLUMNS: Final = (
    ("batch_id", "int64"),
    ("kind", "string"),
    ("partner_id", "int64"),
    ("partner", "string"),
    ("source_name", "string"),
    ("sha256", "string"),
    ("row_count", "int64"),
    ("totals", "string"),
    ("status", "string"),
    ("imported_at", "string"),
)
AREA_COLUMNS: Final = (
    ("code", "string"),
    ("name", "string"),
    ("level", "string"),
    ("parent_code", "string"),
    ("population", "int64"),
)


def arrow_rows(rows: list[dict[str, object]], columns: tuple[tuple[str, str], ...]) -> pa.Table:
    """An Arrow table of ``rows`` with exactly ``columns``, read by Arrow's JSON reader.

    Why not ``pa.table``/``pa.array``: in PyArrow 26 converting any Python or NumPy values first imports
    pandas (0.2-0.6 s), which every command that opens the analytics backend would pay for two small tables.
    """
    import pyarrow as pa
    import pyarrow.json as pa_json

    schema = pa.schema([(name, pa.type_for_alias(kind)) for name, kind in columns])
    if not rows:
        return pa.Table.from_batches([], schema=schema)
    body = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode("utf-8")
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    return pa_json.read_json(io.BytesIO(body), parse_options=options).combine_chunks()


@dataclass(frozen=True)
class BatchFile:
    """An active batch's id and file, as a backend reads it."""

    batch_id: int
    path: Path


class AnalyticsBackend(ABC):
    """Runs SQL (DuckDB dialect) over a place's batches, catalog and areas."""

    name: str = "abstract"

    def __init__(self, place: Place) -> None:
        self.place = place
        with place.read() as conn:
            batches = list_batches(conn)
            areas = list_areas(conn)
        self.files: dict[str, list[BatchFile]] = {kind: [] for kind in ANALYTICS_KINDS}
        for batch in sorted(batches, key=lambda b: b.id):
            if batch.status == "active" and batch.kind in self.files:
                path = place.batches_dir / Path(batch.parquet_path).name
                self.files.setdefault(batch.kind, []).append(BatchFile(batch.id, path))
        self.catalog = arrow_rows(
            [
                {
                    "batch_id": b.id,
                    "kind": b.kind,
                    "partner_id": b.partner_id,
                    "partner": b.partner_name,
                    "source_name": b.source_name,
                    "sha256": b.sha256,
                    "row_count": b.row_count,
                    "totals": json.dumps(b.totals),
                    "status": b.status,
                    "imported_at": b.imported_at,
                }
                for b in batches
            ],
            CATALOG_COLUMNS,
        )
        self.areas = arrow_rows(
            [
                {
                    "code": a.code,
                    "name": a.name,
                    "level": a.level,
                    "parent_code": a.parent_code,
                    "population": a.population,
                }
                for a in areas
            ],
            AREA_COLUMNS,
        )

    def empty_kind(self, kind: str) -> pa.Table:
        """A zero-row table with the columns of a dataset kind, for kinds with no batches yet."""
        import pyarrow as pa

        from totalplace.datasets.stored import arrow_schema

        # Table.from_batches, not Schema.empty_table(): the latter loads pandas (PyArrow 26).
        return pa.Table.from_batches([], schema=arrow_schema(KINDS[kind].schema))

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
