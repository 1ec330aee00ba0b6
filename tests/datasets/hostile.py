"""Builders of hostile files, and a child process that imports one and reports time and peak memory."""

from __future__ import annotations

import io
import json
import resource
import sys
import time
import zipfile
import zlib
from pathlib import Path


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
            "t",
            options={"level": "lsoa"} if kind == "geography" else {},
        )
        import_file(place, Path(file), request)
    except ImportRejectedError as error:
        codes = [p.code for p in error.problems]
    elapsed = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"seconds": elapsed, "peak_mb_above_baseline": (peak - baseline) / 1024, "codes": codes})
    )


if __name__ == "__main__":
    run_child(sys.argv[1], sys.argv[2])
