"""The 360° profile: one chronology of every partner's records, each line with its partner, agreement and
link certainty; analysts see no identifier; the lead sees who with a reason, audited; others are refused;
counts by small area pass disclosure control."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from tests.engines.people_tables import SECRETS, Calls, people_table, records_table, stand_in
from totalplace.engines.people.areas import PEOPLE, area_counts, protect_column
from totalplace.engines.people.profile import Subject, build_profile, certainty
from totalplace.engines.people.profile_access import show_areas, show_profile
from totalplace.errors import (
    PermissionDeniedError,
    PersonNotFoundError,
    ProfileError,
    RevealReasonRequiredError,
    UnknownPurposeError,
)
from totalplace.governance.disclosure import Policy, feasible_ranges
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.users import RoleGrant


def who(role: str, purpose: str, partner: int | None = None) -> Principal:
    return Principal(role, False, (RoleGrant(role, partner, None, purpose),))


LEAD = who("partnership_lead", "planning")
ANALYST = who("analyst", "analysis")
CASE_WORKER = who("case_worker", "direct_care", 1)
FINANCE = who("partner_finance", "finance", 1)


def test_a_person_in_one_chronology_with_partner_agreement_and_certainty() -> None:
    profile = build_profile(records_table(), people_table(), "person", "P0000001", purpose="direct_care")
    assert [line.record_id for line in profile.lines] == ["bbb:7", "aaa:1", "ccc:3"]
    assert [line.when for line in profile.lines] == ["2022-01", "2023-05", "2024-11"]
    first = profile.lines[0]
    assert (first.partner, first.source, first.agreement) == (
        "Northbridge Council",
        "children_social_care",
        "northbridge-early-help",
    )
    assert [line.certainty for line in profile.lines] == ["very likely", "certain", "likely"]
    assert profile.lines[2].match_probability == pytest.approx(0.82)
    assert profile.partners == ("Northbridge Council", "Northbridge NHS", "Northbridge Police")
    assert [(c.partner, c.year, c.records) for c in profile.counts] == [
        ("Northbridge Council", 2022, 1),
        ("Northbridge NHS", 2023, 1),
        ("Northbridge Police", 2024, 1),
    ]
    assert not profile.identified and "identities" not in profile.to_dict()


def test_a_household_brings_its_people_together() -> None:
    profile = build_profile(records_table(), people_table(), "household", "H0000001", purpose="direct_care")
    assert profile.people == ("P0000001", "P0000002")
    # Two events on one day are ordered by partner, then source, then record.
    assert [line.record_id for line in profile.lines][:2] == ["bbb:7", "aaa:2"]
    with pytest.raises(PersonNotFoundError):
        build_profile(records_table(), people_table(), "household", "H9999999", purpose="direct_care")


def test_certainty_in_words() -> None:
    assert [certainty(p) for p in (None, 1.0, 0.99, 0.9, 0.89, 0.5)] == [
        "certain",
        "certain",
        "certain",
        "very likely",
        "likely",
        "likely",
    ]


def test_the_analyst_sees_no_identifier(sqlite_place: Place) -> None:
    subjects: tuple[tuple[Subject, str], ...] = (("person", "P0000001"), ("household", "H0000001"))
    for subject, subject_id in subjects:
        profile = show_profile(
            sqlite_place, ANALYST, subject, subject_id, purpose="planning", tables=stand_in()
        )
        text = json.dumps(profile.to_dict())
        assert "P0000001" in text
        assert not [s for s in SECRETS if s in text]
    counts = show_areas(sqlite_place, ANALYST, purpose="planning", tables=stand_in())
    assert not [s for s in SECRETS if s in json.dumps(counts.to_dict())]


def test_the_lead_reveals_with_a_reason_and_it_is_audited(sqlite_place: Place) -> None:
    calls = Calls()
    with pytest.raises(RevealReasonRequiredError):
        show_profile(sqlite_place, LEAD, "person", "P0000001", purpose="direct_care", reveal=True, reason=" ")
    with pytest.raises(ProfileError):
        show_profile(sqlite_place, LEAD, "person", "P0000001", purpose="planning", reveal=True, reason="x")
    profile = show_profile(
        sqlite_place,
        LEAD,
        "person",
        "P0000001",
        purpose="direct_care",
        reveal=True,
        reason="  team around the family meeting on Tuesday ",
        tables=stand_in(calls),
    )
    assert calls.reasons == ["team around the family meeting on Tuesday"]
    identity = profile.identities[0]
    assert identity.names == ("Kate Lloyd", "Katherine Lloyd", "Katherine Loyd")  # ties in order
    assert identity.nhs_numbers == ("9434765919",)
    assert identity.dates_of_birth == ("1966-05-23",)
    assert profile.lines[0].when == "2022-01-09"
    with sqlite_place.read() as conn:
        last = next(audit.records(conn, limit=1, newest_first=True))
    assert (last.actor, last.action, last.object_type, last.object_id) == (
        "partnership_lead",
        "person.reveal",
        "person",
        "P0000001",
    )
    detail = json.loads(last.detail)
    assert detail["reason"] == "team around the family meeting on Tuesday"
    assert detail["purpose"] == "direct_care" and detail["records"] == 3


def test_every_view_is_audited(sqlite_place: Place) -> None:
    show_profile(sqlite_place, ANALYST, "household", "H0000001", purpose="planning", tables=stand_in())
    with sqlite_place.read() as conn:
        last = next(audit.records(conn, limit=1, newest_first=True))
    assert (last.actor, last.action, last.object_id) == ("analyst", "household.view", "H0000001")
    assert json.loads(last.detail)["purpose"] == "planning"


@pytest.mark.parametrize("principal", [CASE_WORKER, FINANCE], ids=["case-worker", "finance"])
def test_others_are_refused_before_anything_is_read(sqlite_place: Place, principal: Principal) -> None:
    calls = Calls()
    for purpose in ("planning", "direct_care"):
        with pytest.raises(PermissionDeniedError):
            show_profile(
                sqlite_place, principal, "person", "P0000001", purpose=purpose, tables=stand_in(calls)
            )
        with pytest.raises(PermissionDeniedError):
            show_areas(sqlite_place, principal, purpose=purpose, tables=stand_in(calls))
    with pytest.raises(PermissionDeniedError):
        show_profile(
            sqlite_place,
            principal,
            "person",
            "P0000001",
            purpose="direct_care",
            reveal=True,
            reason="because",
        )
    with pytest.raises(PermissionDeniedError):  # the analyst may read pseudonyms, never reveal
        show_profile(
            sqlite_place, ANALYST, "person", "P0000001", purpose="direct_care", reveal=True, reason="x"
        )
    with pytest.raises(PermissionDeniedError):  # nor read what was shared for direct care
        show_profile(sqlite_place, ANALYST, "person", "P0000001", purpose="direct_care", tables=stand_in())
    with pytest.raises(UnknownPurposeError):
        show_profile(sqlite_place, LEAD, "person", "P0000001", purpose="gossip", tables=stand_in())
    assert calls.reasons == []


def _crowd(per_area: dict[str, dict[str, int]]) -> tuple[pa.Table, pa.Table]:
    """Records and people: in each area, ``n`` people with a record of each source."""
    rows: list[tuple[str, str, str, str]] = []
    for area, sources in per_area.items():
        for source, n in sources.items():
            rows += [(f"{area}:{source}:{k}", source, area, f"P{area[-3:]}{k:04d}") for k in range(n)]
    records = pa.table(
        {
            "record_id": [r[0] for r in rows],
            "partner": ["P" for _ in rows],
            "source": [r[1] for r in rows],
            "event_date": pa.array(["2024-01-01" for _ in rows]),
            "area_code": [r[2] for r in rows],
        }
    )
    people = pa.table({"record_id": [r[0] for r in rows], "person_id": [r[3] for r in rows]})
    return records, people


def test_area_counts_below_the_threshold_are_suppressed() -> None:
    records, people = _crowd(
        {
            "E01000001": {"housing": 40, "police": 3},
            "E01000002": {"housing": 12, "police": 25},
            "E01000003": {"housing": 7, "police": 31},
            "E01000004": {"housing": 0, "police": 9},
        }
    )
    counts = area_counts(records, people, purpose="planning", by="source")
    assert counts.columns == ("housing", "police", PEOPLE)
    housing, police = counts.column("housing"), counts.column("police")
    assert "E01000003" not in housing  # 7: suppressed
    assert "E01000001" not in police  # 3: suppressed, and so one more in its column
    assert len(police) == 2 and police["E01000003"] == 30  # the rest rounded to 5
    assert all(v % 5 == 0 for row in counts.rows for v in row.cells if v is not None)
    assert counts.suppressed_primary == 2 and counts.suppressed_secondary == 2
    assert counts.to_dict()["column_totals"][0] == 60


def test_the_suppressed_counts_cannot_be_worked_out() -> None:
    policy = Policy.default()
    rng = np.random.default_rng(3)
    for _ in range(50):
        counts = [int(c) for c in rng.poisson(rng.uniform(1, 30), size=int(rng.integers(2, 12)))]
        hidden, total_shown = protect_column(counts, policy)
        primary = [policy.suppress_from <= c <= policy.suppress_to for c in counts]
        assert all(h for h, p in zip(hidden, primary, strict=True) if p)
        if not any(hidden):
            continue
        table = np.array([counts], dtype=np.int64).T
        ranges = feasible_ranges(
            table,
            np.array([hidden]).T,
            row_totals=np.zeros(len(counts), dtype=bool),
            column_totals=np.array([total_shown]),
            grand_total=total_shown,
        )
        assert all(high - low > 0 for (r, _), (low, high) in ranges.items() if primary[r])
