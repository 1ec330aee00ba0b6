"""A vectorised path for clean CSV spend files: Arrow reads and validates the columns, no Python per row.

It accepts a file only when every value is of the plain shapes the exact path accepts (amounts such as
"1234.50", "£1,234.50", "(25.00)"; dates dd/mm/yyyy or yyyy-mm-dd, zero-padded; no blank, ragged, repeated
header or totals rows). Anything else returns None and the exact, row-by-row path reads the file and reports
every problem with its row and column. Both paths produce the same table (tests compare them).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from decimal import Decimal
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.schema import ColumnSpec, DatasetSchema, normalise_header
from totalplace.datasets.source import sniff_delimiter
from totalplace.datasets.stored import ARROW_TYPES
from totalplace.datasets.table import HEADER_SEARCH_ROWS
from totalplace.datasets.values import MAX_NUMBER
from totalplace.money import MAX_AMOUNT_PENCE

_NUMBER: Final = r"(\d{1,3}(,\d{3})+|\d{1,15})(\.\d{1,2})?"
_AMOUNT: Final = rf"^(\(£?{_NUMBER}\)|-?£?{_NUMBER}|£-{_NUMBER})$"
# Ten digits of pounds at most (£9,999,999,999.99), within money.MAX_AMOUNT_PENCE; longer goes the exact way.
_PENCE_SHAPE: Final = r"^-?\d{1,10}\.\d{2}$"
_DATE_FORMATS: Final = ((r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d"), (r"^\d{2}/\d{2}/\d{4}$", "%d/%m/%Y"))
_TOTAL: Final = re.compile(r"^\s*(grand\s+|sub\s*-?\s*)?totals?\s*:?\s*$", re.IGNORECASE)
EARLIEST, LATEST = 1900, 2100  # the years a date may fall in (as the exact path: values.EARLIEST, LATEST)


class UnsuitableError(Exception):
    """The file needs the exact path."""


# Everything that means "let the exact path read this file and explain it".
UNSUITABLE: Final = (UnsuitableError, pa.ArrowException, csv.Error, UnicodeDecodeError, ValueError)


def parse_clean_spend(
    data: bytes, schema: DatasetSchema, max_rows: int | None = None
) -> tuple[pa.Table, int, int] | None:
    """(stored table, header row, rows above it) for a clean CSV file; None means use the exact path."""
    try:
        parsed = _parse(data, schema)
    except UNSUITABLE:
        return None
    if max_rows is not None and parsed[0].num_rows > max_rows:
        return None  # the exact path refuses it, naming the first row past the limit
    return parsed


def locate_header(data: bytes, schema: DatasetSchema) -> tuple[int, int, list[str], str, str, int]:
    """The header's line, byte offset, cells, delimiter, encoding, and the rows above it."""
    encoding = "utf-8"
    head = data[: 1 << 20]
    try:
        # Incremental, so a character cut in two at the 1 MB mark is not mistaken for a cp1252 file.
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        encoding, text = "cp1252", head.decode("cp1252")
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    text = text.removeprefix("\ufeff")
    delimiter = sniff_delimiter(text)
    offset, skipped = bom, 0
    required = [c for c in schema.columns if c.required]
    for number, line in enumerate(text.split("\n")[:HEADER_SEARCH_ROWS], start=1):
        if '"' in line and number == 1 and line.count('"') % 2:
            raise UnsuitableError  # a quoted newline above the table: leave it to the exact path
        cells = next(csv.reader([line.rstrip("\r")], delimiter=delimiter), [])
        normalised = [normalise_header(c) for c in cells]
        if cells and all(any(spec.matches(h) for h in normalised) for spec in required):
            return number, offset, cells, delimiter, encoding, skipped
        if any(c.strip() for c in cells):
            skipped += 1
        offset += len(line.encode(encoding)) + 1
    raise UnsuitableError


def _parse(data: bytes, schema: DatasetSchema) -> tuple[pa.Table, int, int]:
    if data.startswith((b"PK", b"\x1f\x8b", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:65536]:
        raise UnsuitableError
    header_row, offset, headers, delimiter, encoding, skipped = locate_header(data, schema)
    body = data[offset:]
    first_line = body[: body.find(b"\n")].decode(encoding).rstrip("\r")
    if next(csv.reader([first_line], delimiter=delimiter), []) != headers:
        raise UnsuitableError  # the header is not where the scan found it (a quoted newline above it)
    if b"\n\n" in body or b"\n\r\n" in body:
        raise UnsuitableError  # blank lines shift row numbers; the exact path handles them
    names = [f"c{i}" for i in range(len(headers))]
    table = pa_csv.read_csv(
        io.BytesIO(body),
        read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding),
        parse_options=parse_options(delimiter),
        convert_options=convert_options(names),
    )
    if table.num_rows == 0:
        raise UnsuitableError
    typed = typed_columns(table, headers, schema, header_row + 1, quoted=b'"' in body)
    check_tail(table)
    return pa.table(typed), header_row, skipped


