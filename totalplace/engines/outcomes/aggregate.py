"""The place's own records as indicator observations: counted by small area, over each area's population.

A file of person-level (pseudonymised) or event records with an area code column (and, optionally, a column
to count or a condition to select rows) is counted per area of the level it names; the denominator is each
area's population as the place holds it. The result, one row per area and one for the whole place, goes
through the same ``observations`` import as a Fingertips download, so it is benchmarked, trended, published
through disclosure control and can raise exception letters like any other indicator.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from totalplace.datasets import problems as codes
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.observations import FINGERTIPS_HEADER, period_start
from totalplace.datasets.request import ImportRequest, ImportResult
from totalplace.datasets.source import read_path, read_source
from totalplace.datasets.values import CellError, parse_number
from totalplace.engines.outcomes.owners import authorize_count
from totalplace.errors import ImportRejectedError, InvalidInputError, RowProblem
from totalplace.store.areas import Area, list_areas

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place


@dataclass(frozen=True, slots=True)
class Aggregated:
    """What was counted: the records used, the areas counted into (and those without a population), and
    the total count."""

    records: int
    areas: int
    areas_without_population: list[str]
    total: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "records": self.records,
            "areas": self.areas,
            "areas_without_population": list(self.areas_without_population),
            "total": self.total,
        }


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where in each record its area, the amount to count (if any) and the condition's column are."""

    file: str
    level: str
    area: str
    count: str | None
    where: tuple[str, str] | None
    index: dict[str, int]


def aggregate_records(
    place: Place,
    source: Path | bytes,
    *,
    name: str | None = None,
    indicator: str,
    title: str,
    period: str,
    level: str,
    area_column: str,
    count_column: str | None = None,
    where: tuple[str, str] | None = None,
    multiplier: float = 1000.0,
    principal: Principal,
) -> tuple[ImportResult, Aggregated]:
    """Count the records per area (summing ``count_column`` if given, else one per row) and import the counts
    over the areas' populations as observations of ``indicator`` for ``period``. ``source`` is a file or its
    bytes (then ``name`` is the file's name, for errors).

    ``principal`` must be allowed to count into the indicator (indicator.count on the indicator, owned by
    the partner the framework names for it), asked before the records are read."""
    if period_start(period) is None:
        raise InvalidInputError(f"{period!r} is not a period", hint="write it like 2024/25 or 2024")
    with place.read() as conn:
        authorize_count(principal, conn, [indicator])
        areas = {a.code: a for a in list_areas(conn, level)}
    if not areas:
        raise InvalidInputError(f"the place has no {level} areas", hint="import its geography first")
    limits = ImportLimits.from_settings()
    file_name = name or (source.name if isinstance(source, Path) else "records.csv")
    data = read_path(source, limits) if isinstance(source, Path) else source
    rows = read_source(data, file_name, limits).rows
    header_row, header = next(rows, (0, []))
    columns = _columns(file_name, header_row, header, level, area_column, count_column, where)
    counts, used, problems = _count(rows, columns, areas)
    if problems:
        raise ImportRejectedError(file_name, problems[: limits.max_problems])
    body = _observations(
        place, areas, counts, indicator=indicator, title=title, period=period, multiplier=multiplier
    )
    from totalplace.datasets.importer import import_file  # PyArrow: only when importing

    named = f"{file_name} [{indicator} {period}]"
    request = ImportRequest("observations")
    result = import_file(place, body, request, principal=principal, source_name=named, limits=limits)
    missing = [code for code, area in areas.items() if not area.population]
    return result, Aggregated(used, len(areas), missing, sum(counts.values()))


def _columns(
    file_name: str,
    header_row: int,
    header: list[Any],
    level: str,
    area_column: str,
    count_column: str | None,
    where: tuple[str, str] | None,
) -> _Columns:
    """The columns named, found in the header (the file is refused if one is missing)."""
    index = {str(h).strip(): i for i, h in enumerate(header)}
    for column in (area_column, count_column, where[0] if where else None):
        if column is not None and column not in index:
            codes.reject(
                file_name,
                codes.MISSING_COLUMN,
                f"no column {column!r}; columns are {', '.join(index)}",
                row=header_row,
            )
    return _Columns(file_name, level, area_column, count_column, where, index)


def _count(
    rows: Iterator[tuple[int, list[Any]]], columns: _Columns, areas: dict[str, Area]
) -> tuple[dict[str, float], int, list[RowProblem]]:
    """Each area's count, how many records were used, and the problems of the rows that could not be."""
    counts = dict.fromkeys(areas, 0.0)
    problems: list[RowProblem] = []
    used = 0
    for number, cells in rows:
        if not any(str(c).strip() for c in cells):
            continue
        if columns.where and str(cells[columns.index[columns.where[0]]]).strip() != columns.where[1]:
            continue
        code = str(cells[columns.index[columns.area]]).strip()
        if code not in areas:
            problems.append(
                RowProblem(
                    codes.UNKNOWN_AREA,
                    columns.file,
                    number,
                    columns.area,
                    code,
                    f"{code!r} is not one of the place's {columns.level} areas",
                )
            )
            continue
        amount = _amount(cells, number, columns)
        if isinstance(amount, RowProblem):
            problems.append(amount)
            continue
        counts[code] += amount
        used += 1
    return counts, used, problems


def _amount(cells: list[Any], number: int, columns: _Columns) -> float | RowProblem:
    """What a record counts for: one, or its count column's number (a problem if that is not a number)."""
    if columns.count is None:
        return 1.0
    cell = cells[columns.index[columns.count]]
    try:
        return parse_number(cell)
    except CellError as exc:
        return RowProblem(codes.BAD_NUMBER, columns.file, number, columns.count, str(cell), str(exc))


def _observations(
    place: Place,
    areas: dict[str, Area],
    counts: dict[str, float],
    *,
    indicator: str,
    title: str,
    period: str,
    multiplier: float,
) -> bytes:
    """The counts as a Fingertips-style observations file: one row per area, then the whole place."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FINGERTIPS_HEADER)
    row = functools.partial(_observation, indicator, title, period, multiplier)
    total_count = total_population = 0.0
    for code, area in sorted(areas.items()):
        population = float(area.population or 0)
        total_count += counts[code]
        total_population += population
        writer.writerow(row(place.config.code or "", code, area.name, area.level, counts[code], population))
    if place.config.code and total_population:
        writer.writerow(row("", place.config.code, place.config.name, "Place", total_count, total_population))
    return out.getvalue().encode("utf-8")


def _observation(
    indicator: str,
    title: str,
    period: str,
    multiplier: float,
    parent: str,
    code: str,
    name: str,
    kind: str,
    count: float,
    population: float,
) -> tuple[str, ...]:
    """One row of the observations file: the count over the population (no value without one)."""
    return (
        indicator,
        title,
        parent,
        code,
        name,
        kind,
        "Persons",
        "All ages",
        period,
        _number(count),
        _number(population) if population else "",
        repr(count / population * multiplier) if population else "",
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
