"""Census topic tables at small-area level, read as published, normalised to one long table.

Two layouts are read:

- **long** (Nomis bulk extracts, Trafford Data Lab's tidy files): one row per area and category, with an area
  code column, a category column (the one column besides the usual ``area_name, geography, period, indicator,
  measure, unit``; or ``indicator`` itself when there is none) and ``value``;
- **wide** (the 2011 OAC "raw u-variables"): one row per area, one column per category.

Either becomes rows of ``area_code, table, category, value`` for the ``census`` dataset kind. The table is
named by the user or recognised from its categories (the specification lists each table's categories), and
every problem is located in the file as published: an unknown area, a count that is not a number or is
negative, a category the specification needs that the file lacks.
"""

from __future__ import annotations

import csv
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from totalplace.datasets import problems as codes
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.schema import normalise_header
from totalplace.datasets.source import read_source
from totalplace.datasets.values import CellError, parse_number
from totalplace.errors import CensusTableNotInSpecError, ImportRejectedError, InvalidInputError, RowProblem

GSS_CODE: Final = re.compile(r"[EWSNK]\d{8}")
AREA_HEADERS: Final = (
    "area code",
    "area_code",
    "geography code",
    "oa21cd",
    "oa11cd",
    "oa code",
    "output area code",
    "lsoa21cd",
    "lsoa11cd",
    "lsoa code",
    "lsoa code 2011",
    "lsoa code 2021",
    "code",
)
_LONG_STANDARD: Final = {
    "area code",
    "area name",
    "geography",
    "geography code",
    "date",
    "period",
    "measure",
    "measures",
    "unit",
    "value",
    "obs value",
    "observation",
}
_VALUE_HEADERS: Final = ("value", "obs value", "observation")
Layout = Literal["auto", "long", "wide"]


@dataclass(frozen=True)
class CensusTableSpec:
    """What the reader knows about the tables a specification uses."""

    categories: Mapping[str, frozenset[str]]
    required: Mapping[str, frozenset[str]]


@dataclass
class CensusFile:
    """What was read: the table, its layout, its categories and the number of areas and counts."""

    table: str
    layout: str
    categories: list[str]
    areas: int = 0
    counts: int = 0
    other_areas_ignored: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "table": self.table,
            "layout": self.layout,
            "categories": len(self.categories),
            "areas": self.areas,
            "counts": self.counts,
            "other_areas_ignored": self.other_areas_ignored,
        }


def census_to_csv(
    data: bytes,
    name: str,
    *,
    specs: CensusTableSpec,
    known_areas: set[str],
    limits: ImportLimits,
    table: str | None = None,
    layout: Layout = "auto",
    ignore_other_areas: bool = False,
    allow_negative: bool = False,
    area_column: str | None = None,
) -> tuple[bytes, CensusFile]:
    """The file as ``area_code,table,category,value`` CSV, or every problem in it as ImportRejectedError.

    ``ignore_other_areas`` skips (and counts) rows for areas the place does not have, for national files;
    ``allow_negative`` accepts values below zero, for measures that are not counts (a change, a score).
    """
    rows = read_source(data, name, limits).rows
    header_row, header = next(rows, (0, []))
    headers = [str(h).strip() for h in header]
    normal = [normalise_header(h) for h in headers]
    names = (area_column,) if area_column else AREA_HEADERS
    area_col = next((normal.index(h) for h in map(normalise_header, names) if h in normal), None)
    if area_col is None:
        codes.reject(
            name,
            codes.MISSING_COLUMN,
            f"no area code column ({area_column or 'area_code, OA21CD, OA11CD, LSOA code, geography code'})",
            row=header_row,
        )
    value_col = next((normal.index(h) for h in map(normalise_header, _VALUE_HEADERS) if h in normal), None)
    chosen = layout if layout != "auto" else ("long" if value_col is not None else "wide")
    reader = (_LongReader if chosen == "long" else _WideReader)(
        name, headers, header_row, area_col, value_col, specs, known_areas, limits
    )
    reader.ignore_other_areas, reader.allow_negative = ignore_other_areas, allow_negative
    return reader.convert(rows, table)


