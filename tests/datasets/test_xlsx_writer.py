"""The streaming XLSX writer: what a spreadsheet reads back is what openpyxl's own workbook would hold."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from totalplace.datasets.export import rows_to_xlsx
from totalplace.datasets.xlsx_writer import column_letters, write_xlsx

ROWS: list[list[object]] = [
    ["text", "number", "money", "date", "when", "flag", "empty"],
    ["plain", 1, Decimal("12.50"), date(2024, 4, 1), datetime(2024, 4, 1, 12, 30), True, None],
    ["<tag> & \"quotes\" 'apos'", -3, Decimal("-0.01"), date(1900, 3, 1), datetime(2000, 1, 1), False, None],
    [
        "  spaces kept  ",
        2.5,
        Decimal("1000000.00"),
        date(2099, 12, 31),
        datetime(2024, 2, 29, 23, 59, 59),
        None,
        "",
    ],
    [
        "line\nbreak\ttab £ é ✓ 😀",
        10**12,
        Decimal("3.14159"),
        date(2024, 2, 29),
        datetime(2024, 4, 1),
        True,
        None,
    ],
    ["'=SUM(A1)", 1e-7, Decimal("0.00"), date(1970, 1, 1), datetime(1970, 1, 1, 0, 0, 1), False, None],
]


def _openpyxl_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ours(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    assert write_xlsx(buffer, rows) == len(rows)
    return buffer.getvalue()


def _read_openpyxl(body: bytes) -> list[tuple[object, ...]]:
    """The rows as openpyxl reads them, padded to the widest (a file may leave trailing empty cells out)."""
    sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    width = max(len(row) for row in rows)
    return [row + (None,) * (width - len(row)) for row in rows]


def _read_calamine(body: bytes) -> list[list[object]]:
    return [
        list(row)
        for row in CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    ]


def test_openpyxl_reads_back_what_openpyxl_wrote() -> None:
    assert _read_openpyxl(_ours(ROWS)) == _read_openpyxl(_openpyxl_bytes(ROWS))


def test_calamine_reads_back_what_openpyxl_wrote() -> None:
    assert _read_calamine(_ours(ROWS)) == _read_calamine(_openpyxl_bytes(ROWS))


def test_dates_and_money_have_formats_a_spreadsheet_shows() -> None:
    sheet = load_workbook(io.BytesIO(_ours(ROWS))).worksheets[0]
    assert sheet["D2"].number_format == "yyyy-mm-dd" and sheet["D2"].is_date
    assert sheet["C2"].number_format == "0.00"
    assert sheet["B2"].number_format == "General"


def test_characters_xml_cannot_hold_are_dropped_and_infinities_are_text() -> None:
    body = _ours([["a\x00b\x1fc", float("nan"), float("inf")]])
    assert _read_openpyxl(body) == [("abc", "nan", "inf")]


def test_progress_is_told_as_rows_are_written() -> None:
    told: list[int] = []
    rows: list[list[object]] = [["n"]]
    rows.extend([number] for number in range(2500))
    write_xlsx(io.BytesIO(), rows, progress=told.append)
    assert told == [1000, 2000, 2501]


@pytest.mark.parametrize(("count", "last"), [(1, "A"), (26, "Z"), (27, "AA"), (702, "ZZ"), (703, "AAA")])
def test_column_letters(count: int, last: str) -> None:
    assert column_letters(count)[-1] == last


def test_an_export_neutralises_formulas_and_writes_pounds() -> None:
    body = rows_to_xlsx(["supplier", "amount_pence"], [["=cmd|' /C calc'!A0", 123456], ["Acme", -5]])
    assert _read_openpyxl(body) == [
        ("supplier", "amount"),
        ("'=cmd|' /C calc'!A0", 1234.56),
        ("Acme", -0.05),
    ]
