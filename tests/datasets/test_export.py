from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from tests.datasets.files import GOOD_ROWS, HEADER, csv_bytes
from totalplace.datasets.export import export_batch, neutralise
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store import audit


def test_neutralise() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+44 161") == "'+44 161"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("\t=cmd") == "'\t=cmd"
    assert neutralise("-25.00") == "-25.00"
    assert neutralise("Acme") == "Acme"


def test_exports_neutralise_formulas_and_keep_numbers(sqlite_place: Place) -> None:
    batch = import_file(
        sqlite_place,
        csv_bytes(HEADER + "\n" + GOOD_ROWS),
        ImportRequest("spend", "Council"),
        principal=OPERATOR,
        source_name="p.csv",
    ).batch
    _, body = export_batch(sqlite_place, batch.id, "csv", principal=OPERATOR)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["amount"] for r in rows] == ["1234.50", "-25.00", "99.99"]
    assert rows[2]["supplier"] == "'=cmd|' /C calc'!A0"
    sheet = load_workbook(
        io.BytesIO(export_batch(sqlite_place, batch.id, "xlsx", principal=OPERATOR)[1])
    ).active
    header = [c.value for c in sheet[1]]
    amount, supplier = header.index("amount") + 1, header.index("supplier") + 1
    assert sheet.cell(2, amount).data_type == "n"
    assert Decimal(str(sheet.cell(3, amount).value)) == Decimal("-25")
    assert sheet.cell(4, supplier).data_type == "s"
    assert sheet.cell(4, supplier).value.startswith("'=")
    with sqlite_place.read() as conn:
        newest = next(audit.records(conn, limit=1, newest_first=True))
    assert (newest.action, newest.object_id) == ("batch.export", str(batch.id))