class _Reader(ABC):
    """Shared state and checks of the two layouts."""

    layout = "long"

    def __init__(
        self,
        name: str,
        headers: list[str],
        header_row: int,
        area_col: int,
        value_col: int | None,
        specs: CensusTableSpec,
        known_areas: set[str],
        limits: ImportLimits,
    ) -> None:
        self.name, self.headers, self.header_row = name, headers, header_row
        self.area_col, self.value_col = area_col, value_col
        self.specs, self.known_areas, self.limits = specs, known_areas, limits
        self.problems: list[RowProblem] = []
        self.out = io.StringIO()
        self.writer = csv.writer(self.out, lineterminator="\n")
        self.writer.writerow(("area_code", "table", "category", "value"))
        self.seen: dict[str, set[str]] = {}
        self.ignore_other_areas = self.allow_negative = False
        self.ignored: set[str] = set()

    def problem(self, code: str, row: int, column: str, value: str, message: str) -> None:
        if len(self.problems) < self.limits.max_problems:
            self.problems.append(RowProblem(code, self.name, row, column, value[:200], message))

    def short(self, row: int, cells: list[str | object], needed: int) -> bool:
        """True (and a ragged-row problem) when a row stops before column ``needed``."""
        if len(cells) > needed:
            return False
        column = self.headers[len(cells)] if len(cells) < len(self.headers) else f"column {len(cells) + 1}"
        self.problem(
            codes.RAGGED_ROW,
            row,
            column,
            "",
            f"the row has {len(cells)} cells but the header has {len(self.headers)}",
        )
        return True

    def body(
        self, rows: Iterator[tuple[int, list[str | object]]]
    ) -> Iterator[tuple[int, list[str | object]]]:
        """The non-blank rows, refusing the file as soon as it passes the row limit."""
        count = 0
        for number, cells in rows:
            if not any(str(c).strip() for c in cells):
                continue
            count += 1
            if count > self.limits.max_rows:
                codes.reject(
                    self.name,
                    codes.TOO_MANY_ROWS,
                    f"the file has more than {self.limits.max_rows:,} rows",
                    row=number,
                )
            yield number, cells

    def area(self, row: int, raw: object) -> str | None:
        code = str(raw).strip()
        column = self.headers[self.area_col]
        if not GSS_CODE.fullmatch(code):
            self.problem(codes.BAD_CODE, row, column, code, f"{code!r} is not an area code like E00030771")
            return None
        if code not in self.known_areas and self.ignore_other_areas:
            self.ignored.add(code)
            return None
        if code not in self.known_areas:
            self.problem(
                codes.UNKNOWN_AREA,
                row,
                column,
                code,
                f"{code} is not one of the place's areas; import its geography first, or check the file is "
                "for this place",
            )
            return None
        return code

    def count(self, row: int, column: str, raw: object) -> float | None:
        try:
            value = parse_number(raw)
        except CellError as exc:
            self.problem(exc.code or codes.BAD_NUMBER, row, column, str(raw), str(exc))
            return None
        if value < 0 and not self.allow_negative:
            self.problem(codes.NEGATIVE_COUNT, row, column, str(raw), "a census count cannot be negative")
            return None
        return value

    def emit(self, row: int, area: str, table: str, category: str, value: float) -> None:
        done = self.seen.setdefault(area, set())
        if category in done:
            self.problem(
                codes.DUPLICATE_KEY, row, "", category, f"{area} has {category!r} twice; keep one row"
            )
            return
        done.add(category)
        text = str(int(value)) if value.is_integer() else repr(value)
        self.writer.writerow((area, table, category, text))

    def resolve_table(self, categories: set[str], table: str | None) -> str:
        """The named table, or the one specification table whose categories the file holds."""
        if table is not None:
            return table
        matches = [
            name
            for name, listed in self.specs.categories.items()
            if self.specs.required[name] and self.specs.required[name] <= categories | {""} and listed
        ]
        if len(matches) == 1:
            return matches[0]
        best = sorted(self.specs.categories, key=lambda n: -len(self.specs.categories[n] & categories))
        hint = f"the closest is {best[0]!r}" if best and self.specs.categories[best[0]] & categories else ""
        message = f"cannot tell which census table {self.name} holds"
        if matches:
            raise InvalidInputError(
                f"{message} ({len(matches)} tables match)", hint=f"name it with --table; {hint}".rstrip("; ")
            )
        # No table matches: the file may be a table the specification does not read (a caller importing many
        # files skips it), or a needed table cut short (most of the closest table's categories are there).
        needed = self.specs.required[best[0]] if best else frozenset()
        overlap = len(needed & categories) / len(needed) if needed else 0.0
        raise CensusTableNotInSpecError(
            message,
            hint=f"name it with --table; {hint}".rstrip("; "),
            closest=best[0] if hint else None,
            overlap=overlap,
        )

    def finish(self, table: str, categories: list[str]) -> tuple[bytes, CensusFile]:
        needed = self.specs.required.get(table, frozenset())
        for category in sorted(needed - set(categories)):
            self.problem(
                codes.MISSING_CATEGORY,
                0,
                "",
                category,
                f"the {table} table has no {category!r} category; the specification needs it "
                "(was the file cut short, or is it another table?)",
            )
        for area, got in sorted(self.seen.items()):
            gaps = sorted(needed & set(categories) - got)
            if gaps:
                self.problem(
                    codes.MISSING_CATEGORY,
                    0,
                    "",
                    gaps[0],
                    f"{area} has no count for {gaps[0]!r}"
                    + (f" or {len(gaps) - 1} more" if gaps[1:] else ""),
                )
        if not self.seen and not self.problems:
            message = (
                f"none of the file's {len(self.ignored):,} areas is one of the place's"
                if self.ignored
                else "the table has no rows of counts"
            )
            self.problem(codes.NO_DATA_ROWS, self.header_row, "", "", message)
        if self.problems:
            raise ImportRejectedError(self.name, self.problems)
        result = CensusFile(table, self.layout, categories, len(self.seen))
        result.counts = sum(len(v) for v in self.seen.values())
        result.other_areas_ignored = len(self.ignored)
        return self.out.getvalue().encode("utf-8"), result

    @abstractmethod
    def convert(
        self, rows: Iterator[tuple[int, list[str | object]]], table: str | None
    ) -> tuple[bytes, CensusFile]:
        """The rows as normalised CSV, with what was read."""


