"""Reading an uploaded file into rows of text cells, safely.

Handles files as organisations publish them: CSV in UTF-8 (with or without BOM), UTF-16 or cp1252, with any
common delimiter; a ZIP holding one CSV; an XLSX workbook (first sheet). Refuses, quickly and in bounded
memory, what is not a table or is built to hurt: oversized files, zip bombs, zip-slip names, XML entity
bombs, a million columns.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from totalplace.datasets import problems as codes
from totalplace.datasets.geojson import check_vertices, geojson_rows, looks_like_geojson
from totalplace.datasets.limits import ImportLimits

if TYPE_CHECKING:
    pass

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
_GZIP_MAGIC = b"\x1f\x8b"
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml", b"<table")
_DELIMITERS = (",", "\t", ";", "|")


class LineGuard:
    """Refuses a text file as soon as one of its lines passes ``limit`` bytes, fed chunk by chunk.

    Lines are found with numpy (no Python per byte), so a file of short lines is checked at memory speed and a
    60 MB file of one line is refused after its first megabytes, before it is decoded or parsed (TP516).
    """

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit = name, limit
        self.line = 1  # the number of the line the next byte belongs to
        self.run = 0  # bytes of that line seen so far

    def feed(self, chunk: bytes | memoryview) -> None:
        """Check the next bytes of the file."""
        import numpy as np

        view = np.frombuffer(chunk, dtype=np.uint8)
        ends = np.flatnonzero(view == 10)
        if ends.size == 0:
            self.run += view.size
            self._check(self.run, self.line)
            return
        lengths = np.diff(ends, prepend=-1) - 1
        lengths[0] += self.run
        over = np.flatnonzero(lengths > self.limit)
        if over.size:
            self._check(int(lengths[over[0]]), self.line + int(over[0]))
        self.line += int(ends.size)
        self.run = int(view.size - ends[-1] - 1)
        self._check(self.run, self.line)

    def _check(self, length: int, line: int) -> None:
        if length > self.limit:
            codes.reject(
                self.name,
                codes.FIELD_TOO_LARGE,
                f"line {line:,} is longer than {self.limit:,} bytes; no row of a table is that long "
                "(is the file one line, or not a table?)",
                row=line,
            )


def check_lines(data: bytes, name: str, limits: ImportLimits) -> None:
    """Refuse text whose longest line passes the line limit, reading it in blocks (GeoJSON is one line)."""
    if looks_like_geojson(data[:4096]):
        return
    guard = LineGuard(name, limits.max_line_bytes)
    view = memoryview(data)
    for start in range(0, len(data), 16 << 20):
        guard.feed(view[start : start + (16 << 20)])


@dataclass
class SourceRows:
    """The rows of a file: ``rows`` yields (row number as a spreadsheet shows it, cells)."""

    name: str
    rows: Iterator[tuple[int, list[str | object]]]
    container: str


def read_source(data: bytes, name: str, limits: ImportLimits) -> SourceRows:
    """Turn a file's bytes into rows, or refuse it with a coded problem."""
    if len(data) > limits.max_bytes:
        codes.reject(
            name, codes.FILE_TOO_LARGE, f"the file is {len(data):,} bytes; the limit is {limits.max_bytes:,}"
        )
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        codes.reject(name, codes.FILE_EMPTY, "the file is empty")
    if data.startswith(_GZIP_MAGIC):
        return read_source(_gunzip(data, name, limits), name.removesuffix(".gz"), limits)
    if looks_like_geojson(data):
        return SourceRows(name, geojson_rows(data, name, limits), "geojson")
    if data.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                    from totalplace.datasets.xlsx import read_xlsx

                    return SourceRows(name, read_xlsx(archive, data, name, limits), "xlsx")
                inner_name, inner = _single_csv_from_zip(archive, len(data), name, limits)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            codes.reject(name, codes.ZIP_UNSAFE, f"the archive is damaged or truncated: {exc}")
        return SourceRows(name, _csv_rows(inner, f"{name}!{inner_name}", limits), "zip")
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        check_lines(data, name, limits)
    return SourceRows(name, _csv_rows(data, name, limits), "csv")


def plain_csv_bytes(data: bytes, name: str, limits: ImportLimits) -> bytes | None:
    """The CSV inside a ZIP or gzip file (with every safety check), the bytes of a plain file, or None for
    workbooks and GeoJSON. Raises the same coded refusals as :func:`read_source` for unsafe archives."""
    if data.startswith(_GZIP_MAGIC):
        return plain_csv_bytes(_gunzip(data, name, limits), name.removesuffix(".gz"), limits)
    if looks_like_geojson(data):
        return None
    if data.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                    return None
                inner = _single_csv_from_zip(archive, len(data), name, limits)[1]
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            codes.reject(name, codes.ZIP_UNSAFE, f"the archive is damaged or truncated: {exc}")
        check_lines(inner, name, limits)
        return inner
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        check_lines(data, name, limits)
    return data


