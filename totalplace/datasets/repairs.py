"""Repairs of defects that published files really have, each reported row by row, never silent.

Lost delimiters: some council exports drop the comma before a date, so a row reads
``…,Catch2212/06/2012,8755.20,,`` (supplier fused with date, later cells shifted left) or
``…,Corona Gas,07/06/2012856.01,,`` (date fused with amount). The cells that should exist are recoverable
exactly when the row ends in enough empty cells to absorb them. A row is repaired only when its date cell
does not hold a date, by splitting the first cell that has a date inside it at the date's boundaries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from totalplace.datasets.table import LocatedTable
from totalplace.datasets.values import CellError, parse_date

_EMBEDDED_DATE = re.compile(r"^(.*?)(\d{2}/\d{2}/\d{4})(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Repair:
    """One repaired row: its number, the cells as read and as repaired."""

    row: int
    before: tuple[str, ...]
    after: tuple[str, ...]


def _is_date(value: object) -> bool:
    try:
        parse_date(value)
    except CellError:
        return False
    return True


def _resplit(cells: list[str | object]) -> list[str | object] | None:
    trailing = len(cells) - 1 - _last_filled(cells)  # empty cells at the end, which can absorb a split
    for position, cell in enumerate(cells):
        if not isinstance(cell, str):
            continue
        match = _EMBEDDED_DATE.match(cell)
        if match is None or match.group(2) == cell.strip():
            continue
        parts = [p for p in (match.group(1).strip(), match.group(2), match.group(3).strip()) if p]
        extra = len(parts) - 1
        if extra < 1 or extra > trailing:
            return None
        repaired = [*cells[:position], *parts, *cells[position + 1 :]]
        return repaired[: len(cells)]
    return None


def _last_filled(cells: list[str | object]) -> int:
    for position in range(len(cells) - 1, -1, -1):
        if str(cells[position]).strip():
            return position
    return -1


def repair_lost_delimiters(table: LocatedTable, date_column: str) -> list[Repair]:
    """Re-split rows whose date cell is not a date because a delimiter was lost; return what was done."""
    position = table.index.get(date_column)
    if position is None:
        return []
    repairs: list[Repair] = []
    for i, (number, cells) in enumerate(table.rows):
        if position < len(cells) and _is_date(cells[position]):
            continue
        fixed = _resplit(list(cells))
        if fixed is None or not _is_date(fixed[position]):
            continue
        table.rows[i] = (number, fixed)
        repairs.append(Repair(number, tuple(map(str, cells)), tuple(map(str, fixed))))
    return repairs
