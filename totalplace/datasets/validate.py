"""Validating a located table whole and turning it into typed columns, every problem coded and located."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import shapely
import shapely.errors
import shapely.geometry

from totalplace.datasets import problems as codes
from totalplace.datasets.safe_json import load_json
from totalplace.datasets.schema import ColumnSpec, DatasetSchema
from totalplace.datasets.table import LocatedTable
from totalplace.datasets.values import CellError, parse_date, parse_integer, parse_number
from totalplace.errors import DocumentRefusedError, RowProblem
from totalplace.money import INT64_MAX, Money, MoneyOutOfRangeError, MoneyParseError

# A boundary in one CSV cell is at most the field limit (100,000 characters), so a few tens of thousands of
# points; GeoJSON files are bounded by TOTALPLACE_MAX_GEOJSON_VERTICES before they are parsed.
_MAX_CELL_VERTICES = 1_000_000


@dataclass
class TypedTable:
    """Validated columns ready for parquet, with the source row of each record and the money totals."""

    columns: dict[str, list[Any]]
    source_rows: list[int]
    totals: dict[str, int] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)


def _parse_cell(spec: ColumnSpec, raw: object) -> Any:
    if spec.kind == "money":
        try:
            return Money.parse(str(raw)).pence
        except MoneyOutOfRangeError as exc:
            raise CellError(exc.message, codes.AMOUNT_OUT_OF_RANGE) from None
        except MoneyParseError as exc:
            raise CellError(exc.message) from None
    if spec.kind == "date":
        return parse_date(raw)
    if spec.kind in ("integer", "number"):
        number = parse_integer(raw) if spec.kind == "integer" else parse_number(raw)
        if spec.minimum is not None and number < spec.minimum:
            raise CellError(f"a {spec.name} cannot be below {spec.minimum:g}", codes.NEGATIVE_COUNT)
        return number
    if spec.kind == "geometry":
        return _check_geometry(str(raw))
    text = str(raw).strip()
    if spec.kind == "code" and spec.pattern and not re.fullmatch(spec.pattern, text):
        raise CellError(f"{text!r} is not a valid {spec.name} code")
    return text


_CODES = {
    "money": codes.BAD_AMOUNT,
    "date": codes.BAD_DATE,
    "integer": codes.BAD_INTEGER,
    "number": codes.BAD_NUMBER,
    "code": codes.BAD_CODE,
    "geometry": codes.BAD_GEOMETRY,
    "text": codes.MISSING_VALUE,
}


def validate_table(table: LocatedTable, schema: DatasetSchema, max_problems: int) -> TypedTable:
    """Parse every cell, column by column; collect all problems (up to ``max_problems``), ordered by row."""
    typed = TypedTable({}, [number for number, _ in table.rows], problems=list(table.problems))
    try:
        for spec in schema.columns:
            if spec.name in table.index:
                typed.columns[spec.stored_name] = _validate_column(table, spec, typed.problems, max_problems)
            else:
                typed.columns[spec.stored_name] = [None] * len(table.rows)
    except _EnoughError:
        # The file is refused whatever else is wrong with it: stop at the listing limit rather than parse
        # (and try a dozen date formats on) every cell of a file of 700,000 bad rows.
        return _ordered(typed, table, max_problems)
    if not table.rows and not typed.problems:
        typed.problems.append(
            RowProblem(
                codes.NO_DATA_ROWS,
                table.file,
                table.header_row,
                "",
                "",
                "the table has a header but no data rows",
            )
        )
    for name in schema.total_columns:
        spec = next(s for s in schema.columns if s.name == name)
        typed.totals[spec.stored_name] = sum(v for v in typed.columns[spec.stored_name] if v is not None)
    typed.problems.extend(total_problems(typed.totals, table.file))
    _check_totals_rows(table, schema, typed)
    return _ordered(typed, table, max_problems)


class _EnoughError(Exception):
    """As many problems as a refusal lists have been found."""


def _ordered(typed: TypedTable, table: LocatedTable, max_problems: int) -> TypedTable:
    typed.problems.sort(
        key=lambda p: (p.row, table.headers.index(p.column) if p.column in table.headers else -1)
    )
    del typed.problems[max_problems:]
    return typed


def _validate_column(
    table: LocatedTable, spec: ColumnSpec, problems: list[RowProblem], budget: int
) -> list[Any]:
    """One column's typed values; problems are appended. Repeated raw values are parsed once."""
    position = table.index[spec.name]
    header = table.headers[position]
    parsed: dict[object, Any] = {}
    first_seen: dict[Any, int] = {}
    values: list[Any] = []
    for number, cells in table.rows:
        raw = cells[position] if position < len(cells) else ""
        try:
            value = parsed[raw]
        except KeyError:
            value = parsed[raw] = _parse_or_problem(spec, raw)
        except TypeError:  # an unhashable cell never happens for text and dates, but stay safe
            value = _parse_or_problem(spec, raw)
        if isinstance(value, _Failure):
            problems.append(RowProblem(value.code, table.file, number, header, value.value, value.message))
            if len(problems) >= budget:
                raise _EnoughError
            value = None
        elif spec.unique and value is not None:
            first = first_seen.setdefault(value, number)
            if first != number:
                message = f"{spec.name} {raw} already appears in row {first}"
                problems.append(
                    RowProblem(codes.DUPLICATE_KEY, table.file, number, header, str(raw), message)
                )
        values.append(value)
    return values


