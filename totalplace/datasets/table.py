"""Finding the table inside a file: its header row, its data rows, and the totals rows below it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from totalplace.datasets import problems as codes
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.schema import ColumnSpec, DatasetSchema, normalise_header
from totalplace.errors import RowProblem

HEADER_SEARCH_ROWS = 30
# After this many data rows the caller may look at them (``probe``), to refuse a file of garbage before the
# rest of it is held in memory.
PROBE_ROWS = 50_000
_TOTAL_LABEL = re.compile(r"^\s*(grand\s+|sub\s*-?\s*)?totals?\s*:?\s*$", re.IGNORECASE)

Cells = list[str | object]


@dataclass
class LocatedTable:
    """A table found in a file: ``index`` maps each schema column to its position in a row."""

    file: str
    header_row: int
    headers: list[str]
    index: dict[str, int]
    rows: list[tuple[int, Cells]] = field(default_factory=list)
    totals_rows: list[tuple[int, Cells]] = field(default_factory=list)
    skipped_above: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def _is_blank(cells: Cells) -> bool:
    first = cells[0] if cells else ""
    if isinstance(first, str) and first.strip():  # the usual case: a data row, decided by its first cell
        return False
    return not any(cells) or all(isinstance(c, str) and not c.strip() for c in cells)


def _find_header(
    rows: Iterator[tuple[int, Cells]], schema: DatasetSchema, file: str
) -> tuple[int, Cells, int]:
    """Scan the first rows for one that names every required column."""
    required = [c for c in schema.columns if c.required]
    best: tuple[int, list[str]] = (0, [])
    seen = 0
    for number, cells in rows:
        if _is_blank(cells):
            continue
        normalised = [normalise_header(c) for c in cells]
        found = [c.name for c in schema.columns if any(c.matches(h) for h in normalised)]
        if all(c.name in found for c in required):
            return number, cells, seen
        if len(found) > len(best[1]):
            best = (number, found)
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    if seen == 0:
        codes.reject(file, codes.FILE_EMPTY, "the file holds no rows")
    if best[1]:
        # The row naming the most known columns is the header; say which required ones it lacks.
        missing = [c.name for c in required if c.name not in best[1]]
        raise_missing(file, best[0], missing, schema)
    codes.reject(
        file,
        codes.NO_HEADER,
        f"no header row naming the columns {', '.join(c.name for c in required)} "
        f"was found in the first {HEADER_SEARCH_ROWS} rows",
        row=1,
    )


def raise_missing(file: str, row: int, missing: list[str], schema: DatasetSchema) -> None:
    """Refuse a file whose header lacks required columns, naming each with the headers it may go by."""
    from totalplace.errors import ImportRejectedError

    found = []
    for name in missing:
        spec = next(c for c in schema.columns if c.name == name)
        names = ", ".join(repr(a) for a in spec.names)
        found.append(
            RowProblem(
                codes.MISSING_COLUMN, file, row, name, "", f"no column for {name} (looked for {names})"
            )
        )
    raise ImportRejectedError(file, found)


def _positions(spec: ColumnSpec, normalised: list[str]) -> list[int]:
    """Where a column is: the positions of the first of its names (name, then aliases in order) found."""
    for name in spec.names:
        wanted = normalise_header(name)
        positions = [i for i, h in enumerate(normalised) if h == wanted]
        if positions:
            return positions
    return []


def locate_table(
    rows: Iterator[tuple[int, Cells]],
    schema: DatasetSchema,
    file: str,
    limits: ImportLimits,
    probe: Callable[[LocatedTable], None] | None = None,
) -> LocatedTable:
    """Find the header, collect the data rows, set trailing totals rows aside, and note layout problems.

    ``probe`` is called once, with the table so far, when it holds PROBE_ROWS data rows; it may refuse it.
    """
    header_row, header_cells, skipped = _find_header(rows, schema, file)
    headers = [str(c).strip() for c in header_cells]
    table = LocatedTable(file, header_row, headers, {}, skipped_above=skipped)
    layout = _Layout(file, headers, [normalise_header(h) for h in headers])
    _index_columns(table, schema, layout.normalised)
    last_needed = max(table.index.values(), default=0)
    for number, cells in rows:
        if len(table.rows) >= limits.max_rows:
            codes.reject(
                file, codes.TOO_MANY_ROWS, f"the file has more than {limits.max_rows:,} data rows", row=number
            )
        if _is_blank(cells):
            continue
        problem = layout.problem(number, cells, last_needed)
        if problem is not None:
            table.problems.append(problem)
            continue
        table.rows.append((number, cells))
        if probe is not None and len(table.rows) == PROBE_ROWS:
            probe(table)
    _set_aside_totals(table)
    return table


def _index_columns(table: LocatedTable, schema: DatasetSchema, normalised: list[str]) -> None:
    """Note where each column of the schema is, and a problem for each named by two headers."""
    for spec in schema.columns:
        positions = _positions(spec, normalised)
        if len(positions) > 1:
            table.problems.append(
                RowProblem(
                    codes.DUPLICATE_COLUMN,
                    table.file,
                    table.header_row,
                    table.headers[positions[1]],
                    "",
                    f"two columns could be {spec.name}; rename or remove one",
                )
            )
        if positions:
            table.index[spec.name] = positions[0]


@dataclass(frozen=True)
class _Layout:
    """The header a data row is checked against: a row must not repeat it, nor have cells beyond it."""

    file: str
    headers: list[str]
    normalised: list[str]  # the headers as normalise_header reads them

    def problem(self, number: int, cells: Cells, last_needed: int) -> RowProblem | None:
        """What is wrong with the layout of data row ``number``, or None for a row to read."""
        width = len(self.headers)
        if len(cells) == width and self._repeats_header(cells):
            return RowProblem(
                codes.REPEATED_HEADER,
                self.file,
                number,
                self.headers[0],
                str(cells[0]),
                "the header row appears again inside the data; remove it",
            )
        if len(cells) > width and any(str(c).strip() for c in cells[width:]):
            return RowProblem(
                codes.RAGGED_ROW,
                self.file,
                number,
                f"column {width + 1}",
                str(cells[width]),
                f"the row has {len(cells)} cells but the header has {width}; is a comma missing its quotes?",
            )
        if len(cells) <= last_needed:
            first_missing = self.headers[len(cells)] if len(cells) < width else f"column {len(cells) + 1}"
            return RowProblem(
                codes.RAGGED_ROW,
                self.file,
                number,
                first_missing,
                "",
                f"the row has {len(cells)} cells but the header has {width}",
            )
        return None

    def _repeats_header(self, cells: Cells) -> bool:
        # The first cell decides almost every row cheaply; only a likely repeat is normalised whole.
        return (
            str(cells[0]).strip().casefold() == self.headers[0].casefold()
            and [normalise_header(c) for c in cells] == self.normalised
        )


def _set_aside_totals(table: LocatedTable) -> None:
    """Move rows labelled "Total" at the end of the table out of the data (they are checked, not imported)."""
    while table.rows and any(isinstance(c, str) and _TOTAL_LABEL.match(c) for c in table.rows[-1][1]):
        table.totals_rows.insert(0, table.rows.pop())
