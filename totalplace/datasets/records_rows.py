"""Reading an extract's rows: the flow's columns kept, identifiers checked, then turned into pseudonyms.

Pure functions over a located table; nothing here writes. :mod:`totalplace.datasets.records` orchestrates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from totalplace.datasets import identifiers
from totalplace.datasets import problems as codes
from totalplace.datasets.records_schema import (
    IDENTIFIERS,
    RECORDS_INPUT,
    identities_arrow_schema,
    records_arrow_schema,
)
from totalplace.datasets.schema import DatasetSchema
from totalplace.datasets.table import LocatedTable
from totalplace.datasets.validate import TypedTable, validate_table
from totalplace.datasets.values import CellError
from totalplace.engines.people.matchkeys import KEYS, match_keys
from totalplace.errors import RowProblem
from totalplace.governance.pseudonyms import PurposeKey


def flow_columns(table: LocatedTable) -> list[str]:
    """The file's columns as the flow check compares them: a known field by its name, others as headed."""
    by_position = {position: name for name, position in table.index.items()}
    return [by_position.get(i, header) for i, header in enumerate(table.headers) if header.strip()]


def kept_schema(schema: DatasetSchema, kept: tuple[str, ...]) -> DatasetSchema:
    """``schema`` with only the fields the agreement lets this flow send."""
    columns = tuple(c for c in schema.columns if c.name in kept)
    return DatasetSchema(schema.kind, schema.title, columns, description=schema.description)


def missing_required(table: LocatedTable, schema: DatasetSchema, kept: tuple[str, ...]) -> list[RowProblem]:
    """A problem for each required field the agreement does not let this flow send."""
    return [
        RowProblem(
            codes.MISSING_COLUMN,
            table.file,
            table.header_row,
            spec.name,
            "",
            f"{spec.name} is needed, but the agreement's flow does not list it, so it was dropped",
        )
        for spec in schema.columns
        if spec.required and spec.name not in kept
    ]


_CHECKS: dict[str, Callable[[str, dt.date], Any]] = {
    "nhs_number": lambda text, _today: identifiers.nhs_number(text),
    "postcode": lambda text, _today: identifiers.postcode(text),
    "date_of_birth": identifiers.date_of_birth,
}


def check_identifiers(table: LocatedTable, typed: TypedTable, today: dt.date) -> list[RowProblem]:
    """Check (and put in standard form, in ``typed``) each NHS number, postcode and date of birth; a problem
    names the row and column but never repeats the value."""
    problems: list[RowProblem] = []
    for name, check in _CHECKS.items():
        values = typed.columns.get(name)
        if name not in table.index or values is None:
            continue
        header = table.headers[table.index[name]]
        for i, raw in enumerate(values):
            if raw is None:
                continue
            try:
                values[i] = check(str(raw), today)
            except CellError as exc:
                row = typed.source_rows[i]
                problems.append(RowProblem(exc.code or "", table.file, row, header, "", str(exc)))
    return problems


def validate_records(
    table: LocatedTable, kept: tuple[str, ...], today: dt.date, max_problems: int
) -> tuple[TypedTable, list[RowProblem]]:
    """The kept columns typed and checked, and every problem found (none: the file may be imported)."""
    schema = kept_schema(RECORDS_INPUT, kept)
    typed = validate_table(table, schema, max_problems)
    problems = missing_required(table, RECORDS_INPUT, kept) + typed.problems
    problems += check_identifiers(table, typed, today)
    problems.sort(key=lambda p: p.row)
    return typed, problems[:max_problems]


@dataclass(frozen=True)
class Flow:
    """What every record of one extract shares: where it came from and under what."""

    partner: str
    source: str
    agreement: str
    purpose: str
    sha256: str


def _column(typed: TypedTable, name: str) -> list[Any]:
    return typed.columns.get(name) or [None] * len(typed.source_rows)


def record_columns(typed: TypedTable, flow: Flow, key: PurposeKey) -> dict[str, list[Any]]:
    """The stored columns of every record (contract §2): pseudonyms in place of identifiers."""
    n = len(typed.source_rows)
    ids = {name: _column(typed, name) for name in IDENTIFIERS}
    out: dict[str, list[Any]] = {f"mk_{k}": [] for k in KEYS}
    for i in range(n):
        keys = match_keys(**{name: ids[name][i] for name in IDENTIFIERS})
        for k in KEYS:
            out[f"mk_{k}"].append(key.of(k, keys[k]))
    born = ids["date_of_birth"]
    related = [match_keys(local_id=r)["local_id"] for r in _column(typed, "related_local_id")]
    return {
        "record_id": [f"{flow.sha256[:12]}:{row}" for row in typed.source_rows],
        "partner": [flow.partner] * n,
        "source": [flow.source] * n,
        "agreement": [flow.agreement] * n,
        "purpose": [flow.purpose] * n,
        **{name: _column(typed, name) for name in ("event_date", "event_type", "event_detail", "event_end")},
        "sex": [s.strip().lower() if s else None for s in _column(typed, "sex")],
        "birth_year": [b.year if b else None for b in born],
        "area_code": _column(typed, "area_code"),
        "relationship": _column(typed, "relationship"),
        # the related person's local id as the same match key, so it equals that person's mk_local_id
        "mk_related": [key.of("local_id", r) for r in related],
        **out,
    }


def identity_columns(typed: TypedTable, record_ids: list[str]) -> dict[str, list[Any]]:
    """The restricted direct-care columns: each record's id and its checked identifiers."""
    return {"record_id": record_ids, **{name: _column(typed, name) for name in IDENTIFIERS}}


def kept_rows(columns: dict[str, list[Any]], keep: list[bool]) -> dict[str, list[Any]]:
    """Only the rows marked True in ``keep``."""
    return {name: [v for v, k in zip(values, keep, strict=True) if k] for name, values in columns.items()}


def records_arrow(columns: dict[str, list[Any]]) -> pa.Table:
    """The stored table of records."""
    return pa.Table.from_pydict(columns, schema=records_arrow_schema())


def identities_arrow(columns: dict[str, list[Any]]) -> pa.Table:
    """The stored table of direct-care identities."""
    return pa.Table.from_pydict(columns, schema=identities_arrow_schema())
