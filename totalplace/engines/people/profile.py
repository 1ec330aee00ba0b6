"""The 360° profile: every partner's records about a person (or a household) in one chronology.

Pure functions over the tables the records and linkage steps make (``records_table``: one row per record
with its partner, source, agreement, purpose and event; ``people_table``: each record's person, household
and match probability). Each line of a profile says which partner and agreement it came through and how
sure the link is: the record's match probability, and in words (:func:`certainty`). A pseudonymised profile
(what ``people.read`` allows) has no identifier and dates to the month; an identified one (``person.reveal``,
for direct care, with a recorded reason) adds who the person is from the restricted identities.

Who may see which, and the audit of every view, is :mod:`totalplace.engines.people.profile_access`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from totalplace.errors import PersonNotFoundError

if TYPE_CHECKING:
    import pyarrow as pa

#: Match probability from which a link is described in words as certain, very likely, or (below) likely.
#: A local choice, explained on the page: every line shown passed the linkage threshold.
CERTAIN: Final = 0.99
VERY_LIKELY: Final = 0.90
Subject = Literal["person", "household"]


def certainty(probability: float | None) -> str:
    """How sure a link is, in words.

    >>> certainty(0.999), certainty(0.95), certainty(0.8)
    ('certain', 'very likely', 'likely')
    """
    if probability is None or probability >= CERTAIN:
        return "certain"  # a record alone in its cluster is certainly its own person
    return "very likely" if probability >= VERY_LIKELY else "likely"


@dataclass(frozen=True)
class ProfileLine:
    """One record in a chronology: when, from whom, under which agreement, what, and how sure the link is.

    ``when`` is the event's date (identified profiles) or its month (pseudonymised ones).
    """

    when: str
    partner: str
    source: str
    agreement: str
    purpose: str
    event_type: str
    event_detail: str | None
    record_id: str
    person_id: str
    match_probability: float
    certainty: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "when": self.when,
            "partner": self.partner,
            "source": self.source,
            "agreement": self.agreement,
            "purpose": self.purpose,
            "event_type": self.event_type,
            "event_detail": self.event_detail,
            "record_id": self.record_id,
            "person_id": self.person_id,
            "match_probability": round(self.match_probability, 6),
            "certainty": self.certainty,
        }


@dataclass(frozen=True)
class PartnerYear:
    """How many records a partner holds about the subject in one calendar year."""

    partner: str
    year: int
    records: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"partner": self.partner, "year": self.year, "records": self.records}


@dataclass(frozen=True)
class Identity:
    """Who a person is, as their records say (each value in order of how many records hold it)."""

    person_id: str
    names: tuple[str, ...]
    dates_of_birth: tuple[str, ...]
    nhs_numbers: tuple[str, ...]
    addresses: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "person_id": self.person_id,
            "names": list(self.names),
            "dates_of_birth": list(self.dates_of_birth),
            "nhs_numbers": list(self.nhs_numbers),
            "addresses": list(self.addresses),
        }


@dataclass(frozen=True)
class Profile:
    """A person's or household's chronology, its counts by partner and year, and (if identified) who."""

    subject: Subject
    id: str
    purpose: str
    people: tuple[str, ...]
    households: tuple[str, ...]
    lines: tuple[ProfileLine, ...]
    counts: tuple[PartnerYear, ...]
    identified: bool = False
    identities: tuple[Identity, ...] = ()

    @property
    def partners(self) -> tuple[str, ...]:
        """The partners that hold records about the subject, in order."""
        return tuple(sorted({line.partner for line in self.lines}))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (an identified profile's identities only when it is identified)."""
        out: dict[str, Any] = {
            "subject": self.subject,
            "id": self.id,
            "purpose": self.purpose,
            "identified": self.identified,
            "people": list(self.people),
            "households": list(self.households),
            "partners": list(self.partners),
            "records": len(self.lines),
            "lines": [line.to_dict() for line in self.lines],
            "counts": [c.to_dict() for c in self.counts],
        }
        if self.identified:
            out["identities"] = [i.to_dict() for i in self.identities]
        return out


