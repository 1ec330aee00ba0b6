"""Households: people grouped by where they live now and by the relationships partners recorded.

The rule (docs/people.md, "People, households and stable ids"), applied to the pseudonymised records only:

1. A record's address is its ``mk_uprn`` when present (the property's Unique Property Reference Number),
   else its ``mk_address`` with its ``mk_postcode`` (both needed: an address line alone is too weak), read
   as a UPRN when the records that give both give that address and postcode exactly one UPRN.
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


#: A person's latest evidence: (when, rank, record id, address key, related person); compared on the first 3.
Evidence = tuple[date, int, str, str | None, str | None]


def address_key(row: Mapping[str, object]) -> str | None:
    """Rule 1 for one record alone: ``u:<uprn>`` or ``a:<address>|<postcode>``, or None."""
    if row.get("mk_uprn"):
        return f"u:{row['mk_uprn']}"
    if row.get("mk_address") and row.get("mk_postcode"):
        return f"a:{row['mk_address']}|{row['mk_postcode']}"
    return None


def _columns(records: pa.Table) -> dict[str, list[Any]]:
    """The columns the rule reads, as lists (a missing optional column reads as nulls)."""
    n = records.num_rows
    return {c: records[c].to_pylist() if c in records.column_names else [None] * n for c in NEEDED}


def _addresses(cols: Mapping[str, list[Any]]) -> list[str | None]:
    """Rule 1 over every record: an address and postcode that other records give with exactly one UPRN is
    that UPRN, so a person whose latest record has no UPRN still joins the people recorded with it."""
    uprns: dict[tuple[str, str], set[str]] = {}
    for uprn, address, postcode in zip(cols["mk_uprn"], cols["mk_address"], cols["mk_postcode"], strict=True):
        if uprn and address and postcode:
            uprns.setdefault((address, postcode), set()).add(uprn)
    found: list[str | None] = []
    for uprn, address, postcode in zip(cols["mk_uprn"], cols["mk_address"], cols["mk_postcode"], strict=True):
        if uprn:
            found.append(f"u:{uprn}")
        elif address and postcode:
            known = uprns.get((address, postcode), set())
            found.append(f"u:{next(iter(known))}" if len(known) == 1 else f"a:{address}|{postcode}")
        else:
            found.append(None)
    return found


def _child_of(relationship: object, related: object) -> bool:
    """Whether a record names a parent or carer its subject lives with (rule 2)."""
    relation = str(relationship or "").strip().lower().replace(" ", "_").replace("-", "_")
    return bool(related) and relation in CHILD_OF


def _by_local(cols: Mapping[str, list[Any]], person_of: Mapping[str, str]) -> dict[tuple[Any, Any], str]:
    """Rule 2: the person holding each partner's local id (of its lowest record id, should two hold one)."""
    found: dict[tuple[Any, Any], tuple[str, str]] = {}
    for rid, partner, local in zip(cols["record_id"], cols["partner"], cols["mk_local_id"], strict=True):
        person = person_of.get(rid)
        if local and person is not None:
            held = found.get((partner, local))
            if held is None or rid < held[0]:
                found[(partner, local)] = (rid, person)
    return {key: person for key, (_, person) in found.items()}


def _evidence(cols: Mapping[str, list[Any]], person_of: Mapping[str, str]) -> dict[str, Evidence]:
    """Rules 2 and 3: each person's latest evidence."""
    children = {
        i
        for i, pair in enumerate(zip(cols["relationship"], cols["mk_related"], strict=True))
        if _child_of(*pair)
    }
    by_local = _by_local(cols, person_of) if children else {}
    latest: dict[str, Evidence] = {}
    rows = zip(cols["record_id"], cols["event_date"], _addresses(cols), strict=True)
    for i, (rid, when, address) in enumerate(rows):
        person = person_of.get(rid)
        if person is None or when is None:
            continue
        related = None
        if address is None:
            related = by_local.get((cols["partner"][i], cols["mk_related"][i])) if i in children else None
            if related is None or related == person:
                continue
        found: Evidence = (when, _ADDRESS if address else _RELATED, str(rid), address, related)
        held = latest.get(person)
        if held is None or (found[0], -found[1], found[2]) > (held[0], -held[1], held[2]):
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
        if evidence[3] is not None:
            return evidence[3]
        person = evidence[4] or person
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
    latest = _evidence(_columns(records), people)
    homes = {person: _home(person, latest) for person in sorted(set(people.values()))}
    groups = {person: home for person, home in homes.items() if home is not None}
    return assign_ids(groups, previous, prefix="H", issued=issued)
