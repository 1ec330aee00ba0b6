"""Several years of spending in one year's prices, by HM Treasury's GDP deflator imported as published."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Invoke
from tests.datasets.files import HEADER
from totalplace.engines.spendmap.deflators import Deflators, load_deflators, read_hmt_deflators, real_terms
from totalplace.engines.spendmap.results import YearTheme
from totalplace.errors import InvalidInputError
from totalplace.place import Place

# The layout of HM Treasury's release ("GDP deflators at market prices, and money GDP"): title lines, a
# two-row header naming the base year, then one row per financial year and, alongside, calendar years.
RELEASE = """GDP DEFLATORS AT MARKET PRICES, AND MONEY GDP,Not set,Not set,Not set
Not set,Not set,Not set,Not set
Outturn data are the latest Quarterly National Accounts figures from ONS.,Not set,Not set,Not set
Financial year,GDP deflator at market prices,Not set,Money GDP
Financial year,2024-25 = 100,per cent change on previous year,Cash £ million
2022-23,"90.000",,"2,500,000"
2023-24,96.000,6.67,"2,700,000"
2024-25,100.000,4.17,"2,850,000"
"""


def _release(tmp_path: Path, text: str = RELEASE) -> Path:
    path = tmp_path / "GDP_Deflators_Qtrly_National_Accounts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_release_is_read_as_published(tmp_path: Path) -> None:
    deflators, base = read_hmt_deflators(_release(tmp_path))
    assert base == "2024-25" and deflators.index == {
        "2022-23": Decimal(90),
        "2023-24": Decimal(96),
        "2024-25": Decimal(100),
    }
    assert deflators.source.startswith("HM Treasury, GDP DEFLATORS AT MARKET PRICES")
    assert deflators.real(96_00, "2023-24", "2024-25") == 100_00
    assert deflators.real(1, "2022-23", "2024-25") == 1  # 1.111... pence rounds to the penny
    assert deflators.real(100, "2019-20", "2024-25") is None
    with pytest.raises(InvalidInputError, match="not HM Treasury"):
        read_hmt_deflators(_release(tmp_path, "Year,Index\n2024,100\n"))


def test_real_terms_by_theme() -> None:
    deflators = Deflators({"2023-24": Decimal("96"), "2024-25": Decimal("100")}, "HM Treasury", "test")
    rows = [
        YearTheme("adult_social_care", 960_000, "2023-24"),
        YearTheme("adult_social_care", 1_000_000, "2024-25"),
        YearTheme(None, 5, "2022-23"),
    ]
    labels: dict[str | None, str | None] = {"adult_social_care": "Adult social care"}
    found = real_terms(rows, deflators, None, labels)
    assert found.base == "2024-25" and found.rows["Adult social care"] == {
        "2023-24": 1_000_000,
        "2024-25": 1_000_000,
    }
    assert list(found.years_without_deflator) == ["2022-23"] and found.rows["Not classified"] == {
        "2022-23": None
    }
    assert found.to_dict()["years_without_deflator"] == ["2022-23"]
    assert real_terms(rows, None, None).available is False
    assert real_terms(rows, None, None).to_dict() == {
        "available": False,
        "reason": "no GDP deflator series: totalplace spend deflators import FILE",
    }
    assert real_terms(rows, deflators, "2019-20").to_dict() == {
        "available": False,
        "reason": "the deflator series has no 2019-20",
        "series": "test",
    }


def test_from_the_command_line(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    assert run("partner", "add", "Council", "--kind", "local_authority").exit_code == 0
    spend = tmp_path / "spend.csv"
    spend.write_text(
        HEADER + "\n15/05/2023,Acme Care Ltd,960.00,Care\n15/05/2024,Acme Care Ltd,1000.00,Care\n"
    )
    assert run("import", "spend", str(spend), "--partner", "Council").exit_code == 0
    missing = run("spend", "real-terms", "--json")
    assert missing.exit_code == 1 and "deflators import" in missing.output
    imported = run("spend", "deflators", "import", str(_release(tmp_path)), "--json")
    assert imported.exit_code == 0 and json.loads(imported.stdout)["base"] == "2024-25"
    assert json.loads(imported.stdout)["saved"] == "deflators:gdp version 1"  # kept in the store
    with Place.open(tmp_path / "place") as place:
        assert load_deflators(place) is not None
    found = json.loads(run("spend", "real-terms", "--json").stdout)
    (cells,) = found["rows"].values()
    assert cells == {"2023-24": 100_000, "2024-25": 100_000}