def all_in_pounds(data: bytes, schema: DatasetSchema, currency_headers: tuple[str, ...]) -> bool:
    """True when the file's currency column (if it has one) holds only blanks and GBP, read by Arrow alone;
    False also when unsure, so the exact path reads each row's currency and names any other."""
    try:
        _, offset, headers, delimiter, encoding, _ = locate_header(data, schema)
        normalised = [normalise_header(h) for h in headers]
        position = next((normalised.index(h) for h in currency_headers if h in normalised), None)
        if position is None:
            return True
        names = [f"c{i}" for i in range(len(headers))]
        table = pa_csv.read_csv(
            io.BytesIO(data[offset:]),
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, encoding=encoding),
            parse_options=parse_options(delimiter),
            convert_options=pa_csv.ConvertOptions(
                include_columns=[names[position]],
                column_types={names[position]: pa.string()},
                strings_can_be_null=False,
            ),
        )
        values = pc.utf8_upper(pc.utf8_trim_whitespace(table.column(0)))
        return bool(pc.all(pc.or_(pc.equal(values, ""), pc.equal(values, "GBP"))).as_py())
    except UNSUITABLE:
        return False


def parse_options(delimiter: str) -> pa_csv.ParseOptions:
    return pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=False)


def convert_options(names: list[str]) -> pa_csv.ConvertOptions:
    return pa_csv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )


def typed_columns(
    table: pa.Table, headers: list[str], schema: DatasetSchema, first_row: int, *, quoted: bool
) -> dict[str, pa.Array]:
    """The stored columns of a block of raw rows whose first row is line ``first_row`` of the file."""
    if quoted and any(pc.any(pc.match_substring(column, "\n")).as_py() for column in table.columns):
        raise UnsuitableError  # a quoted newline: row numbers would shift, so the exact path numbers them
    normalised = [normalise_header(h) for h in headers]
    if len(set(normalised)) != len(normalised):
        raise UnsuitableError
    longest = max((pc.max(pc.binary_length(c)).as_py() or 0 for c in table.columns), default=0)
    if longest > ImportLimits.max_field_chars:
        raise UnsuitableError  # a cell past the field limit: the exact path refuses it (TP516), as it would
    first = pc.utf8_trim_whitespace(table.column(0))
    if pc.any(pc.equal(pc.utf8_lower(first), headers[0].strip().lower())).as_py():
        raise UnsuitableError  # the header repeated inside the data
    columns: dict[str, pa.Array] = {}
    for spec in schema.columns:
        position = next(
            (i for name in spec.names for i, h in enumerate(normalised) if h == normalise_header(name)), None
        )
        if position is None:
            if spec.required:
                raise UnsuitableError
            columns[spec.stored_name] = pa.nulls(table.num_rows, ARROW_TYPES[spec.kind])
            continue
        raw = pc.utf8_trim_whitespace(table.column(position).combine_chunks())
        columns[spec.stored_name] = _typed(spec, raw)
    # numpy builds the row numbers at once; pa.array(range(...)) would walk a Python iterator.
    columns["source_row"] = pa.array(np.arange(first_row, first_row + table.num_rows, dtype=np.int64))
    return columns


def check_tail(table: pa.Table) -> None:
    """Refuse (for the exact path) a file whose last rows look like a totals row."""
    tail = table.slice(max(0, table.num_rows - 3))
    if any(isinstance(v, str) and _TOTAL.match(v) for col in tail.columns for v in col.to_pylist()):
        raise UnsuitableError  # a totals row: the exact path checks it against the rows above


_PLAIN_NUMBER: Final = r"^-?\d+(\.\d+)?$"


