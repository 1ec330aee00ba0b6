"""Exporting batches to CSV or XLSX with formula injection neutralised and numbers kept numeric.

A text cell that starts with = + - @ or a tab/CR can run as a formula when a spreadsheet opens the file
(OWASP "CSV Injection"); such cells get a leading apostrophe. Numbers, money and dates are written as
typed values, so they stay numbers. Money columns (``*_pence``) are exported in pounds.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pyarrow.parquet as pq

from totalplace.datasets.access import batch_resource, is_records
from totalplace.errors import PermissionDeniedError
from totalplace.money import Money
from totalplace.store.catalog import Batch, get_batch, record_download

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
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


def _cell(name: str, value: object) -> object:
    """A value as it should appear in a spreadsheet: pounds for pence, safe text, numbers and dates typed."""
    if name.endswith("_pence") and isinstance(value, int):
        return Money(value).to_decimal().quantize(Decimal("0.01"))
    if isinstance(value, str):
        return neutralise(value)
    return value


def _header(names: list[str]) -> list[str]:
    return [neutralise(n.removesuffix("_pence")) for n in names]


def rows_to_csv(names: list[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as CSV bytes (UTF-8 with BOM, so Excel reads £ correctly); ``*_pence`` columns in pounds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_header(names))
    for row in rows:
        cells = (_cell(n, v) for n, v in zip(names, row, strict=True))
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else v for v in cells])
    return buffer.getvalue().encode("utf-8-sig")


def rows_to_xlsx(names: list[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as an XLSX workbook with typed cells; ``*_pence`` columns in pounds."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(_header(names))
    for row in rows:
        sheet.append([_cell(n, v) for n, v in zip(names, row, strict=True)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _batch_rows(path: Path) -> tuple[list[str], Iterator[Sequence[object]]]:
    table = pq.read_table(path)

    def rows() -> Iterator[Sequence[object]]:
        for batch in table.to_batches():
            yield from zip(*(c.to_pylist() for c in batch.columns), strict=True)

    return list(table.column_names), rows()


def export_batch(
    place: Place, batch_id: int, fmt: ExportFormat, *, principal: Principal
) -> tuple[Batch, bytes]:
    """A batch's rows in ``fmt``, for a principal the policy allows (batch.download: the importing
    partner's roles, place-wide leads and auditors; a batch of the whole place's data, place-wide leads and
    auditors). The download is a read of restricted data, recorded in the audit trail before it is made."""
    with place.begin() as conn:
        batch = get_batch(conn, batch_id)
        if is_records(batch):
            raise PermissionDeniedError(
                f"batch {batch_id} holds records about people, which are not downloaded as a file",
                hint="they are read for their sharing agreement's purpose, through the people pages",
            )
        principal.require("batch.download", batch_resource(batch))
        record_download(conn, batch, actor=principal.username, fmt=fmt)
    names, rows = _batch_rows(place.batches_dir / batch.parquet_path)
    return batch, rows_to_xlsx(names, rows) if fmt == "xlsx" else rows_to_csv(names, rows)
