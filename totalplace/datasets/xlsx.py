"""Reading the first sheet of an XLSX workbook, with XML entity expansion refused (defusedxml)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

from totalplace.datasets import problems as codes
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import check_zip_members, read_member

_DANGEROUS_XML = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def read_xlsx(
    archive: zipfile.ZipFile, data: bytes, name: str, limits: ImportLimits
) -> Iterator[tuple[int, list[str | object]]]:
    """Rows of the first worksheet as text cells (dates stay dates); refuses unsafe workbooks first."""
    check_zip_members(archive, len(data), name, limits)
    for member in archive.namelist():
        # Workbooks never need a DTD; one is how an entity-expansion ("billion laughs") bomb starts.
        if member.endswith((".xml", ".rels")) and _DANGEROUS_XML.search(
            read_member(archive, member, name, limits)[:1_000_000]
        ):
            codes.reject(
                name,
                codes.UNSAFE_XML,
                f"the workbook part {member} declares XML entities, which "
                "workbooks never need; it was refused as unsafe",
                value=member,
            )
    return _rows(data, name, limits)


def _rows(data: bytes, name: str, limits: ImportLimits) -> Iterator[tuple[int, list[str | object]]]:
    import defusedxml
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (defusedxml.DefusedXmlException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        codes.reject(name, codes.NOT_A_TABLE, f"the workbook cannot be read: {exc}")
    sheet = book.worksheets[0]
    if (sheet.max_column or 0) > limits.max_columns:
        codes.reject(
            name,
            codes.TOO_MANY_COLUMNS,
            f"the sheet has {sheet.max_column:,} columns; the limit is {limits.max_columns:,}",
        )
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if len(values) > limits.max_columns:
                codes.reject(
                    name, codes.TOO_MANY_COLUMNS, f"row {number} has {len(values):,} columns", row=number
                )
            yield number, [_cell_text(v) for v in values]
    finally:
        book.close()


def _cell_text(value: object) -> str | object:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # A spreadsheet number is a double; its shortest repr is the text the author typed (1234.5, not
        # 1234.4999999). Money parsing then takes it exactly, or refuses fractions of a penny.
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)
