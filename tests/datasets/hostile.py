"""Builders of hostile files, and a child process that imports one and reports time and peak memory."""

from __future__ import annotations

import io
import json
import resource
import sys
import time
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from totalplace.governance.roles import OPERATOR


def zip_bomb(path: Path) -> None:
    """A ZIP whose one CSV unpacks to 2 GiB of zeros (written in chunks, a few MB on disk)."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("payments.csv", "w", force_zip64=True) as member,
    ):
        member.write(b"date,supplier,amount\n")
        chunk = bytes(16 << 20)
        for _ in range(128):
            member.write(chunk)


def lying_zip_bomb(path: Path) -> None:
    """A small-looking ZIP: the header claims 1 KB but the member inflates to 600 MB of zeros."""
    honest = io.BytesIO()
    payload = b"date,supplier,amount\n" + bytes(600 << 20)
    with zipfile.ZipFile(honest, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("p.csv", payload)
    raw = bytearray(honest.getvalue())
    size = len(payload).to_bytes(4, "little")
    # Rewrite the uncompressed-size fields (local header and central directory) to claim 1,024 bytes.
    for at in (i for i in range(len(raw) - 4) if bytes(raw[i : i + 4]) in (b"PK\x03\x04", b"PK\x01\x02")):
        offset = 22 if bytes(raw[at : at + 4]) == b"PK\x03\x04" else 24
        if raw[at + offset : at + offset + 4] == size:
            raw[at + offset : at + offset + 4] = (1024).to_bytes(4, "little")
    path.write_bytes(bytes(raw))


def gzip_bomb(path: Path) -> None:
    """A gzip file that unpacks to 2 GiB of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    with path.open("wb") as out:
        chunk = bytes(16 << 20)
        for _ in range(128):
            out.write(compressor.compress(chunk))
        out.write(compressor.flush())


def zip_slip(path: Path) -> None:
    """A ZIP whose member would be written outside any folder it is unpacked into."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../../../tmp/evil.csv", "date,supplier,amount\n01/01/2024,x,1\n")


def billion_laughs_xlsx(path: Path) -> None:
    """An XLSX whose shared strings define nested XML entities (the "billion laughs" attack)."""
    from tests.datasets.files import xlsx_of

    good = zipfile.ZipFile(io.BytesIO(xlsx_of([["date", "supplier", "amount"], ["01/04/2024", "lol", 1]])))
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode().replace("<worksheet", f"<!DOCTYPE worksheet [{entities}]><worksheet", 1)
                data = text.replace(">lol<", ">&lol9;<").encode()
                assert "&lol9;" in data.decode()
            archive.writestr(item, data)


def huge_file(path: Path) -> None:
    """A 1 GB file (sparse, so it costs no disk)."""
    with path.open("wb") as out:
        out.write(b"date,supplier,amount\n")
        out.truncate(1 << 30)


def million_columns(path: Path) -> None:
    """A CSV whose header has a million columns."""
    path.write_bytes(b"date,supplier,amount," + b",".join(b"c%d" % i for i in range(1_000_000)) + b"\n")


def wide_xlsx(path: Path) -> None:
    """An XLSX with a row reaching column 16,384 (XFD)."""
    from tests.datasets.files import xlsx_of

    path.write_bytes(xlsx_of([["date", "supplier", "amount", *[""] * 16380, "x"]]))


def deep_json(path: Path) -> None:
    """GeoJSON nested a million levels deep."""
    path.write_bytes(
        b'{"type": "FeatureCollection", "features": ' + b"[" * 1_000_000 + b"]" * 1_000_000 + b"}"
    )


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def _cell(value: object) -> str:
    """One cell's XML: a number as written (``<v>NaN</v>`` is possible), anything else an inline string."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.startswith("#num:")):
        text = str(value).removeprefix("#num:")
        return f"<c><v>{text}</v></c>"
    from xml.sax.saxutils import escape

    return f'<c t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def raw_xlsx(
    path: Path,
    header: list[str],
    rows: Iterable[list[object]],
    *,
    dimension: str | None = None,
    doctype: str = "",
    shared: bool = False,
) -> None:
    """An XLSX written as raw XML, row by row (fast for 400,000 rows; cells as :func:`_cell` writes them).

    A string cell ``"#num:NaN"`` is written as the number cell NaN. With ``shared`` text goes in a shared
    strings table, as Excel writes it; otherwise each is an inline string.
    """
    strings: dict[str, int] = {}

    def cell(value: object) -> str:
        if not shared or not isinstance(value, str) or value.startswith("#num:"):
            return _cell(value)
        return f'<c t="s"><v>{strings.setdefault(value, len(strings))}</v></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _XLSX_PARTS.items():
            if shared and name == "xl/_rels/workbook.xml.rels":
                text = text.replace(
                    "</Relationships>",
                    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            ref = f'<dimension ref="{dimension}"/>' if dimension else ""
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="http://schemas.'
                f'openxmlformats.org/spreadsheetml/2006/main">{ref}<sheetData>'.encode()
            )
            block: list[str] = ["<row>" + "".join(cell(h) for h in header) + "</row>"]
            for cells in rows:
                block.append("<row>" + "".join(cell(c) for c in cells) + "</row>")
                if len(block) >= 10_000:
                    sheet.write("".join(block).encode())
                    block = []
            sheet.write(("".join(block) + "</sheetData></worksheet>").encode())
        if shared:
            _write_shared_strings(archive, list(strings))


