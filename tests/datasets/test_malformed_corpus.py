"""A corpus of malformed files: each is refused whole with coded problems, and the store is left unchanged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.datasets.files import HEADER, csv_bytes, xlsx_of, zip_of
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.errors import ImportRejectedError
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.areas import list_areas
from totalplace.store.catalog import list_batches

OK = "01/04/2024,Acme Ltd,10.00,Care\n"
# Codes about the file as a whole (row 0 or the header row, no single column).
FILE_LEVEL = {"TP511", "TP512", "TP513", "TP514", "TP518", "TP519", "TP521", "TP525", "TP517", "TP515"}


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    code: str
    kind: str = "spend"


def _pay(*rows: str, header: str = HEADER) -> bytes:
    return csv_bytes(header + "\n" + OK + "".join(rows))


def _geo(features: list[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def _feature(
    code: object, population: object = 100, geometry: dict[str, Any] | None = None
) -> dict[str, Any]:
    shape = geometry or {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    return {
        "type": "Feature",
        "properties": {"code": code, "name": "Area", "population": population},
        "geometry": shape,
    }


CASES = [
    Case("empty", b"", "TP511"),
    Case("only-blank-lines", b"\r\n\r\n  \n", "TP511"),
    Case("header-only", csv_bytes(HEADER + "\n"), "TP525"),
    Case(
        "html-saved-as-csv",
        b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>",
        "TP512",
    ),
    Case("xml", b"<?xml version='1.0'?><rows><row/></rows>", "TP512"),
    Case("png-image", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "TP513"),
    Case("nul-bytes", b"date,supplier,amount\n01/04/2024,A\x00B,1\n", "TP513"),
    Case("not-any-encoding", b"date,supplier,amount\n01/04/2024,Caf\xe9 \x81\x8d,1\n", "TP514"),
    Case(
        "missing-amount-column",
        csv_bytes("Payment Date,Supplier Name,Description\n01/04/2024,A,x\n"),
        "TP520",
    ),
    Case("missing-supplier-column", csv_bytes("Payment Date,Amount\n01/04/2024,1\n"), "TP520"),
    Case("missing-date-column", csv_bytes("Supplier Name,Amount\nA,1\n"), "TP520"),
    Case("no-header-at-all", csv_bytes("1,2,3\n4,5,6\n"), "TP521"),
    Case("duplicated-column", csv_bytes("Date,Supplier,Amount,Amount\n01/04/2024,A,1,1\n"), "TP522"),
    Case("repeated-header-row", _pay(HEADER + "\n", OK), "TP523"),
    Case("ragged-row-extra-cells", _pay("02/04/2024,B,1.00,x,surprise,more\n"), "TP524"),
    Case("ragged-row-too-short", _pay("02/04/2024,B\n"), "TP524"),
    Case("unclosed-quote", _pay('02/04/2024,"B Ltd,1.00,x\n03/04/2024,C,2.00,y\n'), "TP524"),
    Case("amount-words", _pay("02/04/2024,B,twelve,x\n"), "TP531"),
    Case("amount-fraction-of-penny", _pay("02/04/2024,B,1.234,x\n"), "TP531"),
    Case("amount-european-decimal", _pay('02/04/2024,B,"12,34",x\n'), "TP531"),
    Case("amount-only-currency", _pay("02/04/2024,B,£,x\n"), "TP531"),
    Case("amount-exponent", _pay("02/04/2024,B,1e5,x\n"), "TP531"),
    Case("amount-na", _pay("02/04/2024,B,N/A,x\n"), "TP531"),
    Case("amount-two-points", _pay("02/04/2024,B,1.2.3,x\n"), "TP531"),
    Case("amount-empty", _pay("02/04/2024,B,,x\n"), "TP534"),
    Case("date-31-february", _pay("31/02/2024,B,1.00,x\n"), "TP532"),
    Case("date-day-zero", _pay("00/01/2024,B,1.00,x\n"), "TP532"),
    Case("date-month-13", _pay("12/13/2024,B,1.00,x\n"), "TP532"),
    Case("date-us-order", _pay("04/25/2024,B,1.00,x\n"), "TP532"),
    Case("date-words", _pay("yesterday,B,1.00,x\n"), "TP532"),
    Case("date-too-old", _pay("01/01/1850,B,1.00,x\n"), "TP532"),
    Case("date-empty", _pay(",B,1.00,x\n"), "TP534"),
    Case("supplier-empty", _pay("02/04/2024,,1.00,x\n"), "TP534"),
    Case("totals-row-disagrees", _pay("Total,,999.99,\n"), "TP536"),
    Case("many-bad-rows", _pay(*["02/04/2024,B,oops,x\n"] * 1500), "TP531"),
    Case(
        "tab-delimited-bad-date",
        csv_bytes(HEADER.replace(",", "\t") + "\n01/04/2024\tA\t1.00\tx\n30/02/2024\tB\t1.00\tx\n"),
        "TP532",
    ),
    Case("zip-two-csvs", zip_of({"a.csv": _pay(), "b.csv": _pay()}), "TP519"),
    Case("zip-empty", zip_of({}), "TP519"),
    Case("zip-bad-row-inside", zip_of({"p.csv": _pay("02/04/2024,B,abc,x\n")}), "TP531"),
    Case("zip-truncated", zip_of({"p.csv": _pay() * 50})[:120], "TP518"),
    Case("xlsx-bad-amount", xlsx_of([["Date", "Supplier", "Amount"], ["01/04/2024", "A", "lots"]]), "TP531"),
    Case("xlsx-impossible-date", xlsx_of([["Date", "Supplier", "Amount"], ["30/02/2024", "A", 5]]), "TP532"),
    Case("xlsx-missing-column", xlsx_of([["Date", "Amount"], ["01/04/2024", 5]]), "TP520"),
    Case("gzip-truncated", b"\x1f\x8b\x08\x00" + bytes(20), "TP518"),
    Case("geo-bad-code", _geo([_feature("E01000001"), _feature("X123")]), "TP535", "geography"),
    Case(
        "geo-duplicate-code", _geo([_feature("E01000001"), _feature("E01000001", 200)]), "TP538", "geography"
    ),
    Case("geo-bad-population", _geo([_feature("E01000001", "lots")]), "TP533", "geography"),
    Case(
        "geo-point-not-polygon",
        _geo([_feature("E01000001", 5, {"type": "Point", "coordinates": [0, 0]})]),
        "TP537",
        "geography",
    ),
    Case(
        "geo-british-national-grid",
        _geo(
            [
                _feature(
                    "E01000001",
                    5,
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [[383000, 398000], [384000, 398000], [384000, 399000], [383000, 398000]]
                        ],
                    },
                )
            ]
        ),
        "TP537",
        "geography",
    ),
    Case(
        "geo-no-area",
        _geo(
            [_feature("E01000001", 5, {"type": "Polygon", "coordinates": [[[0, 0], [0, 0], [0, 0], [0, 0]]]})]
        ),
        "TP537",
        "geography",
    ),
    Case("geo-broken-json", b'{"type": "FeatureCollection", "features": [', "TP512", "geography"),
    Case("geo-csv-missing-code", csv_bytes("name,population\nA,5\n"), "TP520", "geography"),
]


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


def _snapshot(place: Place) -> tuple[object, ...]:
    with place.read() as conn:
        return (
            [b.id for b in list_batches(conn)],
            audit.verify(conn).records,
            len(list_areas(conn)),
            sorted(p.name for p in place.batches_dir.iterdir()),
        )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_malformed_file_is_refused_with_located_codes(sqlite_place: Place, case: Case) -> None:
    before = _snapshot(sqlite_place)
    request = ImportRequest(
        case.kind,
        "Council" if case.kind == "spend" else None,
        options={"level": "lsoa"} if case.kind == "geography" else {},
    )
    with pytest.raises(ImportRejectedError) as refused:
        import_file(sqlite_place, case.data, request, principal=OPERATOR, source_name=f"{case.name}.csv")
    problems = refused.value.problems
    assert problems, "a refusal must list at least one problem"
    assert case.code in {p.code for p in problems}, [p.to_dict() for p in problems[:3]]
    for p in problems:
        assert p.file.startswith(f"{case.name}.csv")
        assert p.code.startswith("TP5") and p.message
        if p.code not in FILE_LEVEL:
            assert p.row >= 1 and p.column, p.to_dict()
    assert _snapshot(sqlite_place) == before
