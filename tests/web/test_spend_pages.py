"""The spending map pages and their JSON twins, on a place with spending in two financial years."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.datasets.files import csv_bytes
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

Login = Callable[[str], TestClient]
NHS = "Payment Date,Supplier Name,Amount,Cost Centre,Description\n02/05/2024,Care Home Ltd,400.00,Older people,Nursing\n"


def test_map_page_matrix_and_twin(web_place: Place, client_for: Login) -> None:
    import_file(
        web_place, csv_bytes(NHS), ImportRequest("spend", "NHS"), principal=OPERATOR, source_name="nhs.csv"
    )
    client = client_for("lead")
    data = client.get("/spend.json").json()
    assert data["year"] == "2024-25"
    assert data["total_pence"] == 130949 + 40000
    assert set(data["matrix"]["partners"]) == {"Council", "NHS"}
    assert data["charts"]["stages"]["vega_lite"]["mark"]["type"] == "bar"
    page = client.get("/spend")
    assert page.status_code == 200
    assert "Who spends what" in page.text and "<svg" in page.text
    assert "/spend/lines?year=2024-25&partner=NHS" in page.text


def test_drill_down_export_and_coverage(web_place: Place, client_for: Login) -> None:
    client = client_for("analyst")
    lines = client.get("/spend/lines.json?unclassified=1").json()
    assert lines["count"] == 3  # the three test payments name no service
    exported = client.get("/spend/lines.csv?unclassified=1")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["amount"] for r in rows] == ["1234.50", "99.99", "-25.00"]
    assert rows[1]["supplier"].startswith("'=")
    coverage = client.get("/spend/coverage.json").json()
    assert coverage["coverage"] == 0.0 and coverage["rules"] > 50
    refused = client.get("/spend.json?year=nonsense")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "TP106"


def test_years_in_real_terms_once_a_deflator_series_is_kept(
    web_place: Place, client_for: Callable[[str], TestClient]
) -> None:
    from decimal import Decimal

    from totalplace.engines.spendmap.deflators import Deflators, save_deflators

    client = client_for("analyst")
    assert client.get("/spend.json").json()["real_terms"]["available"] is False
    save_deflators(
        web_place,
        Deflators({"2023-24": Decimal(95), "2024-25": Decimal(100)}, "HM Treasury, test", "t"),
        OPERATOR,
    )
    found = client.get("/spend.json").json()["real_terms"]
    assert found["available"] and found["base"] == "2024-25"
    assert (
        client.get("/spend").status_code == 200
    )  # the years table (and its real-terms twin) shows from two years
