"""Indicator observations: the Fingertips "download data" CSV and any file in the same shape.

One row per indicator, area, period and breakdown (sex, age, category), with a count and denominator, or a
value, or both, and optionally published confidence limits. Beyond the column types, each row is checked:
counts and denominators cannot be negative (TP543) nor a count above its denominator (TP549), the area code
must be of a kind indicators are published for (TP541; ``parameters/outcomes/gss_area_entities.yaml``), and
the period must be one the profiles use (TP550), such as ``2017``, ``2017/18``, ``2015 - 17`` or
``2019/20 Q3``.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, Final

from totalplace.datasets import problems as codes
from totalplace.datasets.schema import ColumnSpec, DatasetSchema, normalise_header
from totalplace.errors import RowProblem

if TYPE_CHECKING:
    import pyarrow as pa

_PERIOD: Final = re.compile(
    r"^(\d{4})(?:/(\d{2}|\d{4}))?(?:\s*-\s*(\d{2}|\d{4})(?:/(\d{2}))?)?(?:\s*Q([1-4]))?$"
)


def period_start(text: str) -> float | None:
    """The start of a period as a decimal year (2019/20 Q3 is 2019.5), or None if it is not a period."""
    match = _PERIOD.match(text.strip())
    if match is None:
        return None
    quarter = int(match.group(5)) if match.group(5) else 1
    return int(match.group(1)) + (quarter - 1) / 4


# The columns of the Fingertips "download data" CSV that totalplace writes when it makes observations itself.
FINGERTIPS_HEADER: Final = (
    "Indicator ID",
    "Indicator Name",
    "Parent Code",
    "Area Code",
    "Area Name",
    "Area Type",
    "Sex",
    "Age",
    "Time period",
    "Count",
    "Denominator",
    "Value",
)


@functools.lru_cache(maxsize=1)
def area_entities() -> dict[str, str]:
    """GSS entity prefix -> what it is, for the areas indicators are published for."""
    from totalplace.parameters import load_parameter

    return {
        str(k): str(v) for k, v in load_parameter("outcomes/gss_area_entities.yaml").body["entities"].items()
    }


def _number(name: str, aliases: tuple[str, ...] = ()) -> ColumnSpec:
    return ColumnSpec(name, "number", required=False, aliases=aliases)


OBSERVATIONS = DatasetSchema(
    kind="observations",
    title="Indicator observations",
    description="Observations of indicators by area, period and breakdown (the Fingertips download layout).",
    columns=(
        ColumnSpec("indicator_id", "text", aliases=("indicator id", "indicator")),
        ColumnSpec("indicator_name", "text", required=False, aliases=("indicator name",)),
        ColumnSpec("area_code", "code", pattern=r"[EWSNK]\d{8}", aliases=("area code", "area")),
        ColumnSpec("area_name", "text", required=False, aliases=("area name",)),
        ColumnSpec("area_type", "text", required=False, aliases=("area type",)),
        ColumnSpec("parent_code", "text", required=False, aliases=("parent code",)),
        ColumnSpec("sex", "text", required=False),
        ColumnSpec("age", "text", required=False),
        ColumnSpec("category_type", "text", required=False, aliases=("category type",)),
        ColumnSpec("category", "text", required=False),
        ColumnSpec("period", "text", aliases=("time period", "period", "year")),
        _number("count", ("numerator",)),
        _number("denominator"),
        _number("value"),
        _number("lower95", ("lower ci 95 0 limit", "lower 95 ci", "lowercl 95")),
        _number("upper95", ("upper ci 95 0 limit", "upper 95 ci", "uppercl 95")),
        _number("lower998", ("lower ci 99 8 limit", "lower 99 8 ci")),
        _number("upper998", ("upper ci 99 8 limit", "upper 99 8 ci")),
        ColumnSpec("value_note", "text", required=False, aliases=("value note",)),
    ),
)


# The Fingertips download's own headers: ``--format fingertips`` reads these and no looser spelling, so a file
# that is not a Fingertips download is refused at its header rather than read by guesswork.
FINGERTIPS_COLUMNS: Final = {
    "indicator_id": "Indicator ID",
    "indicator_name": "Indicator Name",
    "area_code": "Area Code",
    "area_name": "Area Name",
    "area_type": "Area Type",
    "parent_code": "Parent Code",
    "sex": "Sex",
    "age": "Age",
    "category_type": "Category Type",
    "category": "Category",
    "period": "Time period",
    "count": "Count",
    "denominator": "Denominator",
    "value": "Value",
    "lower95": "Lower CI 95.0 limit",
    "upper95": "Upper CI 95.0 limit",
    "lower998": "Lower CI 99.8 limit",
    "upper998": "Upper CI 99.8 limit",
    "value_note": "Value note",
}
FINGERTIPS = OBSERVATIONS.with_mapping(FINGERTIPS_COLUMNS)


def detect_observations(first_rows: list[list[object]]) -> str:
    """ "fingertips" when a header row has the download's Indicator ID and Time period, else "csv"."""
    for row in first_rows:
        headers = {normalise_header(str(c)) for c in row}
        if {normalise_header("Indicator ID"), normalise_header("Time period")} <= headers:
            return "fingertips"
    return "csv"


