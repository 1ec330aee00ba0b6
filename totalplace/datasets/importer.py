"""Importing one file: read, validate whole, write an immutable parquet batch, record it in the catalog.

Either the whole file is imported or nothing is; every problem comes back at once (DESIGN.md §5).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from totalplace import durable
from totalplace.datasets.access import check_change, check_import, check_indicators
from totalplace.datasets.fastpath import all_in_pounds, head_rows, parse_clean_spend
from totalplace.datasets.kinds import DatasetKind, check_options, get_kind
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.recovery import file_sha256, import_lock, temp_parquet_path
from totalplace.datasets.repairs import Repair, repair_lost_delimiters
from totalplace.datasets.request import ImportRequest as ImportRequest
from totalplace.datasets.request import ImportResult as ImportResult
from totalplace.datasets.request import Progress as Progress
from totalplace.datasets.schema import DatasetSchema, normalise_header
from totalplace.datasets.source import (
    plain_csv_bytes,
    read_path,
    read_source,
    sheet_csv_rows,
    workbook_csv_bytes,
)
from totalplace.datasets.spend_formats import CURRENCY_HEADERS, currency_problems
from totalplace.datasets.stored import arrow_schema
from totalplace.datasets.streaming import scan, stream_clean_spend
from totalplace.datasets.table import HEADER_SEARCH_ROWS, LocatedTable, locate_table
from totalplace.datasets.validate import TypedTable, total_problems, validate_table
from totalplace.errors import ImportRejectedError, InvalidInputError
from totalplace.governance.roles import Principal
from totalplace.store import audit
from totalplace.store.catalog import (
    NewBatch,
    find_by_sha,
    get_batch,
    insert_batch,
    next_batch_id,
    supersede,
)
from totalplace.store.clock import utc_now
from totalplace.store.partners import partner_by_name

if TYPE_CHECKING:
    from totalplace.place import Place


def import_file(
    place: Place,
    source: Path | bytes,
    request: ImportRequest,
    *,
    principal: Principal,
    source_name: str | None = None,
    limits: ImportLimits | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a file (a path, or bytes from an upload) as a batch of ``request.kind``, by ``principal``,
    whom the access policy is asked about first, before the file is read (:mod:`.access`, kind by kind);
    the batch records ``principal.username`` as its importer."""
    say = progress or (lambda _stage: None)
    limits = limits or ImportLimits.from_settings()
    kind = get_kind(request.kind)
    check_options(kind, request.options)
    who = _authorized(place, kind, request, principal)
    if request.mapping:
        kind.schema.with_mapping(request.mapping)  # refuse unknown fields before anything else
    if isinstance(source, Path):
        name = source_name or source.name
        streamed = _import_streaming(place, source, name, request, kind, limits, say, who)
        if streamed is not None:
            return streamed
        data = read_path(source, limits)
    else:
        name, data = source_name or "upload", source
    sha = hashlib.sha256(data).hexdigest()
    incoming = _Incoming(name, sha, len(data), who)
    with place.read() as conn:
        existing = find_by_sha(conn, request.kind, sha)
    if existing is not None:
        return ImportResult("unchanged", existing)
    parsed = parse_file(data, name, request, limits, say)
    say("writing")
    tmp = _write_parquet(place, parsed.arrow)
    try:
        result = _record(place, tmp, kind, request, parsed, incoming, parsed.arrow.num_rows)
    finally:
        tmp.unlink(missing_ok=True)
    if kind.formats is not None:
        result.effect.setdefault("format", parsed.fmt)
    if parsed.repairs and result.status == "imported":
        result.effect["repaired_rows"] = [r.row for r in parsed.repairs]
    if parsed.duplicates and result.status == "imported":
        result.effect["repeated_rows_dropped"] = len(parsed.duplicates)
    return result


@dataclass(frozen=True)
class _Who:
    """Who is importing, and for which partner (None: the whole place), as the policy allowed."""

    principal: Principal
    partner_id: int | None


def _authorized(place: Place, kind: DatasetKind, request: ImportRequest, principal: Principal) -> _Who:
    """Who imports for whom, once the policy has allowed it (refused before anything is read)."""
    with place.read() as conn:
        partner_id = partner_by_name(conn, request.partner).id if request.partner else None
    check_import(principal, kind, partner_id, request.partner)
    return _Who(principal, partner_id)


