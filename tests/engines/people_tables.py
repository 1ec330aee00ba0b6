"""Small tables in the shapes of the records, people and identities contracts (issue 17, §2 and §4), for
tests of what reads them, and a stand-in for the steps that make them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pyarrow as pa

from totalplace.engines.people.matchkeys import KEYS
from totalplace.engines.people.profile_access import PeopleTables
from totalplace.governance.roles import Principal
from totalplace.place import Place

# (record id, partner, source, agreement, date, event type, detail, area, person, household, probability)
RECORDS = (
    ("aaa:1", "Northbridge NHS", "nhs_urgent_contacts", "northbridge-early-help",
     dt.date(2023, 5, 2), "emergency_department", "fall", "E01999001", "P0000001", "H0000001", 1.0),
    ("bbb:7", "Northbridge Council", "children_social_care", "northbridge-early-help",
     dt.date(2022, 1, 9), "referral", "neglect", "E01999001", "P0000001", "H0000001", 0.97),
    ("ccc:3", "Northbridge Police", "domestic_abuse", "northbridge-early-help",
     dt.date(2024, 11, 30), "high_risk", None, "E01999002", "P0000001", "H0000001", 0.82),
    ("aaa:2", "Northbridge NHS", "nhs_urgent_contacts", "northbridge-early-help",
     dt.date(2022, 1, 9), "ambulance_conveyance", None, "E01999001", "P0000002", "H0000001", 0.995),
    ("ddd:4", "Northbridge Jobcentre Plus", "dwp_benefits", "northbridge-early-help",
     dt.date(2021, 7, 1), "universal_credit", "in payment", "E01999003", "P0000003", "H0000002", 1.0),
)  # fmt: skip
IDENTITIES = {
    "aaa:1": ("9434765919", "Katherine", "Lloyd", dt.date(1966, 5, 23), "NB20 1SE", "45 Well Lane"),
    "bbb:7": (None, "Kate", "Lloyd", dt.date(1966, 5, 23), "NB20 1SE", "45 Well Lane"),
    "ccc:3": (None, "Katherine", "Loyd", dt.date(1966, 5, 23), "NB20 1SE", "45 Well Lane"),
    "aaa:2": ("9990000023", "Oliver", "Lloyd", dt.date(1967, 7, 14), "NB20 1SE", "45 Well Lane"),
    "ddd:4": (None, "Amelia", "Jones", dt.date(1991, 4, 7), "NB8 9ZX", "187 Market Way"),
}
#: Every identifier above, which no pseudonymised view may contain.
SECRETS = ("Katherine", "Kate", "Lloyd", "Loyd", "Oliver", "Amelia", "9434765919", "9990000023", "Well Lane",
           "NB20 1SE", "1966-05-23")  # fmt: skip


def records_table(purpose: str = "direct_care") -> pa.Table:
    """The records, with every contract column (the match keys as made-up pseudonyms)."""
    columns: dict[str, pa.Array | list[str]] = {
        "record_id": [r[0] for r in RECORDS],
        "partner": [r[1] for r in RECORDS],
        "source": [r[2] for r in RECORDS],
        "agreement": [r[3] for r in RECORDS],
        "purpose": [purpose for _ in RECORDS],
        "event_date": pa.array([r[4] for r in RECORDS], pa.date32()),
        "event_type": [r[5] for r in RECORDS],
        "event_detail": pa.array([r[6] for r in RECORDS], pa.string()),
        "sex": pa.array([None for _ in RECORDS], pa.string()),
        "birth_year": pa.array([None for _ in RECORDS], pa.int64()),
        "area_code": [r[7] for r in RECORDS],
        "relationship": pa.array([None for _ in RECORDS], pa.string()),
        "mk_related": pa.array([None for _ in RECORDS], pa.string()),
    }
    for n, key in enumerate(KEYS):
        columns[f"mk_{key}"] = [f"{n:02d}{r[8]}".encode().hex() for r in RECORDS]
    return pa.table(columns)


def people_table() -> pa.Table:
    """Each record's person, household and match probability."""
    return pa.table(
        {
            "record_id": [r[0] for r in RECORDS],
            "person_id": [r[8] for r in RECORDS],
            "household_id": [r[9] for r in RECORDS],
            "match_probability": [r[10] for r in RECORDS],
        }
    )


def identities_table(record_ids: list[str]) -> pa.Table:
    """The clear identifiers of the records asked for."""
    wanted = [k for k in record_ids if k in IDENTITIES]
    return pa.table(
        {
            "record_id": wanted,
            "nhs_number": pa.array([IDENTITIES[k][0] for k in wanted], pa.string()),
            "given_name": [IDENTITIES[k][1] for k in wanted],
            "family_name": [IDENTITIES[k][2] for k in wanted],
            "date_of_birth": pa.array([IDENTITIES[k][3] for k in wanted], pa.date32()),
            "postcode": [IDENTITIES[k][4] for k in wanted],
            "address": [IDENTITIES[k][5] for k in wanted],
            "uprn": pa.array([None for _ in wanted], pa.string()),
            "local_id": pa.array([None for _ in wanted], pa.string()),
        }
    )


@dataclass
class Calls:
    """What the stand-in steps were asked: the reasons identities were read for."""

    reasons: list[str] = field(default_factory=list)


def stand_in(calls: Calls | None = None) -> PeopleTables:
    """The records and linkage steps, answering with the tables above."""
    seen = calls if calls is not None else Calls()

    def records(place: Place, principal: Principal, purpose: str) -> pa.Table:
        return records_table(purpose)

    def people(place: Place, principal: Principal, purpose: str) -> pa.Table:
        return people_table()

    def identities(place: Place, principal: Principal, record_ids: list[str], reason: str) -> pa.Table:
        seen.reasons.append(reason)
        return identities_table(record_ids)

    return PeopleTables(records, people, identities)
