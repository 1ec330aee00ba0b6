"""Information-sharing agreements kept as versioned, audited records: added, varied, restored, and refused
with every problem located, only by those the policy lets change an agreement between its parties."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from totalplace.demo import PARTNERS
from totalplace.demo.sharing import DIRECT_CARE, EVALUATION, PLANNING, agreement_text
from totalplace.engines.people.agreement import load_agreement
from totalplace.engines.people.sharing import (
    add_agreement,
    agreement_status,
    get_agreement,
    legal_bases,
    list_agreements,
    vary_agreement,
)
from totalplace.errors import (
    LegalBasisUnknownError,
    PermissionDeniedError,
    RequestInvalidError,
    SharingAgreementExistsError,
    SharingAgreementInvalidError,
    SharingAgreementNotFoundError,
    SharingAgreementUnchangedError,
    SharingNameMismatchError,
    SharingPartyUnknownError,
)
from totalplace.governance.roles import Principal
from totalplace.history import object_history, restore
from totalplace.place import Place
from totalplace.store import audit, versions
from totalplace.store.partners import add_partner, list_partners
from totalplace.store.users import RoleGrant

TODAY = dt.date(2026, 12, 5)
LEAD = Principal("lead", False, (RoleGrant("partnership_lead", None, None, "planning"),))


def _who(name: str, role: str, partner: int | None, purpose: str) -> Principal:
    return Principal(name, False, (RoleGrant(role, partner, None, purpose),))


@pytest.fixture
def partners(sqlite_place: Place) -> dict[str, int]:
    """The demo's six partners in a fresh place."""
    with sqlite_place.begin() as conn:
        for name, kind in PARTNERS:
            add_partner(conn, name=name, kind=kind, code=None, actor="t")
        return {p.name: p.id for p in list_partners(conn)}


def _text(which: str = EVALUATION, **changes: object) -> str:
    document = yaml.safe_load(agreement_text(which, TODAY))
    document.update(changes)
    return yaml.safe_dump(document, sort_keys=False)


def test_add_list_and_show_an_agreement(sqlite_place: Place, partners: dict[str, int]) -> None:
    kept = add_agreement(sqlite_place, LEAD, agreement_text(EVALUATION, TODAY), "e.yaml", "agreed")
    assert kept.version.version == 1 and kept.version.created_by == "lead" and kept.version.reason == "agreed"
    (summary,) = list_agreements(sqlite_place, LEAD, TODAY)
    assert summary.name == EVALUATION and summary.purpose == "evaluation"
    assert summary.parties == ("Northbridge Council", "Northbridge NHS", "Northbridge Police")
    assert summary.status == "review_due" and summary.opt_out_applies and summary.version == 1
    detail = get_agreement(sqlite_place, LEAD, EVALUATION, today=TODAY)
    keys = [t.key for t in detail.legal]
    assert keys[:3] == ["digital_economy_act_2017_s35", "children_act_2004_s10", "nhs_act_2006_s251"]
    assert all(t.url.startswith("https://www.legislation.gov.uk/") for t in detail.legal)
    data = detail.to_dict()
    assert data["agreement"]["dpia"]["outcome"] == "approved_with_conditions"
    assert data["legal_texts"][-1]["key"] == "sch1_para4" and data["versions"] == 1
    with pytest.raises(SharingAgreementNotFoundError) as missing:
        get_agreement(sqlite_place, LEAD, "no-such")
    assert EVALUATION in str(missing.value.hint)


def test_vary_keeps_versions_and_audit_records_and_restore_brings_one_back(
    sqlite_place: Place, partners: dict[str, int]
) -> None:
    add_agreement(sqlite_place, LEAD, _text(), "e.yaml", "agreed")
    varied = vary_agreement(
        sqlite_place, LEAD, EVALUATION, _text(review_date="2027-06-30"), "v.yaml", "reviewed"
    )
    assert varied.version.version == 2 and varied.summary.review_date == dt.date(2027, 6, 30)
    with sqlite_place.read() as conn:
        history = versions.history(conn, "sharing", EVALUATION)
        records = versions.audit_records(conn, "sharing", EVALUATION)
    assert [v.reason for v in history] == ["agreed", "reviewed"]
    assert [r.action for r in records] == ["version.add", "version.add"] and records[1].actor == "lead"
    assert get_agreement(sqlite_place, LEAD, EVALUATION, 1).version.version == 1
    with pytest.raises(SharingAgreementUnchangedError):
        vary_agreement(sqlite_place, LEAD, EVALUATION, _text(review_date="2027-06-30"), "v.yaml", "again")
    with pytest.raises(SharingAgreementExistsError):
        add_agreement(sqlite_place, LEAD, _text(), "e.yaml", "twice")
    restored = restore(sqlite_place, LEAD, "sharing", EVALUATION, 1, "the review was premature")
    assert restored.version == 3 and restored.restored_from == 1 and restored.body == history[0].body
    shown = object_history(sqlite_place, LEAD, "sharing", EVALUATION)
    assert [s.version.version for s in shown.steps] == [1, 2, 3] and shown.can_restore


