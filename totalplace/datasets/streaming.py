"""Importing a large plain CSV spend file in bounded memory: scanned once, then read and written in blocks.

The first pass hashes the file (for "these bytes were imported before") and notes what the vectorised path
must know about the whole of it: whether any byte is a quote (a value could hold a newline) and whether any
line is blank (row numbers would shift). The second pass reads blocks of rows with Arrow, types and checks
each block exactly as the whole-file vectorised path does, and appends it to the parquet file under its
temporary name, keeping running totals. Anything that path would hand to the exact path (a bad cell, a
totals row, a repeated header) abandons the stream, removes the part-written file, and the caller reads the
file whole as before, so every problem is still reported with its row and column.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from totalplace.datasets.fastpath import (
    UNSUITABLE,
    UnsuitableError,
    check_tail,
    convert_options,
    locate_header,
    parse_options,
    typed_columns,
)
from totalplace.datasets.schema import DatasetSchema
from totalplace.datasets.stored import arrow_schema

CHUNK: Final = 8 << 20
HEAD: Final = 1 << 20
BLOCK: Final = 32 << 20  # bytes of CSV per Arrow block: about 400,000 spend lines


@dataclass(frozen=True)
class FileScan:
    """What one pass over a file found: its hash and size, its head, and two facts about all of it."""

    sha256: str
    size: int
    head: bytes
    has_quote: bool
    last_blank_line: int  # byte offset of the last blank line, -1 if none

    @property
    def has_blank_line(self) -> bool:
        """True when some line of the file is empty."""
        return self.last_blank_line >= 0


@dataclass(frozen=True)
class Streamed:
    """A file written to parquet block by block: its rows, totals and where its header was."""

    rows: int
    totals: dict[str, int]
    header_row: int
    skipped_above: int


def scan(path: Path) -> FileScan:
    """Hash the file and look for quotes and blank lines, reading it in chunks."""
    digest = hashlib.sha256()
    head = b""
    has_quote = False
    last_blank = -1
    carry = b""
    size = 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if len(head) < HEAD:
                head += chunk[: HEAD - len(head)]
            has_quote = has_quote or b'"' in chunk
            joined = carry + chunk
            found = max(joined.rfind(b"\n\n"), joined.rfind(b"\n\r\n"))
            if found >= 0:
                last_blank = size - len(joined) + found
            carry = chunk[-2:]
    return FileScan(digest.hexdigest(), size, head, has_quote, last_blank)


def stream_clean_spend(
    path: Path,
    found: FileScan,
    schema: DatasetSchema,
    out: Path,
    *,
    max_rows: int | None = None,
    block_size: int | None = None,
) -> Streamed | None:
    """Write the stored rows of a clean CSV file to ``out`` in blocks; None, and no file, if unsuitable."""
    try:
        streamed = _stream(path, found, schema, out, block_size or BLOCK, max_rows)
    except UNSUITABLE:
        out.unlink(missing_ok=True)
        return None
    return streamed


def _stream(
    path: Path, found: FileScan, schema: DatasetSchema, out: Path, block_size: int, max_rows: int | None
) -> Streamed:
    header_row, offset, headers, delimiter, encoding, skipped = locate_header(found.head, schema)
    if found.last_blank_line >= offset:
        raise UnsuitableError  # blank lines among the rows shift row numbers; the exact path handles them
    with path.open("rb") as source:
        source.seek(offset)
        first_line = source.readline().decode(encoding).rstrip("\r\n")
        if next(csv.reader([first_line], delimiter=delimiter), []) != headers:
            raise UnsuitableError
        source.seek(offset)
        names = [f"c{i}" for i in range(len(headers))]
        reader = pa_csv.open_csv(
            source,
            read_options=pa_csv.ReadOptions(
                column_names=names, skip_rows=1, encoding=encoding, block_size=block_size
            ),
            parse_options=parse_options(delimiter),
            convert_options=convert_options(names),
        )
        return _write_blocks(reader, headers, schema, out, (header_row, skipped), found.has_quote, max_rows)


def _write_blocks(
    reader: pa_csv.CSVStreamingReader,
    headers: list[str],
    schema: DatasetSchema,
    out: Path,
    header: tuple[int, int],
    quoted: bool,
    max_rows: int | None,
) -> Streamed:
    header_row, skipped = header
    stored = arrow_schema(schema)
    totals = {spec.stored_name: 0 for spec in schema.columns if spec.name in schema.total_columns}
    rows = 0
    last: pa.Table | None = None
    with pq.ParquetWriter(out, stored, compression="zstd") as writer:
        for batch in reader:
            if batch.num_rows == 0:
                continue
            block = pa.Table.from_batches([batch])
            typed = pa.table(typed_columns(block, headers, schema, header_row + 1 + rows, quoted=quoted))
            typed = typed.cast(stored)
            for column in totals:
                totals[column] += int(pc.sum(typed.column(column)).as_py() or 0)
            writer.write_table(typed)
            rows += block.num_rows
            last = block
            if max_rows is not None and rows > max_rows:
                raise UnsuitableError  # the exact path refuses it, naming the first row past the limit
    if last is None:
        raise UnsuitableError
    check_tail(last)
    return Streamed(rows, totals, header_row, skipped)
