"""Exporting batches to CSV or XLSX with formula injection neutralised and numbers kept numeric.

A text cell that starts with = + - @ or a tab/CR can run as a formula when a spreadsheet opens the file
(OWASP "CSV Injection"); such cells get a leading apostrophe. Numbers, money and dates are written as
typed values, so they stay numbers. Money columns (``*_pence``) are exported in pounds.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, Literal

from totalplace.datasets.access import batch_resource, is_records
from totalplace.errors import PermissionDeniedError
from totalplace.money import Money
from totalplace.store.catalog import Batch, get_batch, record_download

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place

ExportFormat = Literal["csv", "xlsx"]
#: Told the number of rows written so far, every STEP rows and at the end.
Counter = Callable[[int], None]
STEP: Final = 1000
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


def _csv_cells(names: list[str], row: Sequence[object]) -> list[object]:
    cells = (_cell(n, v) for n, v in zip(names, row, strict=True))
    return ["" if v is None else v.isoformat() if isinstance(v, date) else v for v in cells]


def write_csv(
    target: IO[bytes], names: list[str], rows: Iterable[Sequence[object]], progress: Counter | None = None
) -> None:
    """Rows as CSV (UTF-8 with BOM, so Excel reads £ correctly) into ``target``; ``*_pence`` in pounds."""
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(_header(names))
    done = 0
    for done, row in enumerate(rows, start=1):
        writer.writerow(_csv_cells(names, row))
        if progress and done % STEP == 0:
            progress(done)
    if progress:
        progress(done)
    text.detach()  # leave ``target`` open for its owner


def write_xlsx_rows(
    target: IO[bytes], names: list[str], rows: Iterable[Sequence[object]], progress: Counter | None = None
) -> None:
    """Rows as an XLSX workbook of typed cells, streamed into ``target``; ``*_pence`` columns in pounds."""
    from totalplace.datasets.xlsx_writer import write_xlsx

    cells = ([_cell(n, v) for n, v in zip(names, row, strict=True)] for row in rows)
    told = None if progress is None else (lambda written: progress(max(0, written - 1)))  # not the header
    write_xlsx(target, itertools.chain([_header(names)], cells), progress=told)


def rows_to_csv(names: list[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as CSV bytes (UTF-8 with BOM, so Excel reads £ correctly); ``*_pence`` columns in pounds."""
    buffer = io.BytesIO()
    write_csv(buffer, names, rows)
    return buffer.getvalue()


def rows_to_xlsx(names: list[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as an XLSX workbook with typed cells; ``*_pence`` columns in pounds."""
    buffer = io.BytesIO()
    write_xlsx_rows(buffer, names, rows)
    return buffer.getvalue()


def _batch_rows(path: Path) -> tuple[list[str], Iterator[Sequence[object]]]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)

    def rows() -> Iterator[Sequence[object]]:
        for batch in file.iter_batches(batch_size=10_000):  # a block at a time, not the whole table
            yield from zip(*(c.to_pylist() for c in batch.columns), strict=True)

    return list(file.schema_arrow.names), rows()


def open_export(place: Place, batch_id: int, fmt: ExportFormat, *, principal: Principal) -> Batch:
    """The batch ``principal`` may export, after asking the policy (batch.download: the importing
    partner's roles, place-wide leads and auditors; a batch of the whole place's data, place-wide leads and
    auditors) and recording the download in the audit trail: a read of restricted data, recorded before it
    is made."""
    with place.begin() as conn:
        batch = get_batch(conn, batch_id)
        if is_records(batch):
            raise PermissionDeniedError(
                f"batch {batch_id} holds records about people, which are not downloaded as a file",
                hint="they are read for their sharing agreement's purpose, through the people pages",
            )
        principal.require("batch.download", batch_resource(batch))
        record_download(conn, batch, actor=principal.username, fmt=fmt)
    return batch


def export_batch_to(
    place: Place,
    batch_id: int,
    fmt: ExportFormat,
    target: IO[bytes],
    *,
    principal: Principal,
    progress: Counter | None = None,
) -> Batch:
    """Stream a batch's rows in ``fmt`` into ``target`` (a file being written), for a principal the
    policy allows (see :func:`open_export`); ``progress`` is told the rows written so far as it goes."""
    batch = open_export(place, batch_id, fmt, principal=principal)
    names, rows = _batch_rows(place.batches_dir / batch.parquet_path)
    (write_xlsx_rows if fmt == "xlsx" else write_csv)(target, names, rows, progress)
    return batch


def export_batch(
    place: Place, batch_id: int, fmt: ExportFormat, *, principal: Principal
) -> tuple[Batch, bytes]:
    """A batch's rows in ``fmt`` as bytes (the web's download), for a principal the policy allows."""
    buffer = io.BytesIO()
    batch = export_batch_to(place, batch_id, fmt, buffer, principal=principal)
    return batch, buffer.getvalue()
