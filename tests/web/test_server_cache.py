"""The served place: one analytics connection per worker, reused and rebuilt only for a new catalog; pages
kept until their data changes (an import, a rules file, a pool posting, an outcomes change); many threads
at once get the same right answers."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.datasets.files import csv_bytes
from tests.web.conftest import csrf_of
from tests.web.test_outcome_pages import FRAMEWORK
from tests.web.test_pool_pages import AGREEMENT
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.spendmap import build_spend_map, load_rules
from totalplace.engines.spendmap.rules import save_rules
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.partners import add_partner
from totalplace.web.analytics import ServedPlace

Login = Callable[[str], TestClient]
NHS = (
    "Payment Date,Supplier Name,Amount,Cost Centre,Description\n"
    "02/05/2024,Care Home Ltd,400.00,Older people,Nursing\n"
    "03/05/2024,Leisure Trust,250.00,Sport,Swimming\n"
)
RULES = """
description: the test place's own rules
source: written for this test
vintage: "2025"
licence: OGL v3.0
rules:
  - {id: place.acme, when: {supplier: {contains: "Acme"}}, theme: adult_social_care, cohort: older_people, stage: acute}
"""


def _served(client: TestClient) -> ServedPlace:
    place = client.app.state.place  # type: ignore[attr-defined]
    assert isinstance(place, ServedPlace)
    return place


def _import_nhs(place: Place) -> None:
    import_file(
        place, csv_bytes(NHS), ImportRequest("spend", "NHS"), principal=OPERATOR, source_name="nhs.csv"
    )


def _form(client: TestClient, page: str, action: str, **fields: str) -> int:
    token = csrf_of(client.get(page).text)
    status: int = client.post(
        action, data={**fields, "csrf_token": token}, follow_redirects=False
    ).status_code
    return status


def test_one_backend_reused_across_requests_and_rebuilt_after_an_import(
    web_place: Place, client_for: Login
) -> None:
    client = client_for("analyst")
    shared = _served(client).shared
    assert client.get("/spend/lines.json").json()["count"] == 3  # the drill-down is not cached: it asks
    first = shared.backend
    assert first is not None
    assert client.get("/spend/lines.json?partner=Council").json()["count"] == 3
    with web_place.begin() as conn:  # a change to the store that is not to the catalog
        add_partner(conn, name="Police", kind="police", code=None, actor="t")
    assert client.get("/spend/lines.json?unclassified=1").json()["count"] == 3
    assert shared.backend is first and shared.builds == 1
    _import_nhs(web_place)
    assert client.get("/spend/lines.json").json()["count"] == 5
    assert shared.backend is not first and shared.builds == 2


def test_a_new_import_changes_the_kept_spending_page(web_place: Place, client_for: Login) -> None:
    client = client_for("lead")
    before = client.get("/spend.json").json()
    assert client.get("/spend.json").json() == before  # kept
    _import_nhs(web_place)
    after = client.get("/spend.json").json()
    assert after["total_pence"] == before["total_pence"] + 65000
    assert "NHS" in after["matrix"]["partners"] and "NHS" not in before["matrix"]["partners"]


def test_a_changed_rules_file_changes_the_kept_spending_pages(web_place: Place, client_for: Login) -> None:
    client = client_for("lead")
    assert client.get("/spend.json").json()["coverage"] == 0.0
    assert client.get("/spend/coverage.json").json()["coverage"] == 0.0
    save_rules(web_place, "ours", RULES, OPERATOR, reason="our own rules")  # a new version of the rules
    classified = client.get("/spend.json").json()
    assert classified["coverage"] > 0.9  # Acme's £1,234.50 of £1,359.49 gross
    assert client.get("/spend/coverage.json").json()["coverage"] == classified["coverage"]
    assert "acute" in client.get("/spend").text


def test_a_pool_posting_changes_the_kept_pool_page(web_place: Place, client_for: Login) -> None:
    lead = client_for("lead")
    assert _form(lead, "/pools-new", "/pools-new", agreement=yaml.safe_dump(AGREEMENT)) == 303
    auditor = client_for("auditor")
    before = auditor.get("/pools/bcf.json?year=2025-26").json()
    assert {c["partner"]: c["received"] for c in before["contributions"]} == {"Council": 0, "NHS": 0}
    page = auditor.get("/pools/bcf?year=2025-26").text
    fields = {"key": "c1", "kind": "contribution", "day": "2025-04-01", "amount": "600,000.00"}
    assert _form(lead, "/pools/bcf", "/pools/bcf/post", partner="NHS", **fields) == 303
    after = auditor.get("/pools/bcf.json?year=2025-26").json()
    assert {c["partner"]: c["received"] for c in after["contributions"]}["NHS"] == 60_000_000
    assert auditor.get("/pools/bcf?year=2025-26").text != page


def test_an_outcomes_change_changes_the_kept_outcomes_page(web_place: Place, client_for: Login) -> None:
    lead = client_for("lead")
    assert lead.get("/outcomes.json").json()["framework"] is None
    assert "screening" not in lead.get("/outcomes").text.lower()
    assert _form(lead, "/outcomes/framework", "/outcomes/framework", framework=FRAMEWORK) == 303
    assert lead.get("/outcomes.json").json()["framework"]["name"] == "testshire"
    assert "More people screened" in lead.get("/outcomes").text


def test_kept_pages_carry_their_own_session_and_never_anothers_rights(
    web_place: Place, client_for: Login
) -> None:
    lead = client_for("lead")
    assert _form(lead, "/pools-new", "/pools-new", agreement=yaml.safe_dump(AGREEMENT)) == 303
    auditor, finance, analyst = client_for("auditor"), client_for("finance"), client_for("analyst")
    for _ in range(2):  # computed, then kept
        assert lead.get("/pools/bcf.json").json()["can_manage"] is True
        seen = auditor.get("/pools/bcf.json").json()
        assert (seen["can_manage"], seen["can_post"]) == (False, False)
        assert finance.get("/pools/bcf.json").json()["can_post"] is True  # the Council is in the pool
        assert analyst.get("/pools/bcf.json").status_code == 403
    pages = [c.get("/pools/bcf") for c in (lead, auditor)]
    tokens = [csrf_of(p.text) for p in pages]
    assert tokens[0] != tokens[1]
    assert ">lead<" in pages[0].text and ">auditor<" in pages[1].text
    assert 'name="agreement"' in pages[0].text and 'name="agreement"' not in pages[1].text


def test_threads_reading_the_spending_pages_at_once_get_the_same_right_answers(
    web_place: Place, client_for: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import_nhs(web_place)
    monkeypatch.setenv("TOTALPLACE_WEB_CACHE", "0")
    fresh = client_for("analyst")  # computes every answer afresh, one at a time
    monkeypatch.delenv("TOTALPLACE_WEB_CACHE")
    client = client_for("analyst")
    paths = [
        "/spend.json",
        "/spend.json?level=ward",
        "/spend/coverage.json",
        "/spend/lines.json",
        "/spend/lines.json?partner=NHS",
        "/spend/lines.json?unclassified=1",
    ]
    expected = {p: fresh.get(p).json() for p in paths}
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda p: (p, client.get(p)), paths * 6))
    assert all(a.status_code == 200 for _, a in answers)
    assert all(a.json() == expected[p] for p, a in answers)
    assert _served(client).shared.builds == 1


def test_engines_sharing_one_backend_from_many_threads_do_not_see_each_others_tables(
    web_place: Place, client_for: Login
) -> None:
    _import_nhs(web_place)
    served = _served(client_for("analyst"))
    ruleset = load_rules(web_place)

    def spend_map(case: tuple[str | None, str]) -> dict[str, object]:
        # classified_spend and spend_classes are redefined on the connection by every run
        with served.analytics() as engine:
            return build_spend_map(engine, ruleset, year=case[0], area_level=case[1]).to_dict()

    cases = [(None, "lsoa"), ("2024-25", "lsoa"), (None, "ward"), ("2023-24", "lsoa")] * 4
    with Place.open(web_place.dir) as plain, plain.analytics() as alone:
        expected = {
            c: build_spend_map(alone, ruleset, year=c[0], area_level=c[1]).to_dict() for c in set(cases)
        }
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(spend_map, cases))
    assert found == [expected[c] for c in cases]
    assert served.shared.builds == 1
