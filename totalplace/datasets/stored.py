"""The parquet shape of a dataset kind's batches: the Arrow type each column kind is stored as.

It sits beside :mod:`totalplace.datasets.schema` (which stays free of pyarrow, so that modules reading only
column specs stay cheap to import) and below the importer, so the analytics backends and the streaming
writer read the stored shape without importing the importer.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

from totalplace.datasets.schema import ColumnKind, DatasetSchema

ARROW_TYPES: Final[dict[ColumnKind, pa.DataType]] = {
    "text": pa.string(),
    "code": pa.string(),
    "geometry": pa.string(),
    "money": pa.int64(),
    "date": pa.date32(),
    "integer": pa.int64(),
    "number": pa.float64(),
}


def arrow_schema(schema: DatasetSchema) -> pa.Schema:
    """The parquet schema of a dataset kind's batches: its stored columns, then ``source_row``."""
    fields = [pa.field(spec.stored_name, ARROW_TYPES[spec.kind]) for spec in schema.columns]
    return pa.schema([*fields, pa.field("source_row", pa.int64())])
