"""The national data opt-out: its list kept as pseudonyms with a date and expiry, applied at import to NHS
flows for purposes beyond direct care (issue 17, item 4)."""

from __future__ import annotations

import datetime as dt
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
from totalplace.datasets import problems as codes
from totalplace.datasets.records import import_records
from totalplace.engines.people.optout import import_optout, optout_status, validity_days
from totalplace.engines.people.records import records_table
from totalplace.errors import ImportRejectedError, OptOutListMissingError, PermissionDeniedError
from totalplace.governance.pseudonyms import rotate
from totalplace.governance.roles import Principal, trusted
from totalplace.place import Place
from totalplace.store.users import RoleGrant

LEAD = trusted("lead")
USED, OPTED_OUT = nhs_number(943476591), nhs_number(123456780)


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    p = people_place(tmp_path / "place")
    add_agreement(p, agreement_yaml("nhs-plan", "planning"), "nhs-plan")
    add_agreement(p, agreement_yaml("nhs-care", "direct_care", opt_out=False), "nhs-care")
    yield p
    p.close()


def _response(*numbers: str) -> bytes:
    return "".join(f"{n},\r\n" for n in numbers).encode()


def _import(place: Place, agreement: str, data: bytes, today: dt.date = TODAY) -> dict[str, object]:
    result = import_records(
        place, LEAD, data, partner=NHS_PARTNER, agreement=agreement, source="nhs_urgent_contacts", today=today
    )
    return result.to_dict()


EXTRACT = extract(row(USED), row(OPTED_OUT, "Bob", local="L2"), row("", "Cy", local="L3"))


def test_an_opted_out_number_never_reaches_planning_but_direct_care_keeps_it(place: Place) -> None:
    status = import_optout(place, LEAD, _response(USED), list_date=TODAY - dt.timedelta(days=2), today=TODAY)
    assert status.entries == 1 and status.current
    shown = _import(place, "nhs-plan", EXTRACT)
    assert shown["records_read"] == 3 and shown["records_kept"] == 1
    opt = shown["opt_out"]
    assert isinstance(opt, dict)
    assert (opt["applied"], opt["excluded_not_on_list"], opt["excluded_without_nhs_number"]) == (True, 1, 1)
    planning = records_table(place, LEAD, "planning")
    assert planning.num_rows == 1
    care = _import(place, "nhs-care", EXTRACT + b"\n")  # other bytes, so not the same batch
    assert care["records_kept"] == 3 and isinstance(care["opt_out"], dict) and not care["opt_out"]["applied"]
    assert records_table(place, LEAD, "direct_care").num_rows == 3
    with place.read() as conn:
        from totalplace.store.schema import optout_entries

        stored = [r.pseudonym for r in conn.execute(optout_entries.select())]
    assert stored and USED not in stored and all(len(p) == 64 for p in stored)


def test_no_current_list_refuses_an_nhs_flow(place: Place) -> None:
    with pytest.raises(OptOutListMissingError):
        _import(place, "nhs-plan", EXTRACT)
    import_optout(place, LEAD, _response(USED), list_date=dt.date(2026, 10, 1), today=TODAY)
    with pytest.raises(OptOutListMissingError) as expired:
        _import(place, "nhs-plan", EXTRACT)
    assert "expired" in expired.value.message
    import_optout(place, LEAD, _response(USED), list_date=TODAY, today=TODAY)
    rotate(place, LEAD, "optout", reason="test")
    with pytest.raises(OptOutListMissingError) as rotated:
        _import(place, "nhs-plan", EXTRACT)
    assert "rotated" in rotated.value.message


def test_the_list_keeps_its_date_and_expiry(place: Place) -> None:
    assert not optout_status(place, LEAD, TODAY).held
    import_optout(place, LEAD, _response(USED, OPTED_OUT), list_date=TODAY, today=TODAY)
    status = optout_status(place, LEAD, TODAY)
    assert status.list_date == TODAY.isoformat() and status.entries == 2
    assert status.expires == (TODAY + dt.timedelta(days=validity_days())).isoformat()
    import_optout(
        place, LEAD, _response(USED), list_date=TODAY, expires=TODAY + dt.timedelta(days=7), today=TODAY
    )
    assert optout_status(place, LEAD, TODAY).days_left == 7
    assert USED not in str(optout_status(place, LEAD, TODAY).to_dict())


def test_a_bad_response_file_is_refused_by_line(place: Place) -> None:
    with pytest.raises(ImportRejectedError) as refused:
        import_optout(
            place, LEAD, _response(USED) + b"9434765918,\n" + b"hello\n", list_date=TODAY, today=TODAY
        )
    problems = [(p.code, p.row, p.value) for p in refused.value.problems]
    assert problems == [(codes.BAD_NHS_NUMBER, 2, ""), (codes.BAD_OPT_OUT_LINE, 3, "")]


def test_only_the_lead_or_dpo_manage_the_list(place: Place) -> None:
    analyst = Principal("an", False, (RoleGrant("analyst", None, None, "analysis"),))
    with pytest.raises(PermissionDeniedError):
        import_optout(place, analyst, _response(USED), list_date=TODAY, today=TODAY)
    dpo = Principal("dpo", False, (RoleGrant("data_protection_officer", None, None, "governance"),))
    assert import_optout(place, dpo, _response(USED), list_date=TODAY, today=TODAY).held
