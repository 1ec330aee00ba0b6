from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.datasets.files import GOOD_ROWS, HEADER, XLSX_ROWS, csv_bytes, xlsx_of, zip_of
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.errors import (
    ConflictError,
    ImportRejectedError,
    InvalidInputError,
    PartnerRequiredError,
)
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.catalog import get_batch, list_batches, supersede

PAYMENTS = ImportRequest("spend", "Council")
TOTAL = 123450 - 2500 + 9999


def _amounts(place: Place, batch_id: int) -> list[int]:
    with place.read() as conn:
        batch = get_batch(conn, batch_id)
    amounts: list[int] = (
        pq.read_table(place.batches_dir / batch.parquet_path).column("amount_pence").to_pylist()
    )
    return amounts


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes(HEADER + "\n" + GOOD_ROWS),
        csv_bytes("\ufeff" + HEADER + "\n" + GOOD_ROWS),
        csv_bytes(HEADER + "\r\n" + GOOD_ROWS.replace("\n", "\r\n"), "cp1252"),
        csv_bytes(
            HEADER.replace(",", ";") + "\n" + GOOD_ROWS.replace(",", ";").replace('"1;234.50"', "1234.50")
        ),
        csv_bytes(
            "Council payments\nPublished monthly\n\n" + HEADER + "\n" + GOOD_ROWS + '\n,Total,"1,309.49",\n'
        ),
        csv_bytes(HEADER + "\n" + GOOD_ROWS, "utf-16"),
        zip_of({"payments.csv": csv_bytes(HEADER + "\n" + GOOD_ROWS), "__MACOSX/._payments.csv": b"x"}),
        xlsx_of(XLSX_ROWS),
    ],
    ids=["utf8", "bom", "cp1252-crlf", "semicolons", "title-and-totals", "utf16", "zip", "xlsx"],
)
def test_real_world_layouts_import_exactly(place: Place, data: bytes) -> None:
    result = import_file(place, data, PAYMENTS, principal=OPERATOR, source_name="payments.csv")
    assert result.status == "imported"
    assert result.batch.row_count == 3
    assert result.batch.totals == {"amount_pence": TOTAL}
    assert _amounts(place, result.batch.id) == [123450, -2500, 9999]


def test_identical_bytes_are_unchanged_and_write_nothing(place: Place) -> None:
    data = csv_bytes(HEADER + "\n" + GOOD_ROWS)
    first = import_file(place, data, PAYMENTS, principal=OPERATOR, source_name="a.csv")
    files = sorted(place.batches_dir.iterdir())
    with place.read() as conn:
        records = audit.verify(conn).records
    again = import_file(place, data, PAYMENTS, principal=OPERATOR, source_name="renamed.csv")
    assert again.status == "unchanged"
    assert again.batch.id == first.batch.id
    assert sorted(place.batches_dir.iterdir()) == files
    with place.read() as conn:
        assert audit.verify(conn).records == records


def test_provenance_and_supersede(place: Place, tmp_path: Path) -> None:
    path = tmp_path / "june.csv"
    path.write_bytes(csv_bytes(HEADER + "\n" + GOOD_ROWS))
    old = import_file(place, path, PAYMENTS, principal=OPERATOR).batch
    assert old.source_name == "june.csv"
    assert old.size_bytes == path.stat().st_size
    assert len(old.sha256) == 64
    assert old.importer == "cli"  # the principal who imported it
    assert old.partner_name == "Council"
    new = import_file(
        place,
        csv_bytes(HEADER + "\n" + GOOD_ROWS + "01/05/2024,Late Ltd,1.00,x\n"),
        PAYMENTS,
        principal=OPERATOR,
        source_name="june-v2.csv",
    ).batch
    with place.begin() as conn:
        supersede(conn, old_id=old.id, new_id=new.id, actor="tester")
    with place.read() as conn:
        assert get_batch(conn, old.id).status == "superseded"
        assert [b.id for b in list_batches(conn, active_only=True)] == [new.id]
    with pytest.raises(ConflictError), place.begin() as conn:
        supersede(conn, old_id=old.id, new_id=new.id, actor="tester")
    with place.analytics() as engine:
        assert engine.query("select count(*) as n from spend").column("n").to_pylist() == [4]


def test_a_partner_is_required_for_payments(place: Place) -> None:
    with pytest.raises(PartnerRequiredError):
        import_file(
            place,
            csv_bytes(HEADER + "\n" + GOOD_ROWS),
            ImportRequest("spend"),
            principal=OPERATOR,
            source_name="x.csv",
        )
    with pytest.raises(InvalidInputError):
        import_file(
            place, b"x", ImportRequest("nonsense", "Council"), principal=OPERATOR, source_name="x.csv"
        )


def test_a_totals_row_that_disagrees_is_refused(place: Place) -> None:
    data = csv_bytes(HEADER + "\n" + GOOD_ROWS + 'Total,,"1,309.48",\n')
    with pytest.raises(ImportRejectedError) as refused:
        import_file(place, data, PAYMENTS, principal=OPERATOR, source_name="t.csv")
    (problem,) = refused.value.problems
    assert (problem.code, problem.row, problem.column) == ("TP536", 5, "Amount")


def test_column_mapping_and_filters(place: Place) -> None:
    data = csv_bytes("When,Who,Paid,Keep\n01/04/2024,A,1.00,yes\n02/04/2024,B,2.00,no\n")
    request = ImportRequest(
        "spend",
        "Council",
        mapping={"date": "When", "supplier": "Who", "amount": "Paid"},
        where={"Keep": "yes"},
    )
    result = import_file(place, data, request, principal=OPERATOR, source_name="m.csv")
    assert result.batch.row_count == 1
    assert result.batch.totals == {"amount_pence": 100}
    with pytest.raises(InvalidInputError):
        import_file(
            place,
            data,
            ImportRequest("spend", "Council", mapping={"colour": "x"}),
            principal=OPERATOR,
            source_name="m.csv",
        )
