"""Parsing one cell into a typed value: dates as published by UK public bodies, integers, numbers, codes."""

from __future__ import annotations

import functools
import math
import re
from datetime import date, datetime
from typing import Final

from totalplace.datasets.problems import NUMBER_OUT_OF_RANGE

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
# The shapes of every format in _DATE_FORMATS: day, month (number or name) and year with separators, or
# yyyymmdd.
_DATE_SHAPE: Final = re.compile(r"^\d{1,4}[/.\- ]+(\d{1,2}|[A-Za-z]{3,9})[/.\- ]+\d{2,4}$|^\d{8}$")
_TIME_SUFFIX: Final = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message says why, ``code`` (if any) which
    problem code names it (otherwise the column type's usual one)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


# Bounds on numbers that are not money (counts, populations, coordinates, floor areas): finite, and small
# enough that a 64-bit float holds every whole number up to them exactly (2^53 is about 9.007 x 10^15).
MAX_NUMBER: Final = 1e15
MAX_INTEGER: Final = 2**53


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
    if not _DATE_SHAPE.match(text):
        # no format below can match: refused without a dozen strptime attempts (a column of 700,000
        # numbers where dates should be took minutes)
        raise CellError(f"{text[:40]!r} is not a date; write it as dd/mm/yyyy")
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
    """A whole number, allowing thousands separators ("12,345"), within :data:`MAX_INTEGER` either way."""
    if isinstance(value, float) and not math.isfinite(value):
        raise CellError(f"{value!r} is not a finite number", NUMBER_OUT_OF_RANGE)
    text = str(value).strip().replace(",", "")
    if len(text) > 40:
        raise CellError(f"{text[:40]!r}... is far too long for a whole number", NUMBER_OUT_OF_RANGE)
    if re.fullmatch(r"[+-]?\d+", text):
        return _bounded_integer(int(text))
    if re.fullmatch(r"[+-]?\d+\.0+", text):
        return _bounded_integer(int(text.split(".")[0]))
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise CellError(f"{text!r} is not a finite number", NUMBER_OUT_OF_RANGE)
    raise CellError(f"{str(value)[:200]!r} is not a whole number")


def _bounded_integer(number: int) -> int:
    if abs(number) > MAX_INTEGER:
        raise CellError(
            f"{number} is beyond the largest whole number accepted ({MAX_INTEGER:,})", NUMBER_OUT_OF_RANGE
        )
    return number


_NUMBER: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_number(value: str | object) -> float:
    """A measured quantity that is not money (a census count, a density, a floor area), thousands allowed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _bounded_number(float(value) if abs(value) < 1e300 else math.inf, value)
    text = str(value).strip().replace(",", "")
    if len(text) > 60:
        raise CellError(f"{text[:40]!r}... is far too long for a number", NUMBER_OUT_OF_RANGE)
    if _NUMBER.fullmatch(text):
        return _bounded_number(float(text), text)
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise CellError(f"{text!r} is not a finite number", NUMBER_OUT_OF_RANGE)
    raise CellError(f"{str(value)[:200]!r} is not a number")


def _bounded_number(number: float, raw: object) -> float:
    """The number, or a coded refusal for NaN, infinities (1e309 reads as one) and figures past MAX_NUMBER."""
    if not math.isfinite(number):
        raise CellError(f"{str(raw)[:40]!r} is not a finite number", NUMBER_OUT_OF_RANGE)
    if abs(number) > MAX_NUMBER:
        raise CellError(
            f"{str(raw)[:40]!r} is beyond the largest number accepted ({MAX_NUMBER:,.0f})",
            NUMBER_OUT_OF_RANGE,
        )
    return number
