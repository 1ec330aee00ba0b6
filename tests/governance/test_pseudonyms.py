"""Keyed pseudonyms: one key per purpose, kept outside the store, rotation recorded (issue 17, item 3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engines.people.records_support import (
    NHS_PARTNER,
    TODAY,
    add_agreement,
    agreement_yaml,
    extract,
    nhs_number,
    people_place,
    row,
)
from totalplace.datasets.records import import_records
from totalplace.engines.people.records import records_table
from totalplace.errors import PermissionDeniedError, PseudonymKeyChangedError, PseudonymPurposeError
from totalplace.governance.keys import key_path
from totalplace.governance.pseudonyms import fingerprint, generations, pseudonym, purpose_key, rotate
from totalplace.governance.roles import Principal, trusted
from totalplace.place import Place
from totalplace.store.users import RoleGrant

LEAD = trusted("lead")


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    p = people_place(tmp_path / "place")
    yield p
    p.close()


def test_the_pseudonym_is_hmac_sha256_of_the_key_name_and_value() -> None:
    import hashlib
    import hmac

    key = bytes(range(32))
    expected = hmac.new(key, b"nhs_number:9434765919", hashlib.sha256).hexdigest()
    assert pseudonym(key, "nhs_number", "9434765919") == expected
    assert fingerprint(key) == hmac.new(key, b"fingerprint", hashlib.sha256).hexdigest()[:16]


def test_the_same_nhs_number_under_two_purposes_gives_different_pseudonyms(place: Place) -> None:
    for name, purpose in (("care", "direct_care"), ("plan", "planning")):
        add_agreement(place, agreement_yaml(name, purpose, opt_out=False, exemption="s251"), name)
    number = nhs_number(943476591)
    for day, name in enumerate(("care", "plan"), start=1):
        data = extract(row(number, event=f"0{day}/11/2026"))
        import_records(
            place, LEAD, data, partner=NHS_PARTNER, agreement=name, source="nhs_urgent_contacts", today=TODAY
        )
    care = records_table(place, LEAD, "direct_care").column("mk_nhs_number").to_pylist()
    plan = records_table(place, LEAD, "planning").column("mk_nhs_number").to_pylist()
    assert care[0] and plan[0] and care[0] != plan[0]
    assert purpose_key(place, "planning", actor="t").of("nhs_number", number) == plan[0]


def test_keys_live_outside_the_store_and_a_changed_key_is_refused(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = purpose_key(place, "planning", actor="t")
    path = key_path(place.dir, "pseudonym-planning")
    assert first.generation == 1 and path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert path.read_text().strip() == first.key.hex()
    monkeypatch.setenv("TOTALPLACE_PSEUDONYM_KEY_PLANNING", "ab" * 32)
    with pytest.raises(PseudonymKeyChangedError):
        purpose_key(place, "planning", actor="t")
    rotated = rotate(place, LEAD, "planning", reason="moved the key to the vault")
    assert rotated.generation == 2 and purpose_key(place, "planning", actor="t").key == bytes.fromhex(
        "ab" * 32
    )
    with pytest.raises(PseudonymPurposeError):
        purpose_key(place, "marketing", actor="t")


def test_rotation_is_recorded_and_batches_keep_their_generation(place: Place) -> None:
    add_agreement(place, agreement_yaml("plan", "planning", opt_out=False, exemption="s251"), "plan")
    import_records(
        place,
        LEAD,
        extract(row(nhs_number(943476591))),
        partner=NHS_PARTNER,
        agreement="plan",
        source="nhs_urgent_contacts",
        today=TODAY,
    )
    before = purpose_key(place, "planning", actor="t")
    rotated = rotate(place, LEAD, "planning", reason="annual rotation")
    assert rotated.previous == 1 and "import the partners' extracts again" in rotated.message
    after = purpose_key(place, "planning", actor="t")
    assert after.generation == 2 and after.key != before.key
    table = records_table(place, LEAD, "planning")
    assert table.num_rows == 0 and b"batches_of_earlier_keys" in (table.schema.metadata or {})
    result = import_records(
        place,
        LEAD,
        extract(row(nhs_number(943476591))) + b"\n",
        partner=NHS_PARTNER,
        agreement="plan",
        source="nhs_urgent_contacts",
        today=TODAY,
    )
    assert result.provenance.key_generation == 2
    assert records_table(place, LEAD, "planning").num_rows == 1
    listed = generations(place, LEAD)
    assert [(g.purpose, g.generation) for g in listed] == [("planning", 1), ("planning", 2)]
    analyst = Principal("an", False, (RoleGrant("analyst", None, None, "analysis"),))
    with pytest.raises(PermissionDeniedError):
        rotate(place, analyst, "planning", reason="x")
