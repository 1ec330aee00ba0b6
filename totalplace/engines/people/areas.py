"""People counted by small area (LSOA) and by source or partner, through disclosure control.

Each linked person is placed in one area, the area of their latest record that has one (people move; the
latest address is where services would find them now), and counted once in each source (or partner) that
holds a record about them, and once in the area's ``people`` column. A person counted in two sources is one
person in each, so an area's counts do not add up to its people: each column is its own one-way table of
areas, published with its total and no row totals. Each column passes the place's disclosure policy
(:class:`totalplace.governance.disclosure.Policy`, as the outcomes pages' counts do): counts from 1 to 7
suppressed; where a column would then have one suppressed count, which its total would give away, the
smallest other count is suppressed too (or, if there is none, the total); every published count and total is
rounded to 5. The two-way linear-programming check of :func:`~totalplace.governance.disclosure.disclose`
is not needed for one-way tables, and takes minutes on 150 areas; the tests check the result with its
:func:`~totalplace.governance.disclosure.feasible_ranges`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from totalplace.governance.disclosure import Policy, round_to

if TYPE_CHECKING:
    import pyarrow as pa

By = Literal["source", "partner"]
BY: Final[tuple[str, ...]] = ("source", "partner")
#: The column of each area's people (each counted once, whatever their sources).
PEOPLE: Final = "people"


@dataclass(frozen=True)
class AreaRow:
    """One area's published counts, one per column (None where suppressed)."""

    code: str
    cells: tuple[int | None, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"code": self.code, "cells": list(self.cells)}


@dataclass(frozen=True)
class AreaCounts:
    """The disclosure-controlled table of people by area and source (or partner)."""

    purpose: str
    by: str
    columns: tuple[str, ...]
    rows: tuple[AreaRow, ...]
    column_totals: tuple[int | None, ...]
    suppressed_primary: int
    suppressed_secondary: int
    policy: Policy
    unplaced: int  # people with no area on any record (counted nowhere)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: only published figures, never an unrounded or suppressed count."""
        return {
            "purpose": self.purpose,
            "by": self.by,
            "columns": list(self.columns),
            "areas": [r.to_dict() for r in self.rows],
            "column_totals": list(self.column_totals),
            "suppressed": {"primary": self.suppressed_primary, "secondary": self.suppressed_secondary},
            "policy": {
                "suppress_from": self.policy.suppress_from,
                "suppress_to": self.policy.suppress_to,
                "round_to": self.policy.round_to,
            },
            "unplaced_people": "suppressed"
            if 0 < self.unplaced <= self.policy.suppress_to
            else self.unplaced,
        }

    def column(self, name: str) -> dict[str, int]:
        """Each area's published count in the column ``name``, suppressed areas left out."""
        at = self.columns.index(name)
        return {row.code: value for row in self.rows if (value := row.cells[at]) is not None}


def _placed(records: pa.Table, people: pa.Table, by: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Each person's area (their latest record's that has one) and the (person, column) pairs seen."""
    person_of = dict(zip(people["record_id"].to_pylist(), people["person_id"].to_pylist(), strict=True))
    latest: dict[str, tuple[str, str]] = {}
    seen: set[tuple[str, str]] = set()
    columns = records.select(["record_id", "event_date", "area_code", by]).to_pylist()
    for row in columns:
        person = person_of.get(row["record_id"])
        if person is None:
            continue  # a record the linkage has not placed
        seen.add((person, row[by]))
        if row["area_code"]:
            day = str(row["event_date"] or "")
            if person not in latest or day >= latest[person][0]:
                latest[person] = (day, row["area_code"])
    return {p: area for p, (_, area) in latest.items()}, seen


def protect_column(counts: list[int], policy: Policy) -> tuple[list[bool], bool]:
    """Which counts of a one-way table to suppress, and whether its total may be published."""
    hidden = [policy.suppress_from <= c <= policy.suppress_to for c in counts]
    if sum(hidden) != 1:
        return hidden, True  # none hidden, or two or more: the total pins none of them down
    others = [(c, k) for k, c in enumerate(counts) if not hidden[k] and c > 0]
    if not others:
        return hidden, False  # every other count is zero: the total would give the hidden one away
    hidden[min(others)[1]] = True
    return hidden, True


def area_counts(
    records: pa.Table, people: pa.Table, *, purpose: str, by: By = "source", policy: Policy | None = None
) -> AreaCounts:
    """People by area and ``by`` (source or partner), disclosure-controlled (see the module's docstring)."""
    policy = policy or Policy.default()
    area_of, seen = _placed(records, people, by)
    counted = Counter((area_of[p], column) for p, column in seen if p in area_of)
    counted.update((area, PEOPLE) for area in area_of.values())
    areas = sorted(set(area_of.values()))
    columns = (*sorted({c for _, c in counted if c != PEOPLE}), PEOPLE)
    unplaced = len({p for p, _ in seen if p not in area_of})
    cells: list[list[int | None]] = [[] for _ in areas]
    totals: list[int | None] = []
    primary = secondary = 0
    for column in columns:
        counts = [counted.get((a, column), 0) for a in areas]
        hidden, total_shown = protect_column(counts, policy)
        rounded = round_to(counts, policy.round_to).tolist()
        for k, value in enumerate(rounded):
            cells[k].append(None if hidden[k] else int(value))
        totals.append(int(round_to([sum(counts)], policy.round_to)[0]) if total_shown else None)
        small = sum(1 for c in counts if policy.suppress_from <= c <= policy.suppress_to)
        primary, secondary = primary + small, secondary + sum(hidden) - small
    rows = tuple(AreaRow(a, tuple(c)) for a, c in zip(areas, cells, strict=True))
    return AreaCounts(purpose, by, columns, rows, tuple(totals), primary, secondary, policy, unplaced)