def check_observations(columns: dict[str, list[Any]], rows: list[int], file: str) -> list[RowProblem]:
    """Row-level checks beyond the column types, each problem located to its row and column."""
    problems: list[RowProblem] = []
    entities = area_entities()
    known_periods: dict[str, bool] = {}
    for i, row in enumerate(rows):
        count, denominator = columns["count"][i], columns["denominator"][i]
        area, period = columns["area_code"][i], columns["period"][i]
        problems += _count_problems(file, row, count, denominator)
        if area is not None and area[:3] not in entities:
            problems.append(
                RowProblem(
                    codes.UNKNOWN_AREA,
                    file,
                    row,
                    "area_code",
                    area,
                    f"{area[:3]} is not a kind of area indicators are published for",
                )
            )
        if period is not None and not known_periods.setdefault(period, period_start(period) is not None):
            problems.append(
                RowProblem(
                    codes.BAD_PERIOD,
                    file,
                    row,
                    "period",
                    period,
                    "not a period like 2017, 2017/18, 2015 - 17 or 2019/20 Q3",
                )
            )
        if columns["value"][i] is None and count is None and not columns["value_note"][i]:
            problems.append(_no_value(file, row))
    return problems


def _count_problems(file: str, row: int, count: float | None, denominator: float | None) -> list[RowProblem]:
    """A count or denominator below zero, or a count above its denominator."""
    found = [
        RowProblem(codes.NEGATIVE_COUNT, file, row, name, str(number), f"a {name} cannot be negative")
        for name, number in (("count", count), ("denominator", denominator))
        if number is not None and number < 0
    ]
    if count is not None and denominator is not None and 0 <= denominator < count:
        found.append(
            RowProblem(
                codes.COUNT_ABOVE_DENOMINATOR,
                file,
                row,
                "count",
                str(count),
                f"the count {count:g} is larger than its denominator {denominator:g}",
            )
        )
    return found


def _no_value(file: str, row: int) -> RowProblem:
    # Fingertips publishes such rows with a note ("Value for Cornwall & Isles of Scilly combined").
    return RowProblem(
        codes.MISSING_VALUE,
        file,
        row,
        "value",
        "",
        "the row has neither a value nor a count, nor a note saying why",
    )


def observations_pass(table: pa.Table) -> bool:
    """Whether every row passes ``check_observations``, tested column-wise (the vectorised import's gate)."""
    import pyarrow as pa  # only on an import: listing kinds must not load PyArrow
    import pyarrow.compute as pc

    count, denominator = table["count"], table["denominator"]
    for column in (count, denominator):
        if pc.any(pc.less(column, 0)).as_py():
            return False
    if pc.any(pc.less(denominator, count)).as_py():  # nulls compare as null, so only pairs count
        return False
    prefixes = pc.unique(pc.utf8_slice_codeunits(table["area_code"], 0, 3)).drop_null()
    if not pc.all(pc.is_in(prefixes, pa.array(list(area_entities()), pa.string()))).as_py():
        return False
    periods = pc.unique(table["period"]).drop_null().to_pylist()
    if any(period_start(str(p)) is None for p in periods):
        return False
    note = pc.fill_null(table["value_note"], "")
    unexplained = pc.and_(pc.and_(pc.is_null(table["value"]), pc.is_null(count)), pc.equal(note, ""))
    return not pc.any(unexplained).as_py()
