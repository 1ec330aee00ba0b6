"""The place's own records as indicator observations: counted by small area, over each area's population.

A file of person-level (pseudonymised) or event records with an area code column (and, optionally, a column
to count or a condition to select rows) is counted per area of the level it names; the denominator is each
area's population as the place holds it. The result, one row per area and one for the whole place, goes
through the same ``observations`` import as a Fingertips download, so it is benchmarked, trended, published
through disclosure control and can raise exception letters like any other indicator.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from totalplace.datasets import problems as codes
from totalplace.datasets.importer import ImportRequest, ImportResult, import_file
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.observations import FINGERTIPS_HEADER, period_start
from totalplace.datasets.source import read_path, read_source
from totalplace.datasets.values import CellError, parse_number
from totalplace.errors import ImportRejectedError, InvalidInputError, RowProblem
from totalplace.store.areas import list_areas

if TYPE_CHECKING:
    from totalplace.place import Place


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
    actor: str = "system",
) -> tuple[ImportResult, dict[str, Any]]:
    """Count the records per area (summing ``count_column`` if given, else one per row) and import the counts
    over the areas' populations as observations of ``indicator`` for ``period``. ``source`` is a file or its
    bytes (then ``name`` is the file's name, for errors)."""
    if period_start(period) is None:
        raise InvalidInputError(f"{period!r} is not a period", hint="write it like 2024/25 or 2024")
    with place.read() as conn:
        areas = {a.code: a for a in list_areas(conn, level)}
    if not areas:
        raise InvalidInputError(f"the place has no {level} areas", hint="import its geography first")
    limits = ImportLimits.from_settings()
    file_name = name or (source.name if isinstance(source, Path) else "records.csv")
    data = read_path(source, limits) if isinstance(source, Path) else source
    rows = read_source(data, file_name, limits).rows
    header_row, header = next(rows, (0, []))
    index = {str(h).strip(): i for i, h in enumerate(header)}
    for column in (area_column, count_column, where[0] if where else None):
        if column is not None and column not in index:
            codes.reject(
                file_name,
                codes.MISSING_COLUMN,
                f"no column {column!r}; columns are {', '.join(index)}",
                row=header_row,
            )
    counts = dict.fromkeys(areas, 0.0)
    problems: list[RowProblem] = []
    used = 0
    for number, cells in rows:
        if not any(str(c).strip() for c in cells):
            continue
        if where and str(cells[index[where[0]]]).strip() != where[1]:
            continue
        code = str(cells[index[area_column]]).strip()
        if code not in areas:
            problems.append(
                RowProblem(
                    codes.UNKNOWN_AREA,
                    file_name,
                    number,
                    area_column,
                    code,
                    f"{code!r} is not one of the place's {level} areas",
                )
            )
            continue
        amount = 1.0
        if count_column is not None:
            try:
                amount = parse_number(cells[index[count_column]])
            except CellError as exc:
                problems.append(
                    RowProblem(
                        codes.BAD_NUMBER,
                        file_name,
                        number,
                        count_column,
                        str(cells[index[count_column]]),
                        str(exc),
                    )
                )
                continue
        counts[code] += amount
        used += 1
    if problems:
        raise ImportRejectedError(file_name, problems[: limits.max_problems])
    body = _observations(
        place, areas, counts, indicator=indicator, title=title, period=period, multiplier=multiplier
    )
    result = import_file(
        place,
        body,
        ImportRequest("observations", None, actor),
        source_name=f"{file_name} [{indicator} {period}]",
        limits=limits,
    )
    missing = [code for code, area in areas.items() if not area.population]
    return result, {
        "records": used,
        "areas": len(areas),
        "areas_without_population": missing,
        "total": sum(counts.values()),
    }


def _observations(
    place: Place,
    areas: dict[str, Any],
    counts: dict[str, float],
    *,
    indicator: str,
    title: str,
    period: str,
    multiplier: float,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FINGERTIPS_HEADER)
    total_count = total_population = 0.0
    for code, area in sorted(areas.items()):
        population = float(area.population or 0)
        count = counts[code]
        total_count += count
        total_population += population
        value = "" if not population else repr(count / population * multiplier)
        writer.writerow(
            (
                indicator,
                title,
                place.config.code or "",
                code,
                area.name,
                area.level,
                "Persons",
                "All ages",
                period,
                _number(count),
                _number(population) if population else "",
                value,
            )
        )
    if place.config.code and total_population:
        writer.writerow(
            (
                indicator,
                title,
                "",
                place.config.code,
                place.config.name,
                "Place",
                "Persons",
                "All ages",
                period,
                _number(total_count),
                _number(total_population),
                repr(total_count / total_population * multiplier),
            )
        )
    return out.getvalue().encode("utf-8")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
