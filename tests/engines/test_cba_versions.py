"""Models, the unit-cost library, deflators and rules are versioned, and changed only by those the policy lets.

The holes of issue 15 reproduced at the library level: nhs-finance replaced the partnership's appraisal and
imported a unit cost that changed every model using it, and neither reached the audit trail.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from totalplace.engines.cba.models import kept_version, model_names, save_model
from totalplace.engines.cba.unit_costs import UnitCost, load_library, save_library
from totalplace.engines.spendmap.deflators import Deflators, load_deflators, save_deflators
from totalplace.engines.spendmap.rules import save_rules
from totalplace.errors import InvalidInputError, PermissionDeniedError
from totalplace.governance.roles import Principal
from totalplace.history import compare, object_history, restore
from totalplace.place import Place
from totalplace.store import audit, versions
from totalplace.store.partners import add_partner, list_partners
from totalplace.store.users import RoleGrant

CASE = Path(__file__).parent / "cba_cases" / "08_multi_agency_split.yaml"


def _model(success: float = 0.1) -> str:
    document = yaml.safe_load(CASE.read_text(encoding="utf-8"))["model"]
    document["outcomes"][0]["success"] = {"value": success, "low": success / 2, "high": success * 1.5}
    return yaml.safe_dump(document, sort_keys=False)


def _who(name: str, role: str, partner: int | None) -> Principal:
    purpose = "planning" if role == "partnership_lead" else "finance"
    return Principal(name, False, (RoleGrant(role, partner, None, purpose),))


@pytest.fixture
def partners(sqlite_place: Place) -> dict[str, int]:
    with sqlite_place.begin() as conn:
        if "NHS" not in {p.name for p in list_partners(conn)}:
            add_partner(conn, name="NHS", kind="nhs", code=None, actor="t")
        return {p.name: p.id for p in list_partners(conn)}


def _audited(place: Place) -> int:
    with place.read() as conn:
        return audit.head_seq(conn)


def test_nhs_finance_cannot_replace_the_partnerships_model(
    sqlite_place: Place, partners: dict[str, int]
) -> None:
    lead = _who("lead", "partnership_lead", None)
    nhs = _who("nhs-finance", "partner_finance", partners["NHS"])
    save_model(sqlite_place, _model(0.1), "m.yaml", lead, reason="the partnership's case")
    assert kept_version(sqlite_place, "case-08").owner_id is None
    before = _audited(sqlite_place)
    with pytest.raises(PermissionDeniedError):
        save_model(sqlite_place, _model(0.6), "m.yaml", nhs)
    assert kept_version(sqlite_place, "case-08").version == 1 and _audited(sqlite_place) == before
    # A partner's officer keeps a model of its own, which only its partner (or the partnership) changes.
    own = yaml.safe_load(_model(0.2)) | {"name": "nhs-own"}
    save_model(sqlite_place, yaml.safe_dump(own), "o.yaml", nhs)
    assert kept_version(sqlite_place, "nhs-own").owner_id == partners["NHS"]
    with pytest.raises(PermissionDeniedError):
        save_model(
            sqlite_place, yaml.safe_dump(own), "o.yaml", _who("cf", "partner_finance", partners["Council"])
        )
    save_model(sqlite_place, yaml.safe_dump(own | {"title": "Ours"}), "o.yaml", nhs, reason="retitled")
    assert kept_version(sqlite_place, "nhs-own").version == 2
    assert model_names(sqlite_place) == ["case-08", "nhs-own"]


def test_nhs_finance_cannot_change_the_place_library_deflators_or_rules(
    sqlite_place: Place, partners: dict[str, int]
) -> None:
    nhs = _who("nhs-finance", "partner_finance", partners["NHS"])
    lead = _who("lead", "partnership_lead", None)
    cost = UnitCost(
        "HO-DA-01",
        "Incident",
        "incident",
        {"Police": Decimal("8.01")},
        Decimal(0),
        Decimal(0),
        "2024-25",
        3,
        "t",
    )
    deflators = Deflators({"2024-25": Decimal(100), "2025-26": Decimal(102)}, "HM Treasury, test", "t")
    before = _audited(sqlite_place)
    with pytest.raises(PermissionDeniedError):
        save_library(sqlite_place, [cost], "ucd.csv", nhs)
    with pytest.raises(PermissionDeniedError):
        save_deflators(sqlite_place, deflators, nhs)
    with pytest.raises(PermissionDeniedError):
        save_rules(sqlite_place, "ours", "rules: []\n", nhs)
    assert _audited(sqlite_place) == before
    assert load_library(sqlite_place).get("HO-DA-01").origin == "packaged"  # type: ignore[union-attr]
    kept = save_library(sqlite_place, [cost], "ucd.csv", lead, reason="our own figure")
    assert (kept.ref, kept.version, kept.created_by) == ("unit_costs:library", 1, "lead")
    assert load_library(sqlite_place).get("HO-DA-01").fiscal == {"Police": Decimal("8.01")}  # type: ignore[union-attr]
    save_deflators(sqlite_place, deflators, lead)
    assert load_deflators(sqlite_place) is not None
    with sqlite_place.read() as conn:
        assert {o.kind for o in versions.objects(conn)} == {"unit_costs", "deflators"}
        assert audit.verify(conn).ok


def test_a_model_version_is_shown_compared_and_restored(
    sqlite_place: Place, partners: dict[str, int]
) -> None:
    lead = _who("lead", "partnership_lead", None)
    nhs = _who("nhs-finance", "partner_finance", partners["NHS"])
    auditor = Principal("aud", False, (RoleGrant("auditor", None, None, "audit"),))
    save_model(sqlite_place, _model(0.1), "m.yaml", lead, reason="first")
    save_model(sqlite_place, _model(0.3), "m.yaml", lead, reason="better evidence")
    found = compare(sqlite_place, auditor, "model", "case-08", 1, 2)
    assert "value: 0.1" in found.diff and "value: 0.3" in found.diff
    with pytest.raises(InvalidInputError):
        restore(sqlite_place, lead, "model", "case-08", 1, "  ")
    with pytest.raises(PermissionDeniedError):
        restore(sqlite_place, nhs, "model", "case-08", 1, "I prefer it")
    with pytest.raises(PermissionDeniedError):
        object_history(sqlite_place, nhs, "model", "case-08")  # neither reads the audit nor may change it
    back = restore(sqlite_place, lead, "model", "case-08", 1, "the evidence was withdrawn")
    assert (back.version, back.restored_from, back.body) == (3, 1, _model(0.1))
    history = object_history(sqlite_place, auditor, "model", "case-08")
    assert [s.version.reason for s in history.steps][-1] == "the evidence was withdrawn (restores version 1)"
    assert [r.action for r in history.records] == ["version.add", "version.add", "version.restore"]
    assert not history.can_restore and object_history(sqlite_place, lead, "model", "case-08").can_restore
