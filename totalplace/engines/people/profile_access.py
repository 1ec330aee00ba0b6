"""Who may see a profile, and the audit of every view: the place-level side of the 360° profile.

- ``people.read`` for the data's purpose (the lead, analysts, the data protection officer): the pseudonymised
  profile (person ids, events dated to the month, counts by partner and year; no identifier) and the counts
  by small area, through disclosure control.
- ``person.reveal`` (the lead only, until the cases issue gives case workers their relationships), for direct
  care, with a reason: the identified profile, read from the restricted identities of direct-care records.
- Everyone else is refused, before anything is read.

Every view is written to the audit trail: who (the principal), whom (the person, household or purpose) and
why (the purpose, and the reason given). The tables come from the records step (``records_table``,
``identities``) and the linkage step (``people_table``), loaded when first asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from totalplace.engines.people.areas import AreaCounts, By, area_counts
from totalplace.engines.people.profile import Profile, Subject, build_profile
from totalplace.errors import (
    PeopleNotLinkedError,
    ProfileError,
    RevealReasonRequiredError,
    UnknownPurposeError,
)
from totalplace.governance.policy import PURPOSE_SERVES, Resource
from totalplace.store.person_views import record_view

if TYPE_CHECKING:
    import pyarrow as pa

    from totalplace.governance.roles import Principal
    from totalplace.place import Place

#: The only purpose an identified profile is shown for (the identities are kept only for direct care).
REVEAL_PURPOSE = "direct_care"

TableOf = Callable[["Place", "Principal", str], "pa.Table"]
IdentitiesOf = Callable[["Place", "Principal", list[str], str], "pa.Table"]


@dataclass(frozen=True)
class PeopleTables:
    """Where profiles read from: the records, the people they are linked into, and the clear identities."""

    records: TableOf
    people: TableOf
    identities: IdentitiesOf


def contract_tables() -> PeopleTables:
    """The records step's ``records_table`` and ``identities`` and the linkage step's ``people_table``."""
    from totalplace.engines.people import people, records

    return PeopleTables(records.records_table, people.people_table, records.identities)


def check_purpose(purpose: str) -> None:
    """Refuse a purpose no sharing agreement can have."""
    if purpose not in PURPOSE_SERVES:
        raise UnknownPurposeError(
            f"{purpose!r} is not a purpose of information sharing",
            hint=f"purposes are: {', '.join(PURPOSE_SERVES)}",
        )


def authorise(
    principal: Principal, subject_id: str, purpose: str, *, reveal: bool, reason: str | None
) -> None:
    """Ask the policy first: ``person.reveal`` and a reason to identify; else ``people.read``."""
    check_purpose(purpose)
    if not reveal:
        principal.require("people.read", Resource("people", purpose, purpose=purpose))
        return
    principal.require("person.reveal", Resource("person", subject_id, purpose=REVEAL_PURPOSE))
    if purpose != REVEAL_PURPOSE:
        raise ProfileError(
            f"an identified profile is for direct care, not {purpose}",
            hint="open the person under the purpose direct_care (their id there may differ)",
        )
    if not reason or not reason.strip():
        raise RevealReasonRequiredError(
            "say why you need to see who this is", hint="the reason is kept in the audit trail with your name"
        )


def _linked(
    place: Place, principal: Principal, purpose: str, tables: PeopleTables
) -> tuple[pa.Table, pa.Table]:
    records = tables.records(place, principal, purpose)
    people = tables.people(place, principal, purpose)
    if people.num_rows == 0:
        raise PeopleNotLinkedError(
            f"no people are linked for {purpose} yet",
            hint="import partners' records under an agreement for the purpose, then `totalplace link run`",
        )
    return records, people


def show_profile(
    place: Place,
    principal: Principal,
    subject: Subject,
    subject_id: str,
    *,
    purpose: str,
    reveal: bool = False,
    reason: str | None = None,
    tables: PeopleTables | None = None,
) -> Profile:
    """The profile of a person or household as ``principal`` may see it, the view audited."""
    authorise(principal, subject_id, purpose, reveal=reveal, reason=reason)
    tables = tables or contract_tables()
    records, people = _linked(place, principal, purpose, tables)
    identities = None
    if reveal:
        import pyarrow.compute as pc

        column = "person_id" if subject == "person" else "household_id"
        ids = people.filter(pc.equal(people[column], subject_id))["record_id"].to_pylist()
        identities = tables.identities(place, principal, ids, (reason or "").strip()) if ids else None
    profile = build_profile(records, people, subject, subject_id, purpose=purpose, identities=identities)
    with place.begin() as conn:
        record_view(
            conn,
            actor=principal.username,
            action=f"{subject}.{'reveal' if reveal else 'view'}",
            subject=subject,
            subject_id=subject_id,
            purpose=purpose,
            reason=(reason or "").strip() or None,
            records=len(profile.lines),
        )
    return profile


def show_areas(
    place: Place, principal: Principal, *, purpose: str, by: By = "source", tables: PeopleTables | None = None
) -> AreaCounts:
    """People by small area and source (or partner), disclosure-controlled, the view audited."""
    check_purpose(purpose)
    principal.require("people.read", Resource("people", purpose, purpose=purpose))
    tables = tables or contract_tables()
    records, people = _linked(place, principal, purpose, tables)
    counts = area_counts(records, people, purpose=purpose, by=by)
    with place.begin() as conn:
        record_view(
            conn,
            actor=principal.username,
            action="people.areas",
            subject="people",
            subject_id=purpose,
            purpose=purpose,
            reason=None,
            records=records.num_rows,
        )
    return counts
