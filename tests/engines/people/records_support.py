"""Places, agreements and extracts for the tests of records about people, pseudonyms and the opt-out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.conftest import make_place
from totalplace.place import Place
from totalplace.store import versions
from totalplace.store.partners import add_partner

TODAY = dt.date(2026, 12, 5)
NHS_PARTNER = "Testshire NHS Trust"
COUNCIL = "Council"
FIELDS = (
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "postcode",
    "local_id",
    "related_local_id",
    "relationship",
    "event_date",
    "event_type",
    "sex",
)


def nhs_number(prefix: int) -> str:
    """A valid NHS number from a nine-digit prefix (skipping prefixes whose check digit would be 10)."""
    while True:
        digits = f"{prefix:09d}"
        check = 11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return digits + str(check)
        prefix += 1


def people_place(directory: Path) -> Place:
    """A place with a council and an NHS trust."""
    place = make_place(directory)
    with place.begin() as conn:
        add_partner(conn, name=NHS_PARTNER, kind="nhs", code=None, actor="test")
    return place


def agreement_yaml(
    name: str,
    purpose: str,
    *,
    partner: str = NHS_PARTNER,
    source: str = "nhs_urgent_contacts",
    fields: tuple[str, ...] = FIELDS,
    review: dt.date = dt.date(2027, 6, 30),
    opt_out: bool = True,
    exemption: str | None = None,
) -> str:
    """An agreement's YAML: ``partner`` shares ``source`` records with ``fields`` for ``purpose``."""
    others = [p for p in (NHS_PARTNER, COUNCIL) if p != partner]
    lines = [
        f"name: {name}",
        f"title: {name} test agreement",
        f"purpose: {purpose}",
        "parties:",
        f"  - {{partner: {partner}, role: joint_controller}}",
        *(f"  - {{partner: {p}, role: joint_controller}}" for p in others),
        "legal:",
        "  powers: [children_act_2004_s10]",
        "  article6: public_task",
        "  article9: health_social_care",
        "flows:",
        f"  - partner: {partner}",
        f"    source: {source}",
        f"    fields: [{', '.join(fields)}]",
        "retention: {months: 24, at_end: delete}",
        "dpia: {reference: DPIA-1, outcome: approved}",
        f"review_date: {review.isoformat()}",
        f"national_data_opt_out: {'true' if opt_out else 'false'}",
    ]
    if exemption:
        lines.append(f"opt_out_exemption: {exemption}")
    return "\n".join(lines) + "\n"


def add_agreement(place: Place, body: str, name: str) -> None:
    """Keep an agreement as the current version of ``sharing:name`` (contract §1)."""
    with place.begin() as conn:
        versions.add(conn, kind="sharing", name=name, body=body, owner_id=None, actor="test", reason="test")


HEADER = (
    "NHS Number,Forename,Surname,DOB,Postcode,Person ID,Related Person ID,Relationship,"
    "Event Date,Event Type,Sex"
)


def row(
    nhs: str,
    given: str = "Ada",
    family: str = "Lovelace",
    dob: str = "10/12/1985",
    postcode: str = "M1 1AE",
    local: str = "L1",
    event: str = "01/11/2026",
) -> str:
    """One line of an extract."""
    return f"{nhs},{given},{family},{dob},{postcode},{local},,,{event},urgent contact,F"


def extract(*rows: str, header: str = HEADER) -> bytes:
    """An extract's bytes."""
    return ("\n".join([header, *rows]) + "\n").encode()
