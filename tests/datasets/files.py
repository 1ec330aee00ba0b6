"""Building test files in the shapes organisations publish: CSV in several encodings, ZIP, XLSX."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

HEADER = "Payment Date,Supplier Name,Amount,Description"
GOOD_ROWS = (
    '01/04/2024,Acme Care Ltd,"1,234.50",Care\n'
    "15/04/2024,Café Nero,(25.00),Refund\n"
    "30/04/2024,=cmd|' /C calc'!A0,99.99,Supplies\n"
)


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    """Text encoded as a finance system would write it."""
    return text.encode(encoding)


def zip_of(files: dict[str, bytes]) -> bytes:
    """A ZIP archive holding ``files``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx_of(rows: list[list[object]]) -> bytes:
    """An XLSX workbook whose first sheet holds ``rows``."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_ROWS: list[list[object]] = [
    ["Payments over £500"],
    [],
    ["Payment Date", "Supplier Name", "Amount", "Description"],
    [datetime(2024, 4, 1), "Acme Care Ltd", 1234.5, "Care"],
    ["15/04/2024", "Café Nero", -25, "Refund"],
    [datetime(2024, 4, 30), "Plain Ltd", 99.99, "Supplies"],
]
