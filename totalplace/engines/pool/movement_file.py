"""Reading movements to post from a CSV or YAML file, refusing the whole file if any row is wrong.

Columns (CSV header or YAML keys): ``key`` (the idempotency key), ``kind`` (contribution, variation, in_kind,
allocation, spend, reversal), ``date``, ``amount`` (money text), ``partner``, ``scheme``, ``memo`` and
``reverses`` (the key of the transaction a reversal undoes: one already posted, or a movement earlier in the
same file, which is posted first in the same all-or-nothing submission).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import yaml

from totalplace.datasets import problems as codes
from totalplace.datasets.safe_yaml import decode, load_yaml
from totalplace.datasets.values import CellError, parse_date
from totalplace.engines.pool.movements import POSTABLE, Movement
from totalplace.errors import DocumentRefusedError, ImportRejectedError, RowProblem
from totalplace.money import Money, MoneyOutOfRangeError, MoneyParseError

COLUMNS = ("key", "kind", "date", "amount", "partner", "scheme", "memo", "reverses")
MAX_MOVEMENTS = 100_000  # one submission is posted in one transaction; more belongs in several files

#: A row as read: CSV cells by heading (cells past the header under None), or a YAML mapping.
_Row = dict[Any, Any]


def read_movements(data: str | bytes, file: str) -> list[Movement]:
    """Movements from CSV (by header) or YAML (a list of mappings); every bad cell is reported."""
    try:
        text = decode(data, file)
    except DocumentRefusedError as refused:
        raise ImportRejectedError(file, refused.problems) from None
    rows = _yaml_rows(text, file) if file.lower().endswith((".yaml", ".yml")) else _csv_rows(text, file)
    out: list[Movement] = []
    problems: list[RowProblem] = []
    for line, row in rows:
        movement, wrong = _movement(row, line, file)
        problems += wrong
        if movement is not None:
            out.append(movement)
    if problems:
        raise ImportRejectedError(file, problems)
    if not out:
        raise ImportRejectedError(
            file, [RowProblem(codes.NO_DATA_ROWS, file, 0, "", "", "no movements in the file")]
        )
    return out


def _movement(row: _Row, line: int, file: str) -> tuple[Movement | None, list[RowProblem]]:
    """The movement on one row, or None and every problem with the row."""
    problems = _unknown_columns(row, line, file)
    cell = {c: str(row.get(c) or "").strip() for c in COLUMNS}
    problems += [
        RowProblem(codes.MISSING_VALUE, file, line, column, "", f"a {column} is required")
        for column in ("key", "kind", "date")
        if not cell[column]
    ]
    if cell["kind"] and cell["kind"] not in POSTABLE:
        problems.append(
            RowProblem(codes.BAD_CODE, file, line, "kind", cell["kind"], f"kinds are: {', '.join(POSTABLE)}")
        )
    amount = _amount(cell, line, file, problems)
    day = _day(cell, line, file, problems)
    if day is None or problems:
        return None, problems
    return (
        Movement(
            cell["key"],
            cell["kind"],
            day,
            amount,
            cell["partner"] or None,
            cell["scheme"] or None,
            cell["memo"],
            cell["reverses"] or None,
        ),
        [],
    )


def _unknown_columns(row: _Row, line: int, file: str) -> list[RowProblem]:
    """A problem for each column the file should not have (a cell past the header has no column name)."""
    unknown = [str(c) if c is not None else "" for c in row if c not in COLUMNS]
    return [
        RowProblem(codes.MISSING_COLUMN, file, line, c, "", f"unknown column; use {', '.join(COLUMNS)}")
        if c
        else RowProblem(codes.RAGGED_ROW, file, line, "", "", "the row has more cells than the header")
        for c in unknown
    ]


def _amount(cell: dict[str, str], line: int, file: str, problems: list[RowProblem]) -> int:
    """The row's amount in pence (none for a reversal, which names the key it reverses instead)."""
    if cell["kind"] == "reversal":
        if not cell["reverses"]:
            problems.append(
                RowProblem(
                    codes.MISSING_VALUE, file, line, "reverses", "", "a reversal names the key it reverses"
                )
            )
        return 0
    try:
        return Money.parse(cell["amount"]).pence
    except MoneyParseError as exc:
        code = codes.AMOUNT_OUT_OF_RANGE if isinstance(exc, MoneyOutOfRangeError) else codes.BAD_AMOUNT
        problems.append(RowProblem(code, file, line, "amount", cell["amount"][:200], exc.message))
        return 0


def _day(cell: dict[str, str], line: int, file: str, problems: list[RowProblem]) -> date | None:
    """The row's date, or None (with a problem for one that is written but not a date)."""
    if not cell["date"]:
        return None
    try:
        return parse_date(cell["date"])
    except CellError as exc:
        problems.append(RowProblem(codes.BAD_DATE, file, line, "date", cell["date"], str(exc)))
        return None


def _csv_rows(text: str, file: str) -> list[tuple[int, _Row]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    rows: list[tuple[int, _Row]] = []
    try:
        if reader.fieldnames:
            reader.fieldnames = [f.strip().lower() for f in reader.fieldnames]
        for row in reader:
            if len(rows) >= MAX_MOVEMENTS:
                codes.reject(file, codes.TOO_MANY_ROWS, f"more than {MAX_MOVEMENTS:,} movements in one file")
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                rows.append((reader.line_num, dict(row)))
    except csv.Error as exc:
        codes.reject(file, codes.RAGGED_ROW, f"the CSV cannot be read past line {reader.line_num}: {exc}")
    return rows


def _yaml_rows(text: str, file: str) -> list[tuple[int, _Row]]:
    try:
        document = load_yaml(text, file)
    except DocumentRefusedError as refused:
        raise ImportRejectedError(file, refused.problems) from None
    data, node = document.data, document.node
    if isinstance(data, list) and len(data) > MAX_MOVEMENTS:
        codes.reject(file, codes.TOO_MANY_ROWS, f"more than {MAX_MOVEMENTS:,} movements in one file")
    if (
        not isinstance(data, list)
        or not all(isinstance(d, dict) for d in data)
        or not isinstance(node, yaml.SequenceNode)
    ):
        raise ImportRejectedError(
            file, [RowProblem(codes.NOT_A_TABLE, file, 1, "", "", "expected a list of movements")]
        )
    return [(n.start_mark.line + 1, d) for n, d in zip(node.value, data, strict=True)]
