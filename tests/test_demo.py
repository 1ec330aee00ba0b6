"""The demo place: realistic size, built the same way every time from its seed."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from totalplace.demo import DEMO_PASSWORD, DEMO_USER, build_demo
from totalplace.errors import PlaceExistsError
from totalplace.governance.roles import OPERATOR
from totalplace.integrity import check_place
from totalplace.place import Place
from totalplace.store.areas import list_areas, summary
from totalplace.store.catalog import list_batches
from totalplace.store.segments import clusters_of, get_segmentation, members_of
from totalplace.store.users import user_by_name


def _content(directory: Path) -> list[object]:
    with Place.open(directory) as place, place.read() as conn:
        batches = [(b.kind, b.sha256, b.row_count, b.totals) for b in reversed(list_batches(conn))]
        areas = [(a.code, a.name, a.parent_code, a.population) for a in list_areas(conn)]
        segments = [(m.area_code, m.code) for m in members_of(conn, get_segmentation(conn, "northbridge").id)]
    return [batches, areas, segments]


def test_demo_is_realistic_and_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    first = build_demo(tmp_path / "a", seed=5, people="none")
    assert 240_000 <= first.residents <= 260_000
    assert first.areas == {"ward": 20, "lsoa": 150, "oa": 750}
    assert first.partners == 6
    build_demo(tmp_path / "b", seed=5, people="none")
    assert _content(tmp_path / "a") == _content(tmp_path / "b")
    with pytest.raises(PlaceExistsError):
        build_demo(tmp_path / "a", seed=5, people="none")
    build_demo(tmp_path / "a", seed=6, force=True, people="none")
    assert _content(tmp_path / "a") != _content(tmp_path / "b")

    with Place.open(tmp_path / "b") as place:
        assert check_place(place).ok
        with place.read() as conn:
            levels = summary(conn)
            assert user_by_name(conn, DEMO_USER).is_admin
            payments = next(
                b for b in list_batches(conn) if b.partner_name == "Northbridge Council" and b.kind == "spend"
            )
        assert {lvl: v["population"] for lvl, v in levels.items()} == dict.fromkeys(
            ("ward", "lsoa", "oa"), first.residents
        )
        assert all(v["with_boundary"] == v["areas"] for v in levels.values())
        amounts = pq.read_table(place.batches_dir / payments.parquet_path).column("amount_pence").to_pylist()
        assert any(a < 0 for a in amounts), "the demo's payments include credits"
    assert len(DEMO_PASSWORD) >= 10


def test_demo_pools_have_history_settled_years_and_an_open_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from tests.engines.pool_support import identity_problems
    from tests.web.conftest import csrf_of
    from totalplace.engines.cba.models import appraise_in_place, find_model, model_names
    from totalplace.engines.estate.access import service_access
    from totalplace.engines.estate.candidates import candidates
    from totalplace.engines.outcomes.funnel import funnel
    from totalplace.engines.outcomes.letters import list_letters
    from totalplace.engines.pool.fund import list_funds, vary_fund
    from totalplace.engines.pool.report import statements
    from totalplace.store import audit, ledger, versions
    from totalplace.web.app import create_app

    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    built = build_demo(tmp_path / "demo", seed=5, people="none")
    assert set(built.pools) == {"better-care-fund", "family-support"}
    with Place.open(tmp_path / "demo") as place:
        with place.read() as conn:
            funds = {f.name: f for f in list_funds(conn)}
            settled = {name: ledger.settled_years(conn, f.id) for name, f in funds.items()}
            assert user_by_name(conn, "nhs-finance") and user_by_name(conn, "auditor")
        assert funds["better-care-fund"].agreement.partners == ["Northbridge Council", "Northbridge NHS"]
        assert len(funds["better-care-fund"].versions) == 2  # the winter-money variation
        family = funds["family-support"].agreement
        assert len(family.partners) == 4 and any(c.in_kind for c in family.contributions)
        assert settled == {name: {"2024-25", "2025-26"} for name in funds}
        for name in funds:
            assert identity_problems(place, name) == []
            assert all(s.reconciles for s in statements(place, name, "2024-25", principal=OPERATOR))
        # Census counts, a classification of every output area, and a public estate of a few hundred sites.
        assert built.census_tables == 17 and 250 <= built.sites <= 400
        with place.read() as conn:
            segments = get_segmentation(conn, "northbridge")
            clusters = clusters_of(conn, segments.id)
        assert segments.levels == [4, 12] and len(segments.variables) == 50
        assert sum(c.size for c in clusters if c.level == 0) == 750
        access = service_access(place, "GP practice")
        assert access.centres == {"population-weighted": 150, "boundary centre": 0}
        assert access.bands[-1].share == 1.0
        found = candidates(place)
        assert found.colocation and found.rationalisation
        # A shared-outcomes framework of 26 indicators over eight years, one out of its band with a letter.
        # rows per indicator and year: 20 wards, the place, its 12 comparators and England
        assert built.outcomes == {
            "indicators": 26,
            "observations": 26 * 8 * 34,
            "comparators": 12,
            "letters": 1,
        }
        with place.read() as conn:
            (letter,) = list_letters(conn)
        assert letter.indicator_id == "D07" and letter.content.side == "above"
        # where it moved: the wards that moved Northbridge's value most, each with its interval
        moved = letter.content.areas or []
        assert len(moved) == 6 and all(a.change is not None and a.change > 0 for a in moved)
        # the letter's indicator across the 20 wards, in a funnel around their average
        spread = funnel(place, "D07")
        assert (spread.area_type, spread.statistic, len(spread.points)) == ("Ward", "proportion", 20)
        assert len(spread.lines) == 100 and spread.period == "2023/24"
        assert built.cohort == "cohorts/family-support.csv" and (place.dir / built.cohort).is_file()
        # Three interventions appraised; the family service's settlement drafted into its pool, checked
        assert built.cba["models"] == 3 and built.cba["draft"] == (
            "settlement_draft:family-support.family-support.shapley"
        )
        with place.read() as conn:  # every model, the library and the draft are versioned and audited
            kept = {(o.kind, o.name): o for o in versions.objects(conn)}
            assert kept[("model", "falls-service")].latest.owner_id is None  # the partnership's
            assert {"unit_costs", "settlement_draft", "framework"} <= {k for k, _ in kept}
            assert audit.verify(conn).ok
        assert model_names(place) == ["domestic-abuse-perpetrators", "falls-service", "family-support"]
        appraisal = appraise_in_place(place, *find_model(place, "family-support")).to_dict()
        assert float(appraisal["totals"]["npv"]) > 0 and appraisal["illustrative"]
        council = next(a for a in appraisal["by_agency"] if a["agency"] == "Northbridge Council")
        assert float(council["npv"]) < 0, "the payer's wrong pocket: the case for the settlement"
        # the web app offers first the pool whose partners include every proposed payer
        with TestClient(create_app(place)) as client:
            token = csrf_of(client.get("/login").text)
            login = {"username": "demo", "password": "northbridge-demo", "csrf_token": token}
            assert client.post("/login", data=login, follow_redirects=False).status_code == 303
            assert client.get("/cba/family-support.json").json()["pools"] == [
                "family-support",
                "better-care-fund",
            ]
            spine = client.get("/outcomes/spine.json").json()
            assert spine["comparator_set"] == "northbridge-neighbours" and len(spine["rows"]) == 26
            assert all(r["comparators"] == 12 for r in spine["rows"])
        with place.read() as conn:
            draft = versions.get(conn, *versions.parse_ref(str(built.cba["draft"])))
        varied = vary_fund(place, "family-support", draft.body, "draft.yaml", principal=OPERATOR)
        assert len(varied.versions) == len(funds["family-support"].versions) + 1