class _LongReader(_Reader):
    layout = "long"

    def convert(
        self, rows: Iterator[tuple[int, list[str | object]]], table: str | None
    ) -> tuple[bytes, CensusFile]:
        normal = [normalise_header(h) for h in self.headers]
        extra = [i for i, h in enumerate(normal) if h not in _LONG_STANDARD and i != self.area_col]
        if "indicator" in normal and len(extra) > 1:
            extra.remove(normal.index("indicator"))
        if len(extra) != 1:
            raise InvalidInputError(
                f"cannot tell which column of {self.name} holds the categories "
                f"({', '.join(self.headers[i] for i in extra) or 'none'})",
                hint="a long census file has one category column besides area, measure, unit and value",
            )
        category_col, value_col = extra[0], self.value_col
        if value_col is None:
            raise InvalidInputError(
                f"{self.name} has no value column, so it cannot be read as a long table",
                hint="a long census file has area, category and value columns; try --layout wide",
            )
        needed = max(self.area_col, category_col, value_col)
        body = [(n, c) for n, c in self.body(rows) if not self.short(n, c, needed)]
        categories = list(dict.fromkeys(str(cells[category_col]).strip() for _, cells in body))
        chosen = self.resolve_table(set(categories), table)
        for number, cells in body:
            area = self.area(number, cells[self.area_col])
            value = self.count(number, self.headers[value_col], cells[value_col])
            if area is not None and value is not None:
                self.emit(number, area, chosen, str(cells[category_col]).strip(), value)
        return self.finish(chosen, categories)


class _WideReader(_Reader):
    layout = "wide"

    def convert(
        self, rows: Iterator[tuple[int, list[str | object]]], table: str | None
    ) -> tuple[bytes, CensusFile]:
        present = set(self.headers)
        chosen = self.resolve_table(present, table)
        listed = self.specs.categories.get(chosen)
        if listed is None:
            raise InvalidInputError(
                f"the specification has no table {chosen!r}",
                hint=f"tables are: {', '.join(sorted(self.specs.categories))}",
            )
        columns = [(i, h) for i, h in enumerate(self.headers) if h in listed]
        for number, cells in self.body(rows):
            if self.short(number, cells, self.area_col):
                continue
            area = self.area(number, cells[self.area_col])
            for index, header in columns:
                value = self.count(number, header, cells[index] if index < len(cells) else "")
                if area is not None and value is not None:
                    self.emit(number, area, chosen, header, value)
        return self.finish(chosen, [h for _, h in columns])