def workbook_csv_bytes(data: bytes, name: str, limits: ImportLimits) -> tuple[bytes, bool] | None:
    """The first sheet of an XLSX workbook as CSV (after every safety check), and whether its line N is the
    sheet's row N; None if the file is not a workbook.

    Lets a clean workbook take the vectorised path (a 400,000-row sheet imports in seconds, not minutes),
    and a workbook with problems be read row by row from that CSV rather than unpacked a second time.
    """
    if not data.startswith(_ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                return None
            from totalplace.datasets.xlsx import xlsx_as_csv

            return xlsx_as_csv(archive, data, name, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        codes.reject(name, codes.ZIP_UNSAFE, f"the archive is damaged or truncated: {exc}")


def sheet_csv_rows(data: bytes, name: str, limits: ImportLimits) -> Iterator[tuple[int, list[str | object]]]:
    """The rows of a CSV made by :func:`workbook_csv_bytes` (comma-separated UTF-8, line N is row N)."""
    return _parse_csv(data.decode("utf-8"), ",", name, limits)


def read_path(path: Path, limits: ImportLimits) -> bytes:
    """A file's bytes, refusing it by size before reading anything."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        codes.reject(
            path.name, codes.FILE_TOO_LARGE, f"the file is {size:,} bytes; the limit is {limits.max_bytes:,}"
        )
    _precheck(path, limits)
    return path.read_bytes()


def _precheck(path: Path, limits: ImportLimits) -> None:
    """One pass over a file in chunks, before it is read whole: a text table's lines against the line limit,
    a GeoJSON file's coordinate positions against the vertex limit. Either is refused having read only as far
    as the first line or position past its limit, so memory never holds what will be refused."""
    guard: LineGuard | None = None
    brackets = 0
    with path.open("rb") as source:
        head = source.read(4 << 20)
        geojson = looks_like_geojson(head[:4096])
        guard = LineGuard(path.name, limits.max_line_bytes) if _is_text_table(head) else None
        chunk = head
        while chunk:
            if guard is not None:
                guard.feed(chunk)
            elif geojson:
                brackets += chunk.count(b"[")
                if brackets > limits.max_vertices:
                    check_vertices(b"", path.name, limits.max_vertices, brackets)
            chunk = source.read(4 << 20)


def _is_text_table(head: bytes) -> bool:
    """True when a file starting with ``head`` is lines of text (not a ZIP, gzip, GeoJSON or UTF-16)."""
    return not (
        head.startswith((*_ZIP_MAGIC, _GZIP_MAGIC, b"\xff\xfe", b"\xfe\xff"))
        or looks_like_geojson(head[:4096])
    )


def check_zip_members(archive: zipfile.ZipFile, packed_size: int, name: str, limits: ImportLimits) -> None:
    """Refuse unsafe member names and declared sizes that would unpack past the limits."""
    total = 0
    for info in archive.infolist():
        member = PurePosixPath(info.filename.replace("\\", "/"))
        if member.is_absolute() or ".." in member.parts or ":" in info.filename:
            codes.reject(
                name,
                codes.ZIP_UNSAFE,
                f"the archive holds an unsafe path {info.filename!r}",
                value=info.filename,
            )
        total += info.file_size
    if total > limits.max_unzipped_bytes:
        codes.reject(
            name,
            codes.ZIP_UNSAFE,
            f"the archive would unpack to {total:,} bytes; the limit is {limits.max_unzipped_bytes:,}",
        )
    if total > 1_000_000 and total > packed_size * limits.max_zip_ratio:
        codes.reject(
            name,
            codes.ZIP_UNSAFE,
            f"the archive unpacks {total // max(packed_size, 1):,} times its size, "
            "which only a zip bomb does",
        )


def read_member(archive: zipfile.ZipFile, member: str, name: str, limits: ImportLimits) -> bytes:
    """A member's bytes, read in chunks and stopped at the limit whatever its header claims."""
    out = bytearray()
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            out += chunk
            if len(out) > limits.max_unzipped_bytes:
                codes.reject(
                    name, codes.ZIP_UNSAFE, f"{member} unpacks past {limits.max_unzipped_bytes:,} bytes"
                )
    return bytes(out)


def _gunzip(data: bytes, name: str, limits: ImportLimits) -> bytes:
    """Decompress gzip in bounded steps, refusing as soon as output outgrows the input consumed so far.

    Checking the ratio against the bytes consumed (not the whole file) stops a gzip bomb within its first
    chunk, so memory stays near ``chunk times max_zip_ratio`` whatever the file claims to hold.
    """
    inflater = zlib.decompressobj(wbits=31)
    out = bytearray()
    chunk, consumed = 1 << 16, 0
    try:
        while consumed < len(data) and not inflater.eof:
            piece = data[consumed : consumed + chunk]
            consumed += len(piece)
            pending = piece
            while pending:
                out += inflater.decompress(pending, 1 << 22)
                pending = inflater.unconsumed_tail
                if len(out) > limits.max_unzipped_bytes:
                    codes.reject(
                        name, codes.ZIP_UNSAFE, f"the file unpacks past {limits.max_unzipped_bytes:,} bytes"
                    )
                if len(out) > (1 << 22) and len(out) > consumed * limits.max_zip_ratio:
                    codes.reject(
                        name,
                        codes.ZIP_UNSAFE,
                        "the file unpacks to hundreds of times its size, which only a compression bomb does",
                    )
        if not inflater.eof:
            codes.reject(name, codes.ZIP_UNSAFE, "the gzip file is truncated")
    except zlib.error as exc:
        codes.reject(name, codes.ZIP_UNSAFE, f"the gzip file is damaged: {exc}")
    return bytes(out)


def _single_csv_from_zip(
    archive: zipfile.ZipFile, packed_size: int, name: str, limits: ImportLimits
) -> tuple[str, bytes]:
    check_zip_members(archive, packed_size, name, limits)
    members = [
        i.filename
        for i in archive.infolist()
        if not i.is_dir() and not i.filename.startswith("__MACOSX/") and not i.filename.endswith(".DS_Store")
    ]
    if len(members) != 1:
        codes.reject(
            name,
            codes.ZIP_CONTENTS,
            f"the archive holds {len(members)} files; it should hold exactly one CSV",
            value=", ".join(members[:5]),
        )
    return members[0], read_member(archive, members[0], name, limits)


def decode_text(data: bytes, name: str) -> str:
    """Decode text as UTF-8 (BOM or not), UTF-16 with BOM, or cp1252, and refuse what is not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:65536]
    if b"\x00" in head:
        codes.reject(
            name, codes.BINARY_FILE, "the file is not text (it holds NUL bytes); export it as CSV or XLSX"
        )
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith(_HTML_STARTS):
        codes.reject(
            name,
            codes.NOT_A_TABLE,
            "the file is a web page or XML, not a CSV table; save it as CSV and retry",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        codes.reject(
            name,
            codes.ENCODING,
            f"the file is neither UTF-8 nor Windows-1252 text (byte {exc.start:,})",
            value=repr(data[exc.start : exc.start + 4]),
        )


def sniff_delimiter(text: str) -> str:
    """The delimiter (comma, tab, semicolon or bar) that splits the first lines most."""
    lines = [line for line in text[:65536].splitlines()[:30] if line.strip()]
    best, best_score = ",", 0
    for delimiter in _DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        score = max(counts, default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(data: bytes, name: str, limits: ImportLimits) -> Iterator[tuple[int, list[str | object]]]:
    text = decode_text(data, name)
    delimiter = sniff_delimiter(text)
    first_lines = text[: 4 * 1024 * 1024].split("\n", 50)[:50]
    widest = max((line.count(delimiter) + 1 for line in first_lines), default=0)
    if widest > limits.max_columns:
        codes.reject(
            name, codes.TOO_MANY_COLUMNS, f"a row has {widest:,} columns; the limit is {limits.max_columns:,}"
        )
    return _parse_csv(text, delimiter, name, limits)


def _parse_csv(
    text: str, delimiter: str, name: str, limits: ImportLimits
) -> Iterator[tuple[int, list[str | object]]]:
    csv.field_size_limit(limits.max_field_chars)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    row_number = 0
    try:
        for cells in reader:
            row_number = reader.line_num
            if len(cells) > limits.max_columns:
                codes.reject(
                    name,
                    codes.TOO_MANY_COLUMNS,
                    f"row {row_number} has {len(cells):,} columns",
                    row=row_number,
                )
            yield row_number, list(cells)
    except csv.Error as exc:
        code = codes.FIELD_TOO_LARGE if "field larger" in str(exc) else codes.RAGGED_ROW
        codes.reject(
            name, code, f"the CSV cannot be read past line {reader.line_num}: {exc}", row=reader.line_num
        )
