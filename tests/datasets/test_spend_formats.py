"""Each spend format: detected from its header, and refused row by row when wrong (nothing imported)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datasets.files import csv_bytes
from totalplace.datasets.cra import CraShare, cra_to_spend_csv
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.datasets.limits import ImportLimits
from totalplace.errors import ImportRejectedError, InvalidInputError
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.catalog import list_batches

GRANTS = "Identifier,Title,Currency,Amount Awarded,Award Date,Recipient Org:Name,Beneficiary Location:Geographic Code\n"
CARD = "PaymentDate,BeneficiaryName,Amount,Purpose,MerchantCategoryCode,CategoryInternalName\n"
LAMBETH = "Body,Department,Supplier Name,Invoice Creation Date,Invoice Nett Amount,Subj Description\n"
CRA_HEADER = (
    "Department Name,Organisation Name,CRA Segment Code,HMT Subfunction,COFOG Level 1,ID/non-ID,"
    '"CG, LG, PC, BOE",NUTS Region,2017-18\n'
)

GOOD = {
    "360giving": GRANTS + "360G-1,Grant to A,GBP,1500,2024-05-01,Youth Club,E01000001\n",
    "card": CARD + "2024-05-01,Cafe,12.50,Lunch,5812,Restaurants\n",
    "transparency": LAMBETH + "Lambeth,Adults,Care Ltd,08/06/2012,1534.24,FLOATING SUPPORT\n",
}
BAD = [
    ("360giving", GRANTS + "360G-1,Grant,GBP,lots,2024-05-01,Club,E01000001\n", "TP531", "Amount Awarded"),
    ("360giving", GRANTS + "360G-1,Grant,GBP,100,2024-02-30,Club,E01000001\n", "TP532", "Award Date"),
    ("360giving", "Identifier,Title,Amount Awarded,Recipient Org:Name\n360G-1,G,5,Club\n", "TP520", "date"),
    ("card", CARD + "2024-05-01,,12.50,Lunch,5812,Restaurants\n", "TP534", "BeneficiaryName"),
    ("card", CARD + "2024-05-01,Cafe,12.505,Lunch,5812,Restaurants\n", "TP531", "Amount"),
    ("card", CARD + "2024-05-01,Cafe,12.50,Lunch,5812,Restaurants\nTotal,,99.00,,,\n", "TP536", "Amount"),
    (
        "transparency",
        LAMBETH + "Lambeth,Adults,Care Ltd,31/06/2012,1534.24,X\n",
        "TP532",
        "Invoice Creation Date",
    ),
    ("transparency", "Body,Department,Supplier Name,Subj Description\nLambeth,A,B,C\n", "TP520", "date"),
]


@pytest.mark.parametrize("fmt", sorted(GOOD))
def test_each_format_is_detected_and_a_second_import_is_unchanged(sqlite_place: Place, fmt: str) -> None:
    request = ImportRequest("spend", "Council")
    first = import_file(
        sqlite_place, csv_bytes(GOOD[fmt]), request, principal=OPERATOR, source_name=f"{fmt}.csv"
    )
    assert first.effect["format"] == fmt
    assert (
        import_file(
            sqlite_place, csv_bytes(GOOD[fmt]), request, principal=OPERATOR, source_name="again.csv"
        ).status
        == "unchanged"
    )


@pytest.mark.parametrize(("fmt", "text", "code", "column"), BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD])
def test_each_format_refuses_bad_rows_and_imports_nothing(
    sqlite_place: Place, fmt: str, text: str, code: str, column: str
) -> None:
    with pytest.raises(ImportRejectedError) as refused:
        import_file(
            sqlite_place,
            csv_bytes(text),
            ImportRequest("spend", "Council"),
            principal=OPERATOR,
            source_name="bad.csv",
        )
    assert (code, column) in {(p.code, p.column) for p in refused.value.problems}
    with sqlite_place.read() as conn:
        assert list_batches(conn) == []


def test_mapped_format_names_its_headers(sqlite_place: Place, tmp_path: Path) -> None:
    text = "Posting Date,Vendor,Net (GBP)\n01/05/2024,Acme,10.00\n"
    mapping = {"date": "Posting Date", "supplier": "Vendor", "amount": "Net (GBP)"}
    result = import_file(
        sqlite_place,
        csv_bytes(text),
        ImportRequest("spend", "Council", format="mapped", mapping=mapping),
        principal=OPERATOR,
        source_name="m.csv",
    )
    assert result.batch.totals == {"amount_pence": 1000}
    with pytest.raises(ImportRejectedError) as refused:
        import_file(
            sqlite_place,
            csv_bytes("Posting Date,Supplier,Amount\n01/05/2024,A,1\n"),
            ImportRequest("spend", "Council", format="mapped", mapping=mapping),
            principal=OPERATOR,
            source_name="n.csv",
        )
    assert {p.code for p in refused.value.problems} == {"TP520"}


def test_cra_refuses_what_is_not_a_cra_file_and_bad_figures() -> None:
    limits = ImportLimits.from_settings()
    share = CraShare("North West", "2017-18", 100, 1000)
    with pytest.raises(ImportRejectedError) as refused:
        cra_to_spend_csv(csv_bytes("a,b\n1,2\n"), "x.csv", share, limits)
    assert refused.value.problems[0].code == "TP520"
    row = "DWP,DWP,S1,10.2 Old age,10.2 Old age,ID,CG,ENGLAND_North West,{}\n"
    with pytest.raises(ImportRejectedError) as refused:
        cra_to_spend_csv(csv_bytes(CRA_HEADER + row.format("lots")), "x.csv", share, limits)
    assert (refused.value.problems[0].code, refused.value.problems[0].row) == ("TP531", 2)
    body, used = cra_to_spend_csv(csv_bytes(CRA_HEADER + row.format("1234.5")), "x.csv", share, limits)
    assert used == 1 and ",123450.00," in body.decode()  # £1,234,500 for the region; a tenth to the place
    with pytest.raises(InvalidInputError):
        cra_to_spend_csv(
            csv_bytes(CRA_HEADER + row.format("1")), "x.csv", CraShare("Wales", "2017-18", 1, 2), limits
        )
    with pytest.raises(InvalidInputError):
        cra_to_spend_csv(csv_bytes(CRA_HEADER), "x.csv", CraShare("North West", "2017-18", 5, 1), limits)