def _typed(spec: ColumnSpec, raw: pa.Array) -> pa.Array:
    kind = spec.kind
    empty = pc.equal(raw, "")
    if spec.required and pc.any(empty).as_py():
        raise UnsuitableError
    if kind == "money":
        return _pence(raw)
    if kind == "date":
        # A year of payments holds a few hundred distinct dates repeated over millions of rows: check and
        # parse each distinct text once, then spread the results back over the rows.
        encoded = pc.dictionary_encode(raw)
        return pc.take(_dates(encoded.dictionary), encoded.indices)
    if kind == "code" and spec.pattern:
        _check_codes(raw, spec.pattern)
    if kind in ("text", "code"):
        return pc.if_else(empty, pa.scalar(None, pa.string()), raw)
    if kind == "number":
        return _numbers(spec, raw, empty)
    raise UnsuitableError


def _pence(raw: pa.Array) -> pa.Array:
    """Amounts as pence, or UnsuitableError for any the exact path must read (or refuse, naming its row)."""
    if pc.all(pc.match_substring_regex(raw, _PENCE_SHAPE)).as_py():
        # The usual shape, "-1234.50": the pence are the digits without the point.
        return pc.cast(pc.replace_substring(raw, ".", ""), pa.int64())
    if not pc.all(pc.match_substring_regex(raw, _AMOUNT)).as_py():
        raise UnsuitableError
    negative = pc.or_(pc.starts_with(raw, "("), pc.match_substring(raw, "-"))
    digits = pc.replace_substring_regex(raw, r"[£,()\-]", "")
    pence = pc.cast(
        pc.multiply(pc.cast(digits, pa.decimal128(17, 2)), pa.scalar(Decimal(100), pa.decimal128(3, 0))),
        pa.int64(),
    )
    if pc.any(pc.greater(pence, MAX_AMOUNT_PENCE)).as_py():
        raise UnsuitableError  # beyond the limit: the exact path names the row (TP551)
    return pc.if_else(negative, pc.negate(pence), pence)


def _check_codes(raw: pa.Array, pattern: str) -> None:
    """UnsuitableError if any written code does not match ``pattern`` (the exact path refuses it by row)."""
    distinct = pc.unique(raw)
    written = pc.filter(distinct, pc.not_equal(distinct, ""))
    if not pc.all(pc.match_substring_regex(written, f"^(?:{pattern})$")).as_py():
        raise UnsuitableError


def _numbers(spec: ColumnSpec, raw: pa.Array, empty: pa.Array) -> pa.Array:
    """Plain numbers within bounds as floats (blanks as null), or UnsuitableError for the exact path."""
    if not pc.all(pc.or_(empty, pc.match_substring_regex(raw, _PLAIN_NUMBER))).as_py():
        raise UnsuitableError
    # blanks are missing figures (null), as the exact path reads an empty optional cell
    numbers = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), raw), pa.float64())
    least = -MAX_NUMBER if spec.minimum is None else max(spec.minimum, -MAX_NUMBER)
    # 400 digits cast to infinity; NaN never matches the shape. Out of bounds: the exact path names it.
    if pc.any(pc.or_(pc.less(numbers, least), pc.greater(numbers, MAX_NUMBER))).as_py():
        raise UnsuitableError
    return numbers


def _dates(raw: pa.Array) -> pa.Array:
    """Distinct date texts as dates, or UnsuitableError if any is not a real date in one known format."""
    for pattern, fmt in _DATE_FORMATS:
        if pc.all(pc.match_substring_regex(raw, pattern)).as_py():
            parsed = pc.strptime(raw, format=fmt, unit="s", error_is_null=True)
            # strptime rolls 31/02 over into March: only dates that print back as written are real.
            if (
                pc.any(pc.is_null(parsed)).as_py()
                or not pc.all(pc.equal(pc.strftime(parsed, fmt), raw)).as_py()
            ):
                raise UnsuitableError
            # min_max, not comparisons with pa.scalar: making a scalar from a Python int loads pandas.
            span = pc.min_max(pc.year(parsed)).as_py()
            if not EARLIEST <= span["min"] <= span["max"] <= LATEST:
                raise UnsuitableError
            return pc.cast(parsed, pa.date32())
    raise UnsuitableError


def head_rows(data: bytes) -> list[list[object]] | None:
    """The first rows of a plain CSV file, decoded cheaply, for choosing its format; None if not plain CSV."""
    if data.startswith((b"PK", b"\x1f\x8b", b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[: 1 << 16]:
        return None
    head = data[: 1 << 16]
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        text = head.decode("cp1252", errors="replace")
    lines = [line.rstrip("\r") for line in text.split("\n")[:HEADER_SEARCH_ROWS]]
    try:
        return [list(row) for row in csv.reader(lines, delimiter=sniff_delimiter(text))]
    except csv.Error:
        return None  # not a plain CSV: the exact path says why
