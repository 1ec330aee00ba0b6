"""Importing partners' extracts of records about people under a sharing agreement (issue 17, items 2-3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.engines.people.records_support import (
    COUNCIL,
    HEADER,
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
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.datasets.records import RecordsResult, identities_dir, import_records
from totalplace.engines.people.records import identities, records_table
from totalplace.errors import (
    AgreementLapsedError,
    FlowNotAgreedError,
    ImportRejectedError,
    InvalidInputError,
    NoAgreementError,
    PeopleReasonRequiredError,
    PermissionDeniedError,
)
from totalplace.governance.roles import Principal, trusted
from totalplace.place import Place
from totalplace.store.users import RoleGrant

LEAD = trusted("lead")


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    p = people_place(tmp_path / "place")
    add_agreement(
        p,
        agreement_yaml(
            "council-care", "direct_care", partner=COUNCIL, source="children_social_care", opt_out=False
        ),
        "council-care",
    )
    add_agreement(
        p,
        agreement_yaml(
            "council-plan",
            "planning",
            partner=COUNCIL,
            source="children_social_care",
            opt_out=False,
            exemption="section_251_support",
        ),
        "council-plan",
    )
    yield p
    p.close()


def _import(
    place: Place, data: bytes, agreement: str = "council-plan", source: str = "children_social_care"
) -> RecordsResult:
    return import_records(
        place,
        LEAD,
        data,
        partner=COUNCIL,
        agreement=agreement,
        source=source,
        today=TODAY,
        source_name="extract.csv",
    )


def test_an_extract_is_pseudonymised_with_its_provenance(place: Place) -> None:
    data = extract(row(nhs_number(943476591)), row(nhs_number(123456780), "Bob", "Smith", local="L2"))
    result = _import(place, data)
    shown = result.to_dict()
    assert shown["status"] == "imported" and shown["records_kept"] == 2
    assert shown["provenance"]["agreement"] == "council-plan" and shown["provenance"]["key_generation"] == 1
    assert shown["opt_out"]["applied"] is False and shown["opt_out"]["exemption"] == "section_251_support"
    table = records_table(place, LEAD, "planning")
    assert table.num_rows == 2 and table.column("birth_year").to_pylist() == [1985, 1985]
    assert all(len(v) == 64 for v in table.column("mk_nhs_number").to_pylist())
    assert table.column("record_id").to_pylist()[0].endswith(":2")
    from totalplace.store import audit

    with place.read() as conn:
        reads = [r for r in audit.records(conn) if r.action == "records.read"]
    assert reads and reads[-1].object_id == "planning" and reads[-1].actor == "lead"
    again = _import(place, data)
    assert again.to_dict()["status"] == "unchanged"


def test_a_flow_with_no_agreement_is_refused(place: Place) -> None:
    with pytest.raises(NoAgreementError):
        _import(place, extract(row(nhs_number(943476591))), agreement="nothing-like-it")
    with pytest.raises(FlowNotAgreedError):
        _import(place, extract(row(nhs_number(943476591))), source="housing")


def test_an_expired_agreement_is_refused(place: Place) -> None:
    add_agreement(
        place,
        agreement_yaml(
            "old",
            "planning",
            partner=COUNCIL,
            source="children_social_care",
            review=dt.date(2026, 1, 1),
            opt_out=False,
            exemption="s251",
        ),
        "old",
    )
    with pytest.raises(AgreementLapsedError):
        _import(place, extract(row(nhs_number(943476591))), agreement="old")


def test_fields_beyond_the_agreement_are_dropped_and_reported(place: Place) -> None:
    add_agreement(
        place,
        agreement_yaml(
            "narrow",
            "planning",
            partner=COUNCIL,
            source="children_social_care",
            fields=("nhs_number", "event_date", "event_type"),
            opt_out=False,
            exemption="s251",
        ),
        "narrow",
    )
    header = HEADER + ",Religion"
    result = _import(place, extract(row(nhs_number(943476591)) + ",none", header=header), agreement="narrow")
    dropped = result.to_dict()["dropped"]
    assert "Religion" in dropped and "given_name" in dropped and "date_of_birth" in dropped
    table = records_table(place, LEAD, "planning")
    assert table.column("mk_given_name").to_pylist() == [None]
    assert table.column("mk_nhs_number").to_pylist()[0] is not None


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        (row("943 476 5918"), "NHS Number", codes.BAD_NHS_NUMBER),
        (row(nhs_number(943476591), postcode="M1 1CE"), "Postcode", codes.BAD_POSTCODE),
        (row(nhs_number(943476591), postcode="XX"), "Postcode", codes.BAD_POSTCODE),
        (row(nhs_number(943476591), dob="31/02/1990"), "DOB", codes.BAD_BIRTH_DATE),
        (row(nhs_number(943476591), dob="01/01/2027"), "DOB", codes.BAD_BIRTH_DATE),
        (row(nhs_number(943476591), dob="01/01/1899"), "DOB", codes.BAD_BIRTH_DATE),
        (row(nhs_number(943476591), event="31/02/2026"), "Event Date", codes.BAD_DATE),
    ],
)
def test_a_malformed_identifier_refuses_the_file_with_a_coded_row_error(
    place: Place, line: str, column: str, code: str
) -> None:
    data = extract(row(nhs_number(123456780)), line)
    with pytest.raises(ImportRejectedError) as refused:
        _import(place, data)
    problem = refused.value.problems[0]
    assert (problem.code, problem.file, problem.row, problem.column) == (code, "extract.csv", 3, column)
    assert problem.value == "" or code == codes.BAD_DATE  # an identifier is never repeated
    with place.read() as conn:
        from totalplace.store.catalog import list_batches

        assert list_batches(conn) == []  # nothing half-written


def test_the_generic_importer_sends_records_to_their_own_import(place: Place) -> None:
    with pytest.raises(InvalidInputError):
        import_file(
            place,
            extract(row(nhs_number(943476591))),
            ImportRequest("person_records", COUNCIL),
            principal=LEAD,
        )


def test_who_may_import_and_read(place: Place) -> None:
    with place.read() as conn:
        from totalplace.store.partners import partner_by_name

        nhs_id = partner_by_name(conn, NHS_PARTNER).id
    finance = Principal("fin", False, (RoleGrant("partner_finance", nhs_id, NHS_PARTNER, "finance"),))
    with pytest.raises(PermissionDeniedError):
        import_records(
            place,
            finance,
            extract(row(nhs_number(943476591))),
            partner=COUNCIL,
            agreement="council-plan",
            source="children_social_care",
            today=TODAY,
        )
    with pytest.raises(PermissionDeniedError):
        records_table(place, finance, "planning")
    analyst = Principal("an", False, (RoleGrant("analyst", None, None, "analysis"),))
    assert records_table(place, analyst, "planning").num_rows == 0
    with pytest.raises(PermissionDeniedError):
        records_table(place, analyst, "direct_care")


def test_direct_care_keeps_identities_apart_readable_with_a_reason(place: Place) -> None:
    number = nhs_number(943476591)
    result = _import(place, extract(row(number)), agreement="council-care")
    assert result.to_dict()["provenance"]["identities_kept"] is True
    record_id = records_table(place, LEAD, "direct_care").column("record_id").to_pylist()[0]
    with pytest.raises(PeopleReasonRequiredError):
        identities(place, LEAD, [record_id], " ")
    analyst = Principal("an", False, (RoleGrant("analyst", None, None, "planning"),))
    with pytest.raises(PermissionDeniedError):
        identities(place, analyst, [record_id], "curious")
    found = identities(place, LEAD, [record_id], "safeguarding referral 42")
    assert found.column("nhs_number").to_pylist() == [number]
    assert found.column("date_of_birth").to_pylist() == [dt.date(1985, 12, 10)]
    assert (identities_dir(place).stat().st_mode & 0o777) == 0o700
    from totalplace.store import audit

    with place.read() as conn:
        reveal = [r for r in audit.records(conn) if r.action == "person.reveal"]
    assert reveal and "safeguarding referral 42" in reveal[-1].detail and reveal[-1].actor == "lead"


def test_no_clear_identifier_in_the_batch_the_result_or_the_logs(
    place: Place, caplog: pytest.LogCaptureFixture
) -> None:
    number = nhs_number(943476591)
    data = extract(row(number, "Zebedee", "Quixotic", postcode="SW1A 1AA", local="LOCALREF77"))
    clear = [
        number,
        "Zebedee",
        "zebedee",
        "Quixotic",
        "quixotic",
        "SW1A 1AA",
        "SW1A",
        "LOCALREF77",
        "1985-12-10",
    ]
    with caplog.at_level(logging.DEBUG):
        result = _import(place, data)
    shown = json.dumps(result.to_dict(), default=str)
    parquet = list(place.batches_dir.glob("person_records-*.parquet"))
    assert len(parquet) == 1
    stored = parquet[0].read_bytes() + json.dumps(pq.read_table(parquet[0]).to_pylist(), default=str).encode()
    from totalplace.store import audit

    with place.read() as conn:
        trail = json.dumps([dataclasses.asdict(r) for r in audit.records(conn)], default=str)
    for value in clear:
        assert value not in shown and value not in caplog.text and value not in trail, value
        assert value.encode() not in stored, value


def test_a_records_batch_is_never_downloaded_as_a_file(place: Place) -> None:
    from totalplace.datasets.access import may_download
    from totalplace.datasets.export import export_batch

    result = _import(place, extract(row(nhs_number(943476591))))
    assert not may_download(LEAD, result.batch)
    with pytest.raises(PermissionDeniedError):
        export_batch(place, result.batch.id, "csv", principal=LEAD)


def test_a_column_mapping_names_the_files_own_headers(place: Place) -> None:
    header = (
        "Patient Ref No,Forename,Surname,Born,Postcode,Person ID,Related Person ID,Relationship,When,What,Sex"
    )
    data = extract(row(nhs_number(943476591)), header=header)
    mapping = {
        "nhs_number": "Patient Ref No",
        "date_of_birth": "Born",
        "event_date": "When",
        "event_type": "What",
    }
    result = import_records(
        place, LEAD, data, partner=COUNCIL, agreement="council-plan", source="children_social_care",
        mapping=mapping, today=TODAY,
    )  # fmt: skip
    assert result.records_kept == 1 and result.provenance.dropped == []
    table = records_table(place, LEAD, "planning")
    assert table.column("birth_year").to_pylist() == [1985] and table.column("mk_nhs_number")[0].as_py()


def test_an_agreement_just_past_its_review_warns(place: Place) -> None:
    body = agreement_yaml(
        "late", "planning", partner=COUNCIL, source="children_social_care", review=TODAY - dt.timedelta(days=10),
        opt_out=False, exemption="s251",
    )  # fmt: skip
    add_agreement(place, body, "late")
    result = _import(place, extract(row(nhs_number(943476591))), agreement="late")
    assert result.warnings and "due for review" in result.to_dict()["warnings"][0]
