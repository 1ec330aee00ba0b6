"""The indicator page and its JSON twin say how the intervals were calculated: the method the framework
names for the indicator, as Fingertips' metadata names it, or the profiles' default for its value type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.outcomes.framework import save_framework
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

FRAMEWORK = """
name: protection
title: Health protection
outcomes:
  - name: infections
    title: Fewer infections
    indicators:
      - {id: "7", title: Infections, polarity: low_is_good, value_type: crude_rate, multiplier: 100000,
         ci_method: "Byar's method (no small number correction)"}
"""


def test_the_page_and_its_twin_name_the_interval_method(
    web_place: Place, client_for: Callable[[str], TestClient], tmp_path: Path
) -> None:
    rows = [
        "Indicator ID,Area Code,Area Name,Sex,Age,Time period,Count,Denominator,Value",
        "7,E06000001,Testshire,Persons,All ages,2017,4,90000,",
        "7,E92000001,England,Persons,All ages,2017,52000,55000000,",
    ]
    (tmp_path / "obs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_file(web_place, tmp_path / "obs.csv", ImportRequest("observations", None), principal=OPERATOR)
    client = client_for("auditor")
    before = client.get("/outcomes/indicators/7.json").json()
    assert before["interval_method"]["name"] == "Byar's method" and before["interval_method"]["default"]
    assert before["rows"][0]["method"] == "Exact"  # 4 events: the guide's exact limits
    assert "The profiles' method for a crude rate" in client.get("/outcomes/indicators/7").text
    with web_place.begin() as conn:
        save_framework(conn, FRAMEWORK, principal=OPERATOR)
    after = client.get("/outcomes/indicators/7.json").json()
    method = after["interval_method"]
    assert method["name"] == "Byar's method (no small number correction)" and not method["default"]
    assert after["rows"][0]["method"] == "Byars" and after["rows"][0]["ci_method"] == method["name"]
    page = client.get("/outcomes/indicators/7").text
    assert 'id="interval-method"' in page and "Named in the framework for this indicator" in page
    assert "Byar&#39;s method (no small number correction)" in page