def _write_shared_strings(archive: zipfile.ZipFile, strings: list[str]) -> None:
    from xml.sax.saxutils import escape

    items = "".join(f"<si><t>{escape(t)}</t></si>" for t in strings)
    archive.writestr(
        "xl/sharedStrings.xml",
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>',
    )


def xlsx_400k(path: Path) -> None:
    """A clean 400,000-row spend workbook as Excel writes it (shared strings; 40 MB of sheet XML)."""
    rows = (
        [f"{1 + n % 28:02d}/04/2024", f"Supplier {n % 5000}", (n % 100_000) / 100, "Services"]
        for n in range(400_000)
    )
    raw_xlsx(path, ["Payment Date", "Supplier Name", "Amount", "Description"], rows, shared=True)


def polygon_2m(path: Path) -> None:
    """A GeoJSON area whose one polygon has 2,000,000 points (48 MB)."""
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"E01000001",'
            '"population":5},"geometry":{"type":"Polygon","coordinates":[['
        )
        for start in range(0, 2_000_000, 100_000):
            out.write(
                ",".join(
                    f"[{-2.3 + (i % 1000) * 1e-5:.5f},{53.4 + (i // 1000) * 1e-5:.5f}]"
                    for i in range(start, start + 100_000)
                )
                + ","
            )
        out.write("[-2.3,53.4]]]}}]}")


def one_line_csv(path: Path) -> None:
    """A 60 MB CSV whose second line is one endless cell."""
    with path.open("wb") as out:
        out.write(b"Payment Date,Supplier Name,Amount\n01/04/2024,")
        chunk = b"A" * (1 << 20)
        for _ in range(60):
            out.write(chunk)
        out.write(b",1.00\n")


def xlsx_bad_rows(path: Path) -> None:
    """A workbook at the sheet-size limit (47 MB of XML) whose 520,000 rows hold numbers where dates go."""
    import random

    rng = random.Random(1)
    rows: Iterable[list[object]] = ([rng.randrange(10**6) for _ in range(4)] for _ in range(520_000))
    raw_xlsx(path, ["Payment Date", "Supplier Name", "Amount", "Description"], rows)


BIG_BUILDERS = {f.__name__: f for f in (xlsx_400k, polygon_2m, one_line_csv)}
BENCHMARK_ONLY = {f.__name__: f for f in (xlsx_bad_rows,)}


BUILDERS = {
    f.__name__: f
    for f in (
        zip_bomb,
        lying_zip_bomb,
        gzip_bomb,
        zip_slip,
        billion_laughs_xlsx,
        huge_file,
        million_columns,
        wide_xlsx,
        deep_json,
    )
}


def run_child(place_dir: str, file: str) -> None:
    """In a fresh process: import ``file`` and print seconds, peak memory above the baseline and the codes."""
    from totalplace.datasets.importer import ImportRequest, import_file
    from totalplace.errors import ImportRejectedError
    from totalplace.place import Place

    place = Place.open(place_dir)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    codes: list[str] = []
    try:
        kind = "geography" if file.endswith("deep_json") else "spend"
        request = ImportRequest(
            kind,
            None if kind == "geography" else "Council",
            options={"level": "lsoa"} if kind == "geography" else {},
        )
        import_file(place, Path(file), request, principal=OPERATOR)
    except ImportRejectedError as error:
        codes = [p.code for p in error.problems]
    elapsed = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"seconds": elapsed, "peak_mb_above_baseline": (peak - baseline) / 1024, "codes": codes})
    )


if __name__ == "__main__":
    run_child(sys.argv[1], sys.argv[2])
