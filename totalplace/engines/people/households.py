"""Households: people grouped by where they live now and by the relationships partners recorded.

The rule (docs/people.md, "People, households and stable ids"), applied to the pseudonymised records only:

1. A record's address is its ``mk_uprn`` when present (the property's Unique Property Reference Number),
   else its ``mk_address`` with its ``mk_postcode`` (both needed: an address line alone is too weak).
2. A record whose ``relationship`` says its subject is the named person's child (:data:`CHILD_OF`: child,
   son, daughter, foster child...) and names that person (``mk_related``, the pseudonym of their local id)
   points at the person whose record, at the same partner, has that local id (``mk_local_id``): local ids
   are a partner's own numbers, so they are matched within the partner only. Other relationships (a victim
   naming a perpetrator, a witness) say nothing about where anyone lives and are not followed.
3. Each person is in at most one household at a time: the one their latest evidence puts them in, by
   ``event_date`` (ties: an address before a relationship, then the latest record id). A person whose latest
   evidence is an address lives there; one whose latest evidence names a related person lives where that
   person lives (followed through chains, a cycle ending where it began).
4. People living at the same address form one household. A person with neither an address nor a related
   person has no household (``None``): we do not invent one.

Household ids are made stable across runs by :func:`totalplace.engines.people.stable_ids.assign_ids` over
people (members) instead of records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import pyarrow as pa

from totalplace.engines.people.stable_ids import IdAssignment, assign_ids

NEEDED: Final = (
    "record_id",
    "partner",
    "event_date",
    "mk_uprn",
    "mk_address",
    "mk_postcode",
    "mk_local_id",
    "mk_related",
    "relationship",
)
#: Relationships (the record's subject to the person it names) that put the subject in that person's home.
CHILD_OF: Final = frozenset(
    {"child", "child_of", "son", "daughter", "stepchild", "step_child", "foster_child", "looked_after_child",
     "grandchild", "dependant", "dependent", "ward"}
)  # fmt: skip
_ADDRESS, _RELATED = 0, 1  # an address outranks a relationship recorded the same day


@dataclass(frozen=True, slots=True)
class Evidence:
    """One record's say about where its person lives: an address key, or the person it names."""

    when: date
    rank: int
    record_id: str
    address: str | None
    related: str | None


def address_key(row: Mapping[str, object]) -> str | None:
    """Rule 1: ``u:<uprn>`` or ``a:<address>|<postcode>``, or None."""
    if row.get("mk_uprn"):
        return f"u:{row['mk_uprn']}"
    if row.get("mk_address") and row.get("mk_postcode"):
        return f"a:{row['mk_address']}|{row['mk_postcode']}"
    return None


def _rows(records: pa.Table) -> list[dict[str, Any]]:
    """The columns the rule reads (missing optional columns read as null)."""
    present = [c for c in NEEDED if c in records.column_names]
    rows = records.select(present).to_pylist()
    return [{c: row.get(c) for c in NEEDED} for row in rows]


def _child_of(row: Mapping[str, Any]) -> bool:
    """Whether the record names a parent or carer the subject lives with (rule 2)."""
    relation = str(row["relationship"] or "").strip().lower().replace(" ", "_").replace("-", "_")
    return bool(row["mk_related"]) and relation in CHILD_OF


def _evidence(rows: list[dict[str, Any]], person_of: Mapping[str, str]) -> dict[str, Evidence]:
    """Rules 2 and 3: each person's latest evidence."""
    by_local = {
        (r["partner"], r["mk_local_id"]): person_of[r["record_id"]]
        for r in sorted(rows, key=lambda r: str(r["record_id"]))
        if r["mk_local_id"] and r["record_id"] in person_of
    }
    latest: dict[str, Evidence] = {}
    for r in rows:
        person = person_of.get(r["record_id"])
        if person is None or r["event_date"] is None:
            continue
        address = address_key(r)
        related = by_local.get((r["partner"], r["mk_related"])) if _child_of(r) else None
        if related == person:
            related = None
        if address is None and related is None:
            continue
        rank = _ADDRESS if address else _RELATED
        found = Evidence(r["event_date"], rank, str(r["record_id"]), address, None if address else related)
        held = latest.get(person)
        if held is None or (found.when, -found.rank, found.record_id) > (
            held.when,
            -held.rank,
            held.record_id,
        ):
            latest[person] = found
    return latest


def _home(person: str, latest: Mapping[str, Evidence]) -> str | None:
    """Rule 3: follow related people until one has an address (None when the chain has none or loops)."""
    seen: set[str] = set()
    while person not in seen:
        seen.add(person)
        evidence = latest.get(person)
        if evidence is None:
            return None
        if evidence.address is not None:
            return evidence.address
        person = evidence.related or person
    return None


def households(
    records: pa.Table,
    people: Mapping[str, str],
    previous: Mapping[str, str],
    *,
    issued: int,
) -> IdAssignment:
    """Group people into households with stable ids.

    ``records`` are person records (the ``NEEDED`` columns), ``people`` maps each record to its person id,
    ``previous`` maps each person to the household id the last run gave them, ``issued`` is the highest
    household number ever issued. The result maps each person with a household to its ``H`` id.
    """
    latest = _evidence(_rows(records), people)
    homes = {person: _home(person, latest) for person in sorted(set(people.values()))}
    groups = {person: home for person, home in homes.items() if home is not None}
    return assign_ids(groups, previous, prefix="H", issued=issued)
