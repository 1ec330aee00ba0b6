"""Testing rules on a file before (or without) importing it: the same map, over the file alone."""

from __future__ import annotations

import pyarrow as pa

from totalplace.backends.duckdb import DuckDBBackend
from totalplace.datasets.importer import ParsedFile
from totalplace.engines.spendmap.map import SpendMap, build_spend_map
from totalplace.engines.spendmap.rules import RuleSet


def preview_map(parsed: ParsedFile, ruleset: RuleSet, partner: str, *, top: int = 10) -> SpendMap:
    """The spending map of one parsed file, as if it were the place's only spending."""
    lines = parsed.to_arrow()
    lines = lines.add_column(0, "batch_id", pa.array([0] * lines.num_rows, pa.int64()))
    catalog = pa.table({"batch_id": pa.array([0], pa.int64()), "status": ["active"], "partner": [partner]})
    areas = pa.table(
        {
            "code": pa.array([], pa.string()),
            "name": pa.array([], pa.string()),
            "level": pa.array([], pa.string()),
            "population": pa.array([], pa.int64()),
        }
    )
    with DuckDBBackend.over_tables({"spend": lines, "catalog": catalog, "areas": areas}) as engine:
        return build_spend_map(engine, ruleset, top=top)
