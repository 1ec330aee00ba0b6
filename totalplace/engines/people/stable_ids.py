"""Stable ids for groups recomputed from scratch: people (``P0000001``) and households (``H0000001``).

Splink clusters records afresh on every run and numbers its clusters arbitrarily, so a person's cluster id
means nothing from one run to the next. Here each new group inherits an id from the previous run's groups
its members belonged to, by one deterministic rule (docs/people.md, "People, households and stable ids"):

1. every (new group, previous id) pair is counted by the members they share;
2. pairs are taken largest first (then lowest previous id, then the group's first member): a pair is kept
   when neither its group nor its previous id has been given out yet. So a group takes the previous id most of
   its members held; when one previous person splits, its largest part keeps the id; when two merge, the
   group keeps the id that held most of its members (the lower id on a tie);
3. a previous id no group kept, whose members now sit in groups that kept other ids, is recorded as merged
   into the id that holds most of its members; it is never given out again;
4. groups left over get new numbers above every number ever issued (``issued``), in order of their first
   member, so ids are never reused.

A re-run over the same groups gives every member its previous id; adding members never changes the id of a
member whose group only gained new members.

>>> first = assign_ids({"a": "x", "b": "x", "c": "y"}, {}, prefix="P", issued=0)
>>> first.ids == {"a": "P0000001", "b": "P0000001", "c": "P0000002"}
True
>>> again = assign_ids({"a": "k", "b": "k", "c": "k", "d": "m"}, first.ids, prefix="P", issued=first.issued)
>>> sorted(set(again.ids.values())), again.merged
(['P0000001', 'P0000003'], (('P0000002', 'P0000001'),))
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from totalplace.errors import StableIdError

WIDTH: Final = 7


@dataclass(frozen=True, slots=True)
class IdAssignment:
    """Each member's stable id, the ids merged away in this run (old, into), and the highest number issued."""

    ids: dict[str, str]
    merged: tuple[tuple[str, str], ...]
    issued: int
    kept: int
    new: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (without the per-member ids, which can be millions)."""
        return {
            "groups": len(set(self.ids.values())),
            "kept": self.kept,
            "new": self.new,
            "merged": [list(pair) for pair in self.merged],
            "issued": self.issued,
        }


def format_id(prefix: str, number: int) -> str:
    """``P`` and 7 digits (the width grows rather than wrap, past 9,999,999)."""
    return f"{prefix}{number:0{WIDTH}d}"


def id_number(prefix: str, text: str) -> int:
    """The number of an id with ``prefix`` (refuses anything else: ids are never guessed)."""
    digits = text[len(prefix) :]
    if not text.startswith(prefix) or not digits.isdigit():
        raise StableIdError(f"{text!r} is not an id of the form {prefix}NNNNNNN")
    return int(digits)


def assign_ids(
    groups: Mapping[str, Hashable],
    previous: Mapping[str, str],
    *,
    prefix: str,
    issued: int,
) -> IdAssignment:
    """Give each group of ``groups`` (member -> group label) a stable id from ``previous`` (member -> id).

    ``issued`` is the highest number ever issued with ``prefix`` (0 before the first run); the result's
    ``issued`` is the new high-water mark, to be kept for the next run.
    """
    issued = max([issued, *(id_number(prefix, i) for i in set(previous.values()))])
    first: dict[Hashable, str] = {}  # each group's first member, the tie-breaker and the order of new ids
    for member, label in groups.items():
        held = first.get(label)
        if held is None or member < held:
            first[label] = member
    # One pass over the members: how many of each group's members each previous id held.
    shared = Counter((label, previous[m]) for m, label in groups.items() if m in previous)
    chosen = _inherit(shared, first)
    merged = _merged(shared, chosen)
    fresh = sorted((label for label in first if label not in chosen), key=first.__getitem__)
    for offset, label in enumerate(fresh, start=1):
        chosen[label] = format_id(prefix, issued + offset)
    ids = {member: chosen[label] for member, label in groups.items()}
    return IdAssignment(ids, merged, issued + len(fresh), len(first) - len(fresh), len(fresh))


def _inherit(shared: Counter[tuple[Hashable, str]], first: Mapping[Hashable, str]) -> dict[Hashable, str]:
    """Rules 1 and 2: each group's inherited id, taking shared-member counts largest first."""
    pairs = sorted(shared.items(), key=lambda p: (-p[1], p[0][1], first[p[0][0]]))
    chosen: dict[Hashable, str] = {}
    given: set[str] = set()
    for (label, old), _ in pairs:
        if label not in chosen and old not in given:
            chosen[label] = old
            given.add(old)
    return chosen


def _merged(
    shared: Counter[tuple[Hashable, str]], chosen: Mapping[Hashable, str]
) -> tuple[tuple[str, str], ...]:
    """Rule 3: each previous id no group kept, with the kept id that now holds most of its members."""
    taken = set(chosen.values())
    into: dict[str, Counter[str]] = defaultdict(Counter)
    for (label, old), n in shared.items():
        if old not in taken and label in chosen:
            into[old][chosen[label]] += n
    pairs = []
    for old, counts in into.items():
        best = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        pairs.append((old, best))
    return tuple(sorted(pairs))