@dataclass(frozen=True)
class _Incoming:
    """The bytes being imported, as the catalog records them, and who imports them for whom."""

    name: str
    sha256: str
    size: int
    who: _Who


def _record(
    place: Place,
    tmp: Path,
    kind: DatasetKind,
    request: ImportRequest,
    parsed: ParsedFile,
    incoming: _Incoming,
    rows: int,
) -> ImportResult:
    """Record the parquet file written under ``tmp`` (``rows`` rows) as a batch; the caller removes it.

    Observations are checked here, once their indicators are known and before anything is stored: the
    principal must be allowed to count into every one (the batch is then the indicators' partner's).
    """
    partner_id = incoming.who.partner_id
    if kind.access == "indicator":
        ids = pc.unique(pq.read_table(tmp, columns=["indicator_id"]).column("indicator_id")).to_pylist()
        with place.read() as conn:
            partner_id = check_indicators(incoming.who.principal, conn, [str(i) for i in ids])
    new = NewBatch(
        kind=request.kind,
        partner_id=partner_id,
        source_name=incoming.name,
        sha256=incoming.sha256,
        size_bytes=incoming.size,
        importer=incoming.who.principal.username,
        imported_at=utc_now(),
        row_count=rows,
        totals=parsed.totals,
        parquet_path="",
        parquet_sha256=file_sha256(tmp),
    )
    return _commit(place, tmp, kind, request, parsed, new)


def _import_streaming(
    place: Place,
    path: Path,
    name: str,
    request: ImportRequest,
    kind: DatasetKind,
    limits: ImportLimits,
    say: Progress,
    who: _Who,
) -> ImportResult | None:
    """Import a large clean CSV block by block; None when the file should be read whole instead."""
    size = path.stat().st_size
    eligible = kind.formats is not None and kind.apply is None and not request.where
    if not eligible or not limits.stream_from_bytes <= size <= limits.max_bytes:
        return None
    say("scanning")
    found = scan(path)
    incoming = _Incoming(name, found.sha256, found.size, who)
    with place.read() as conn:
        existing = find_by_sha(conn, request.kind, found.sha256)
    if existing is not None:
        return ImportResult("unchanged", existing)
    chosen = _streamable_schema(found.head, kind, request)
    if chosen is None:
        return None
    fmt, schema = chosen
    say("reading and writing in blocks")
    tmp = temp_parquet_path(place)
    try:
        streamed = stream_clean_spend(path, found, schema, tmp, max_rows=limits.max_rows)
        if streamed is None:
            return None
        durable.fsync_path(tmp)
        empty = arrow_schema(schema).empty_table()
        parsed = ParsedFile(fmt, schema, empty, streamed.totals, streamed.skipped_above, vectorised=True)
        result = _record(place, tmp, kind, request, parsed, incoming, streamed.rows)
    finally:
        tmp.unlink(missing_ok=True)
    result.effect.setdefault("format", fmt)
    return result