def _members(people: pa.Table, column: str, value: str) -> list[dict[str, Any]]:
    """The people-table rows whose ``column`` is ``value``."""
    import pyarrow.compute as pc

    rows: list[dict[str, Any]] = people.filter(pc.equal(people[column], value)).to_pylist()
    return rows


def _record_rows(records: pa.Table, record_ids: list[str]) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = pc.is_in(records["record_id"], value_set=pa.array(record_ids, pa.string()))
    rows: list[dict[str, Any]] = records.filter(wanted).to_pylist()
    return rows


def _when(day: dt.date | dt.datetime | str | None, identified: bool) -> str:
    if day is None:
        return ""
    text = day.isoformat() if isinstance(day, dt.date) else str(day)
    return text[:10] if identified else text[:7]  # a pseudonymised profile dates to the month


def _lines(
    rows: list[dict[str, Any]], links: dict[str, dict[str, Any]], identified: bool
) -> tuple[ProfileLine, ...]:
    """The records as chronology lines, oldest first (ties by partner, source and record)."""
    ordered = sorted(
        rows, key=lambda r: (str(r["event_date"] or ""), r["partner"], r["source"], r["record_id"])
    )
    return tuple(
        ProfileLine(
            _when(r["event_date"], identified),
            r["partner"],
            r["source"],
            r["agreement"],
            r["purpose"],
            r["event_type"],
            r.get("event_detail"),
            r["record_id"],
            links[r["record_id"]]["person_id"],
            float(links[r["record_id"]]["match_probability"] or 1.0),
            certainty(links[r["record_id"]]["match_probability"]),
        )
        for r in ordered
    )


def _counts(rows: list[dict[str, Any]]) -> tuple[PartnerYear, ...]:
    """Records by partner and year of the event."""
    found = Counter(
        (r["partner"], int(str(r["event_date"])[:4])) for r in rows if r["event_date"] is not None
    )
    return tuple(PartnerYear(p, y, n) for (p, y), n in sorted(found.items()))


def build_profile(
    records: pa.Table,
    people: pa.Table,
    subject: Subject,
    subject_id: str,
    *,
    purpose: str,
    identities: pa.Table | None = None,
) -> Profile:
    """The profile of a person (``subject="person"``) or household from the records and people tables.

    With ``identities`` (the restricted table of clear identifiers for direct care) the profile is identified:
    full dates and who each person is. Without, it carries no identifier and dates to the month.
    """
    members = _members(people, "person_id" if subject == "person" else "household_id", subject_id)
    if not members:
        raise PersonNotFoundError(
            f"no {subject} {subject_id} among the people linked for {purpose}",
            hint="ids differ between purposes: open the profile under the purpose its id came from",
        )
    links = {m["record_id"]: m for m in members}
    rows = _record_rows(records, list(links))
    identified = identities is not None
    lines = _lines(rows, links, identified)
    person_ids = tuple(sorted({m["person_id"] for m in members}))
    households = tuple(sorted({m["household_id"] for m in members if m.get("household_id")}))
    found = _identities(identities, links) if identities is not None else ()
    return Profile(
        subject, subject_id, purpose, person_ids, households, lines, _counts(rows), identified, found
    )


def _ranked(values: list[str]) -> tuple[str, ...]:
    """Distinct non-empty values, commonest first (ties in order)."""
    counted = Counter(v for v in values if v)
    return tuple(sorted(counted, key=lambda v: (-counted[v], v)))


def _identities(identities: pa.Table, links: dict[str, dict[str, Any]]) -> tuple[Identity, ...]:
    """Who each person is, from the identities of their records."""
    by_person: dict[str, list[dict[str, Any]]] = {}
    for row in _record_rows(identities, list(links)):
        by_person.setdefault(links[row["record_id"]]["person_id"], []).append(row)
    found = []
    for person_id in sorted({m["person_id"] for m in links.values()}):
        rows = by_person.get(person_id, [])
        found.append(
            Identity(
                person_id,
                _ranked([" ".join(filter(None, (r.get("given_name"), r.get("family_name")))) for r in rows]),
                _ranked([_when(r.get("date_of_birth"), True) for r in rows]),
                _ranked([str(r.get("nhs_number") or "") for r in rows]),
                _ranked([", ".join(filter(None, (r.get("address"), r.get("postcode")))) for r in rows]),
            )
        )
    return tuple(found)
