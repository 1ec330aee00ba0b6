"""Exporting batches to CSV or XLSX with formula injection neutralised and numbers kept numeric.

A text cell that starts with = + - @ or a tab/CR can run as a formula when a spreadsheet opens the file
(OWASP "CSV Injection"); such cells get a leading apostrophe. Numbers, money and dates are written as
typed values, so they stay numbers. Money columns (``*_pence``) are exported in pounds.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pyarrow.parquet as pq

from totalplace.money import Money
from totalplace.store import audit
from totalplace.store.catalog import Batch, get_batch

if TYPE_CHECKING:
    from totalplace.place import Place

ExportFormat = Literal["csv", "xlsx"]
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def neutralise(value: str) -> str:
    """Text made safe to open in a spreadsheet: a formula-like cell gets a leading apostrophe.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("-12.50")
    '-12.50'
    """
    if value.startswith(_TRIGGERS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _typed_rows(path: Path) -> tuple[list[str], Iterator[list[object]]]:
    table = pq.read_table(path)
    names = [n.removesuffix("_pence") if n.endswith("_pence") else n for n in table.column_names]
    money = [n.endswith("_pence") for n in table.column_names]

    def rows() -> Iterator[list[object]]:
        for batch in table.to_batches():
            columns = [c.to_pylist() for c in batch.columns]
            for values in zip(*columns, strict=True):
                out: list[object] = []
                for is_money, value in zip(money, values, strict=True):
                    if is_money and value is not None:
                        out.append(Money(int(value)).to_decimal().quantize(Decimal("0.01")))
                    elif isinstance(value, str):
                        out.append(neutralise(value))
                    else:
                        out.append(value)
                yield out

    return names, rows()


def export_csv(path: Path) -> bytes:
    """A batch as CSV bytes (UTF-8 with BOM, so Excel reads £ correctly)."""
    names, rows = _typed_rows(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(n) for n in names])
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(path: Path) -> bytes:
    """A batch as an XLSX workbook with typed cells."""
    from openpyxl import Workbook

    names, rows = _typed_rows(path)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append([neutralise(n) for n in names])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_batch(place: Place, batch_id: int, fmt: ExportFormat, *, actor: str) -> tuple[Batch, bytes]:
    """A batch's rows in ``fmt``; the export is recorded in the audit trail, as every read of rows is."""
    with place.begin() as conn:
        batch = get_batch(conn, batch_id)
        audit.append(
            conn,
            actor=actor,
            action="batch.export",
            object_type="batch",
            object_id=batch_id,
            detail={"format": fmt},
        )
    path = place.batches_dir / batch.parquet_path
    return batch, export_xlsx(path) if fmt == "xlsx" else export_csv(path)
