"""Parsing one cell into a typed value: dates as published by UK public bodies, integers, numbers, codes."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from typing import Final

EARLIEST: Final = date(1900, 1, 1)
LATEST: Final = date(2100, 12, 31)

_DATE_FORMATS: Final = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %Y",
    "%d %B %Y",
    "%Y/%m/%d",
    "%d-%B-%Y",
    "%Y%m%d",
)
_TIME_SUFFIX: Final = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message says why."""


_ISO: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UK: Final = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@functools.lru_cache(maxsize=8192)
def parse_date(value: str | object) -> date:
    """A date from a cell: dd/mm/yyyy (UK order, never US), ISO, "01-Apr-2024", or a spreadsheet date.

    Published files repeat a few hundred dates many thousands of times, so results are remembered.
    """
    if isinstance(value, datetime):
        return _in_range(value.date())
    if isinstance(value, date):
        return _in_range(value)
    text = _TIME_SUFFIX.sub("", str(value).strip())
    for pattern, order in ((_ISO, (0, 1, 2)), (_UK, (2, 1, 0))):
        match = pattern.match(text)
        if match:
            parts = [int(match.group(i + 1)) for i in range(3)]
            try:
                return _in_range(date(parts[order[0]], parts[order[1]], parts[order[2]]))
            except ValueError:
                raise CellError(f"{text!r} is not a real date (day or month out of range)") from None
    for fmt in _DATE_FORMATS:
        try:
            return _in_range(datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", text):
        raise CellError(f"{text!r} is not a real date (day or month out of range)")
    raise CellError(f"{text!r} is not a date; write it as dd/mm/yyyy")


def _in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise CellError(f"{value.isoformat()} is outside {EARLIEST.year} to {LATEST.year}")
    return value


def parse_integer(value: str | object) -> int:
    """A whole number, allowing thousands separators ("12,345")."""
    text = str(value).strip().replace(",", "")
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d+\.0+", text):
        return int(text.split(".")[0])
    raise CellError(f"{str(value)!r} is not a whole number")


_NUMBER: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_number(value: str | object) -> float:
    """A measured quantity that is not money (a census count, a density, a floor area), thousands allowed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(f"{value!r} is not a finite number")
        return float(value)
    text = str(value).strip().replace(",", "")
    if _NUMBER.fullmatch(text):
        return float(text)
    raise CellError(f"{str(value)!r} is not a number")