def test_refused_unknown_party_and_legal_key_each_with_its_line(
    sqlite_place: Place, partners: dict[str, int]
) -> None:
    text = _text().replace("Northbridge Police", "Northbridge Probation")
    with pytest.raises(SharingPartyUnknownError) as party:
        add_agreement(sqlite_place, LEAD, text, "e.yaml", "agreed")
    problem, flow = party.value.problems  # the party, and its flow
    assert flow.column == "flows.3.partner"
    assert problem.column == "parties.2.partner" and problem.value == "Northbridge Probation"
    assert problem.row == text.splitlines().index("- partner: Northbridge Probation") + 1
    assert "Northbridge Council" in problem.message  # the known partners are listed
    text = _text().replace("- nhs_act_2006_s251", "- data_act_2099_s1")
    with pytest.raises(LegalBasisUnknownError) as legal:
        add_agreement(sqlite_place, LEAD, text, "e.yaml", "agreed")
    (problem,) = legal.value.problems
    assert problem.column == "legal.powers.2" and problem.value == "data_act_2099_s1"
    assert problem.row == next(i for i, line in enumerate(text.splitlines(), 1) if "data_act_2099_s1" in line)
    assert "children_act_2004_s11" in problem.message
    # A key of another part is named as such; an Article 9 condition needs its Schedule 1 condition.
    with pytest.raises(LegalBasisUnknownError) as wrong:
        add_agreement(
            sqlite_place, LEAD, _text().replace("article6: public_task", "article6: art9_2_h"), "e", "x"
        )
    assert "is a UK GDPR Article 9 condition" in wrong.value.problems[0].message
    with pytest.raises(LegalBasisUnknownError) as schedule:
        add_agreement(sqlite_place, LEAD, _text().replace("sch1_para4", "sch1_para18"), "e", "x")
    assert "sch1_para4" in schedule.value.problems[0].message
    with pytest.raises(SharingAgreementInvalidError):
        add_agreement(sqlite_place, LEAD, _text(purpose="gossip"), "e.yaml", "agreed")
    with pytest.raises(RequestInvalidError):
        add_agreement(sqlite_place, LEAD, _text(), "e.yaml", " ")
    with sqlite_place.read() as conn:
        assert versions.currents(conn, "sharing") == []


def test_a_variation_must_keep_the_name(sqlite_place: Place, partners: dict[str, int]) -> None:
    add_agreement(sqlite_place, LEAD, _text(), "e.yaml", "agreed")
    with pytest.raises(SharingNameMismatchError) as renamed:
        vary_agreement(sqlite_place, LEAD, EVALUATION, _text(name="another-one"), "v.yaml", "renamed")
    assert renamed.value.problems[0].column == "name" and renamed.value.problems[0].row == 1
    with pytest.raises(SharingAgreementNotFoundError):
        vary_agreement(sqlite_place, LEAD, "no-such", _text(), "v.yaml", "x")