def _streamable_schema(
    head: bytes, kind: DatasetKind, request: ImportRequest
) -> tuple[str, DatasetSchema] | None:
    """The format and schema of a plain CSV file the streaming path can read, from its first bytes; None
    for anything else (archives, UTF-16, binary, 360Giving), which is read whole."""
    if head.startswith((b"PK", b"\x1f\x8b", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:65536]:
        return None
    first = head_rows(head)
    if first is None:
        return None
    fmt, schema = kind.schema_for(request.format, first)
    if fmt == "360giving":
        return None  # the exact path reads each grant's Currency
    return fmt, schema.with_mapping(request.mapping) if request.mapping else schema


@dataclass(frozen=True)
class ParsedFile:
    """A file read and validated whole, as the rows it would store; not yet stored."""

    fmt: str
    schema: DatasetSchema
    arrow: pa.Table
    totals: dict[str, int]
    skipped_above: int = 0
    totals_rows_checked: int = 0
    repairs: list[Repair] = field(default_factory=list)
    vectorised: bool = False
    duplicates: list[int] = field(default_factory=list)

    def to_arrow(self) -> pa.Table:
        """The validated rows as they would be stored."""
        return self.arrow


def parse_file(
    data: bytes,
    name: str,
    request: ImportRequest,
    limits: ImportLimits,
    say: Progress | None = None,
    *,
    fast: bool = True,
) -> ParsedFile:
    """Read and validate a file whole; raise ImportRejectedError listing every problem. Writes nothing.

    Clean CSV spend files take a vectorised path; every other file, and any file that path is unsure of,
    is read row by row (``fast=False`` forces that, for tests that compare the two).
    """
    say = say or (lambda _stage: None)
    kind = get_kind(request.kind)
    say("reading")
    if fast and (kind.formats is not None or kind.table_check is not None) and not request.where:
        inner = plain_csv_bytes(data, name, limits)
        sheet = workbook_csv_bytes(data, name, limits) if inner is None else None
        if sheet is not None:
            inner = sheet[0]
        quick = _parse_fast(inner, kind, request, limits) if inner is not None else None
        del inner  # the exact path below reads the file afresh; let the CSV copy go first
        if quick is not None:
            return quick
        if sheet is not None and sheet[1]:
            # a workbook is read row by row from its CSV, not unpacked again
            return _parse_rows(sheet_csv_rows(sheet[0], name, limits), name, request, limits, say)
    return _parse_rows(read_source(data, name, limits).rows, name, request, limits, say)


def _parse_rows(
    rows: Iterator[tuple[int, list[str | object]]],
    name: str,
    request: ImportRequest,
    limits: ImportLimits,
    say: Progress,
) -> ParsedFile:
    """The exact path: locate the table, repair, validate every cell, naming every problem."""
    kind = get_kind(request.kind)
    first = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    fmt, schema = kind.schema_for(request.format, [cells for _, cells in first])
    schema = schema.with_mapping(request.mapping) if request.mapping else schema
    probe = functools.partial(_refuse_garbage, schema=schema, fmt=fmt, request=request, limits=limits)
    table = locate_table(itertools.chain(first, rows), schema, name, limits, probe)
    if fmt == "360giving":
        table.problems.extend(currency_problems(name, table.headers, table.rows))
    repairs = repair_lost_delimiters(table, "date") if schema.repair_lost_delimiters else []
    _apply_where(table, request.where)
    duplicates = _drop_repeated_rows(table) if any(c.unique for c in schema.columns) else []
    say("validating")
    typed = validate_table(table, schema, limits.max_problems)
    if kind.check is not None and not typed.problems:
        typed.problems = kind.check(typed.columns, typed.source_rows, name)[: limits.max_problems]
    if typed.problems:
        raise ImportRejectedError(name, typed.problems)
    return ParsedFile(
        fmt,
        schema,
        _arrow_table(schema, typed),
        typed.totals,
        table.skipped_above,
        len(table.totals_rows),
        repairs,
        duplicates=duplicates,
    )


def _refuse_garbage(
    table: LocatedTable, *, schema: DatasetSchema, fmt: str, request: ImportRequest, limits: ImportLimits
) -> None:
    """Refuse a file whose first rows already hold as many problems as a refusal lists, before the rest of
    it is read into memory: a file of 700,000 bad rows is refused after 50,000 of them. The first rows are
    checked as the whole file would be (repairs, filters, repeated rows set aside); a file with fewer
    problems goes on to be read and checked whole, so what it is told is unchanged."""
    first = LocatedTable(
        table.file,
        table.header_row,
        table.headers,
        table.index,
        list(table.rows),
        [],
        0,
        list(table.problems),
    )
    if schema.repair_lost_delimiters:
        repair_lost_delimiters(first, "date")
    if fmt == "360giving":
        first.problems.extend(currency_problems(table.file, table.headers, first.rows))
    _apply_where(first, request.where)
    if any(c.unique for c in schema.columns):
        _drop_repeated_rows(first)
    problems = validate_table(first, schema, limits.max_problems).problems
    if len(problems) >= limits.max_problems:
        raise ImportRejectedError(table.file, problems)


def _parse_fast(
    data: bytes, kind: DatasetKind, request: ImportRequest, limits: ImportLimits
) -> ParsedFile | None:
    first = head_rows(data)
    if first is None:
        return None
    fmt, schema = kind.schema_for(request.format, first)
    if fmt == "360giving" and not all_in_pounds(data, schema, CURRENCY_HEADERS):
        return None  # the exact path names each grant in another currency
    schema = schema.with_mapping(request.mapping) if request.mapping else schema
    parsed = parse_clean_spend(data, schema, limits.max_rows)
    if parsed is None:
        return None
    table, _header_row, skipped = parsed
    table = table.cast(arrow_schema(schema))
    if kind.table_check is not None and not kind.table_check(table):
        return None  # a row breaks a rule of the kind: the exact path finds and names it
    totals = {}
    for name in schema.total_columns:
        stored = next(s.stored_name for s in schema.columns if s.name == name)
        totals[stored] = int(pc.sum(table.column(stored)).as_py() or 0)
    return ParsedFile(fmt, schema, table, totals, skipped, vectorised=True)


def _drop_repeated_rows(table: LocatedTable) -> list[int]:
    """Drop rows that repeat an earlier row cell for cell; return their numbers.

    Published boundary files sometimes list a feature twice, identically (Trafford's OA GeoJSON holds 317
    such repeats). A repeat says nothing new, so it is set aside and reported; a key repeated with different
    values is still refused as a duplicate key.
    """
    seen: set[tuple[str, ...]] = set()
    kept, dropped = [], []
    for number, cells in table.rows:
        key = tuple(map(str, cells))
        if key in seen:
            dropped.append(number)
        else:
            seen.add(key)
            kept.append((number, cells))
    table.rows[:] = kept
    return dropped


def _apply_where(table: LocatedTable, where: dict[str, str]) -> None:
    """Keep only rows whose named columns hold the given values (e.g. geography=LSOA, sex=Persons)."""
    normalised = [normalise_header(h) for h in table.headers]
    for column, wanted in where.items():
        if normalise_header(column) not in normalised:
            raise InvalidInputError(
                f"no column {column!r} to filter on in {table.file}",
                hint=f"columns are: {', '.join(table.headers)}",
            )
        position = normalised.index(normalise_header(column))
        table.rows = [
            (n, c) for n, c in table.rows if position < len(c) and str(c[position]).strip() == wanted
        ]


def _arrow_table(schema: DatasetSchema, typed: TypedTable) -> pa.Table:
    columns = {name: typed.columns[name] for name in arrow_schema(schema).names if name != "source_row"}
    return pa.Table.from_pydict({**columns, "source_row": typed.source_rows}, schema=arrow_schema(schema))


def _write_parquet(place: Place, table: pa.Table) -> Path:
    tmp = temp_parquet_path(place)
    pq.write_table(table, tmp, compression="zstd")
    durable.fsync_path(tmp)
    return tmp


def _commit(
    place: Place,
    tmp: Path,
    kind: DatasetKind,
    request: ImportRequest,
    parsed: ParsedFile,
    new: NewBatch,
) -> ImportResult:
    """Rename the file into place and record it, under the import lock, in one transaction."""
    overflowing = total_problems(new.totals, new.source_name)
    if overflowing:
        raise ImportRejectedError(new.source_name, overflowing)
    with import_lock(place), place.begin() as conn:
        audit.lock_head(conn)
        again = find_by_sha(conn, new.kind, new.sha256)
        if again is not None:
            return ImportResult("unchanged", again)
        batch_id = next_batch_id(conn)
        final = place.batches_dir / f"{new.kind}-{batch_id:07d}-{new.sha256[:12]}.parquet"
        os.replace(tmp, final)
        try:
            durable.fsync_dir(place.batches_dir)
            batch = insert_batch(conn, batch_id, NewBatch(**{**new.__dict__, "parquet_path": final.name}))
            effect = (
                kind.apply(conn, batch_id, parsed.arrow.to_pydict(), request.options, new.importer)
                if kind.apply
                else {}
            )
        except BaseException:
            final.unlink(missing_ok=True)
            raise
    return ImportResult("imported", batch, parsed.skipped_above, parsed.totals_rows_checked, effect)


def supersede_batch(place: Place, old_id: int, new_id: int, *, principal: Principal) -> None:
    """Mark batch ``old_id`` as replaced by ``new_id`` (its file and provenance are kept), for a principal
    who could have imported both (:func:`totalplace.datasets.access.check_change`); audited."""
    with place.begin() as conn:
        for batch_id in (old_id, new_id):
            check_change(principal, get_batch(conn, batch_id))
        supersede(conn, old_id=old_id, new_id=new_id, actor=principal.username)