@dataclass(frozen=True)
class _Failure:
    code: str
    value: str
    message: str


def _parse_or_problem(spec: ColumnSpec, raw: object) -> Any:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.required:
            return _Failure(codes.MISSING_VALUE, "", f"{spec.name} is empty")
        return None
    try:
        return _parse_cell(spec, raw)
    except CellError as exc:
        return _Failure(exc.code or _CODES[spec.kind], str(raw)[:200], str(exc))


def total_problems(totals: dict[str, int], file: str) -> list[RowProblem]:
    """A problem for each total of a file that a 64-bit integer cannot hold.

    Each amount is within ``money.MAX_AMOUNT_PENCE`` and the row limit within ``MAX_ROWS_FOR_64_BITS``, so
    this cannot happen under the settings' limits; it is checked anyway, where the totals are made, so no
    limit raised by hand lets an overflowing total into the catalog or the analytics.
    """
    return [
        RowProblem(
            codes.TOTAL_OUT_OF_RANGE,
            file,
            0,
            column,
            str(total),
            f"the file's {column} adds up to {total:,} pence, more than a 64-bit total can hold",
        )
        for column, total in totals.items()
        if abs(total) > INT64_MAX
    ]


def _check_totals_rows(table: LocatedTable, schema: DatasetSchema, typed: TypedTable) -> None:
    """A "Total" row below the table must agree with the sum of the rows above it, to the penny."""
    for number, cells in table.totals_rows:
        for name in schema.total_columns:
            position = table.index.get(name)
            if position is None or position >= len(cells) or str(cells[position]).strip() == "":
                continue
            spec = next(s for s in schema.columns if s.name == name)
            computed = Money(typed.totals[spec.stored_name])
            try:
                stated: Money | str = Money.parse(str(cells[position]))
            except MoneyOutOfRangeError:
                stated = str(cells[position])[:40]  # a total past the limit cannot be the rows' total
            except MoneyParseError:
                continue
            if stated != computed:
                typed.problems.append(
                    RowProblem(
                        codes.TOTALS_MISMATCH,
                        table.file,
                        number,
                        table.headers[position],
                        str(cells[position]),
                        f"the file's total is {stated} but its rows add up to {computed}",
                    )
                )


def _check_geometry(text: str) -> str:
    """A GeoJSON polygon with some area, in longitude/latitude degrees (WGS84, as ONS publishes)."""
    if text.count("[") > _MAX_CELL_VERTICES:
        raise CellError(
            f"the boundary has more than {_MAX_CELL_VERTICES:,} points; simplify it", codes.TOO_MANY_VERTICES
        )
    try:
        geometry = load_json(text, "boundary")
    except DocumentRefusedError as exc:
        raise CellError(f"the boundary is not GeoJSON: {exc.problems[0].message}") from None
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise CellError("the boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        polygon = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise CellError(f"the boundary's coordinates cannot be read: {exc}") from None
    if polygon.is_empty or polygon.area <= 0:
        raise CellError("the boundary encloses no area")
    west, south, east, north = polygon.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise CellError(
            "the boundary is not in longitude/latitude degrees; reproject it to WGS84 (EPSG:4326)"
        )
    return text