def test_a_dpo_changes_only_agreements_their_partner_is_party_to(
    sqlite_place: Place, partners: dict[str, int]
) -> None:
    nhs_dpo = _who("dpo", "data_protection_officer", partners["Northbridge NHS"], "governance")
    fire_dpo = _who(
        "fire-dpo", "data_protection_officer", partners["Northbridge Fire and Rescue"], "governance"
    )
    add_agreement(sqlite_place, nhs_dpo, _text(), "e.yaml", "agreed")  # the NHS is a party
    before = _head(sqlite_place)
    with pytest.raises(PermissionDeniedError):  # Fire and Rescue is not party to the evaluation
        vary_agreement(sqlite_place, fire_dpo, EVALUATION, _text(review_date="2027-01-31"), "v", "x")
    with pytest.raises(PermissionDeniedError):  # nor may it restore a version of it
        restore(sqlite_place, fire_dpo, "sharing", EVALUATION, 1, "x")
    # Taking Fire and Rescue in needs both the parties in force and the new ones: the NHS's DPO reaches the
    # agreement as it stands and as it would be (the NHS stays a party), so it may; Fire's may not.
    parties = [
        *yaml.safe_load(_text())["parties"],
        {"partner": "Northbridge Fire and Rescue", "role": "controller"},
    ]
    with pytest.raises(PermissionDeniedError):
        vary_agreement(sqlite_place, fire_dpo, EVALUATION, _text(parties=parties), "v", "join")
    assert _head(sqlite_place) == before
    vary_agreement(sqlite_place, nhs_dpo, EVALUATION, _text(parties=parties), "v", "fire joins")
    # Once the NHS is taken out, its DPO may no longer vary the agreement.
    without = [p for p in parties if p["partner"] != "Northbridge NHS"]
    flows = [f for f in yaml.safe_load(_text())["flows"] if f["partner"] != "Northbridge NHS"]
    with pytest.raises(PermissionDeniedError):  # the new parties leave the NHS out: refused
        vary_agreement(sqlite_place, nhs_dpo, EVALUATION, _text(parties=without, flows=flows), "v", "out")


def test_finance_and_analysts_read_but_do_not_change(sqlite_place: Place, partners: dict[str, int]) -> None:
    finance = _who("nhs-finance", "partner_finance", partners["Northbridge NHS"], "finance")
    analyst = _who("analyst", "analyst", None, "analysis")
    for who in (finance, analyst):
        with pytest.raises(PermissionDeniedError):
            add_agreement(sqlite_place, who, _text(), "e.yaml", "agreed")
    add_agreement(sqlite_place, LEAD, _text(), "e.yaml", "agreed")
    with pytest.raises(PermissionDeniedError):
        vary_agreement(sqlite_place, finance, EVALUATION, _text(review_date="2027-01-31"), "v", "x")
    assert [s.name for s in list_agreements(sqlite_place, finance, TODAY)] == [EVALUATION]
    nobody = Principal("nobody", False, ())
    with pytest.raises(PermissionDeniedError):
        list_agreements(sqlite_place, nobody)


def test_statuses() -> None:
    agreement = load_agreement(_text(review_date="2027-01-31"), "e.yaml")
    assert agreement_status(agreement, dt.date(2026, 12, 1))[0] == "current"
    assert agreement_status(agreement, dt.date(2027, 1, 10))[0] == "review_due"
    due, why = agreement_status(agreement, dt.date(2027, 2, 10))
    assert due == "review_due" and "flows stop on 2 March 2027" in why
    assert agreement_status(agreement, dt.date(2027, 3, 10))[0] == "lapsed"
    pending = load_agreement(_text(dpia={"reference": "X-1", "outcome": "pending"}), "e.yaml")
    assert agreement_status(pending, dt.date(2026, 12, 1)) == (
        "dpia_not_approved",
        "its DPIA (X-1) is pending",
    )


def test_the_demo_agreements_load_and_cite_known_legal_bases(
    sqlite_place: Place, partners: dict[str, int]
) -> None:
    from totalplace.demo.sharing import add_sharing

    assert add_sharing(sqlite_place, TODAY) == [DIRECT_CARE, PLANNING, EVALUATION]
    found = {s.name: s for s in list_agreements(sqlite_place, LEAD, TODAY)}
    assert found[DIRECT_CARE].status == "current" and not found[DIRECT_CARE].opt_out_applies
    assert found[PLANNING].opt_out_applies and found[EVALUATION].status == "review_due"
    assert len(found[DIRECT_CARE].parties) == 6
    planning = get_agreement(sqlite_place, LEAD, PLANNING).agreement
    assert all("event_detail" not in f.fields for f in planning.flows)
    assert {"powers", "article6", "article9", "schedule1"} == set(legal_bases())


def _head(place: Place) -> int:
    with place.read() as conn:
        return audit.head_seq(conn)


def test_the_example_in_the_docs_is_a_valid_agreement() -> None:
    from pathlib import Path

    from totalplace.engines.people.sharing import legal_problems

    doc = (Path(__file__).parents[3] / "docs" / "people.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    agreement = load_agreement(example, "people.md")
    assert agreement.name == EVALUATION and not legal_problems(agreement, None, "people.md")
