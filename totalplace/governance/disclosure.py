"""Disclosure control for published tables of counts: primary suppression, rounding, secondary suppression.

Counts in the policy's small range (1 to 7 by default) are suppressed; so that none of them can be worked out
from the row and column totals, further cells are suppressed until a linear-programming attacker who knows
every published cell and every total exactly still cannot pin any suppressed cell to one value (each
suppressed cell's feasible range, found with scipy's ``linprog``, has width); when every cell of a line is
already hidden, a total is withheld instead. Published cells and totals are
then rounded to the policy's base. The check assumes the attacker knows the unrounded figures, so it holds a
fortiori for the rounded ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from totalplace.parameters import load_parameter

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Policy:
    """Which counts are suppressed and what others are rounded to."""

    suppress_from: int = 1
    suppress_to: int = 7
    round_to: int = 5

    @classmethod
    def default(cls) -> Policy:
        """The cited default (``parameters/governance/disclosure.yaml``)."""
        body = load_parameter("governance/disclosure.yaml").body
        return cls(int(body["suppress_from"]), int(body["suppress_to"]), int(body["round_to"]))


@dataclass
class Disclosed:
    """A table fit to publish: cells (None where suppressed), totals, and what was done."""

    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None
    primary: list[tuple[int, int]] = field(default_factory=list)
    secondary: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "cells": self.cells,
            "row_totals": self.row_totals,
            "column_totals": self.column_totals,
            "total": self.total,
            "suppressed": {"primary": len(self.primary), "secondary": len(self.secondary)},
        }


def round_to(values: Any, base: int) -> IntArray:
    """Round half up to the nearest multiple of ``base`` (1 leaves values as they are)."""
    array = np.asarray(values, dtype=np.int64)
    if base <= 1:
        return array
    return ((array + base // 2) // base) * base


def feasible_ranges(
    table: IntArray,
    hidden: BoolArray,
    row_totals: BoolArray | None = None,
    column_totals: BoolArray | None = None,
    grand_total: bool = True,
) -> dict[tuple[int, int], tuple[float, float]]:
    """For each hidden cell, the least and greatest value consistent with the visible cells and the published
    totals (all totals unless masks say which are published)."""
    cells = [(int(c[0]), int(c[1])) for c in np.argwhere(hidden)]
    if not cells:
        return {}
    index = {c: k for k, c in enumerate(cells)}
    rows, cols = table.shape
    row_totals = np.ones(rows, dtype=bool) if row_totals is None else row_totals
    column_totals = np.ones(cols, dtype=bool) if column_totals is None else column_totals
    lines = [[(r, c) for c in range(cols)] for r in range(rows) if row_totals[r]]
    lines += [[(r, c) for r in range(rows)] for c in range(cols) if column_totals[c]]
    if grand_total:
        lines.append([(r, c) for r in range(rows) for c in range(cols)])
    equations, targets = [], []
    for line in lines:
        members = {index[p] for p in line if p in index}
        if members:
            equations.append([1.0 if k in members else 0.0 for k in range(len(cells))])
            targets.append(float(sum(table[p] for p in line if p in index)))
    from scipy.optimize import linprog  # loaded on first use, not at start-up

    out: dict[tuple[int, int], tuple[float, float]] = {}
    for k, cell in enumerate(cells):
        objective = np.zeros(len(cells))
        objective[k] = 1.0
        if not equations:
            out[cell] = (0.0, float("inf"))
            continue
        low = linprog(objective, A_eq=equations, b_eq=targets, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=equations, b_eq=targets, bounds=(0, None), method="highs")
        out[cell] = (float(low.fun), float("inf") if high.status == 3 else float(-high.fun))
    return out


def disclose(table: Any, policy: Policy | None = None) -> Disclosed:
    """The table with small counts suppressed, protected by secondary suppression, and rounded."""
    policy = policy or Policy.default()
    counts = np.asarray(table, dtype=np.int64)
    if counts.ndim != 2 or (counts < 0).any():
        raise ValueError("disclosure control needs a two-dimensional table of counts of at least zero")
    primary = (counts >= policy.suppress_from) & (counts <= policy.suppress_to)
    hidden = primary.copy()
    row_shown = np.ones(counts.shape[0], dtype=bool)
    column_shown = np.ones(counts.shape[1], dtype=bool)
    grand_shown = True
    while True:
        ranges = feasible_ranges(counts, hidden, row_shown, column_shown)
        # Only the small counts need protecting; working out a hidden zero or a large count discloses nothing.
        exposed = [cell for cell, (low, high) in ranges.items() if primary[cell] and high - low < 1e-9]
        if not exposed:
            break
        partner = _partner_cell(counts, hidden, exposed[0])
        if partner is not None:
            hidden[partner] = True
            continue
        # Every cell of its lines is hidden already: withhold a total over hidden cells instead.
        columns = np.flatnonzero(column_shown & hidden.any(axis=0))
        rows = np.flatnonzero(row_shown & hidden.any(axis=1))
        if len(columns):
            column_shown[columns[0]] = False
        elif len(rows):
            row_shown[rows[0]] = False
        else:
            grand_shown = False
            break
    published = round_to(counts, policy.round_to)
    cells = [
        [None if hidden[r, c] else int(published[r, c]) for c in range(counts.shape[1])]
        for r in range(counts.shape[0])
    ]
    rows_out = round_to(counts.sum(axis=1), policy.round_to)
    columns_out = round_to(counts.sum(axis=0), policy.round_to)
    return Disclosed(
        cells,
        [int(v) if shown else None for v, shown in zip(rows_out, row_shown, strict=True)],
        [int(v) if shown else None for v, shown in zip(columns_out, column_shown, strict=True)],
        int(round_to(counts.sum(), policy.round_to)) if grand_shown else None,
        [(int(c[0]), int(c[1])) for c in np.argwhere(primary)],
        [(int(c[0]), int(c[1])) for c in np.argwhere(hidden & ~primary)],
    )


def _partner_cell(counts: IntArray, hidden: BoolArray, cell: tuple[int, int]) -> tuple[int, int] | None:
    """Another cell to hide so that ``cell`` is no longer determined.

    A visible cell in a line (row or column) that already holds a hidden cell, preferring one whose row and
    column both do (it closes a cycle of hidden cells, the cheapest protection), then one in the exposed
    cell's own row or column, then a positive one, then the smallest (hiding the least information).
    """
    r, c = cell
    rows_with: BoolArray = np.asarray(hidden.any(axis=1))
    columns_with: BoolArray = np.asarray(hidden.any(axis=0))
    candidates = [
        (int(p[0]), int(p[1])) for p in np.argwhere(~hidden) if rows_with[p[0]] or columns_with[p[1]]
    ]
    if not candidates:
        return None

    def cost(p: tuple[int, int]) -> tuple[int, int, int, int, tuple[int, int]]:
        open_lines = (not rows_with[p[0]]) + (not columns_with[p[1]])
        return (open_lines, 0 if p[0] == r or p[1] == c else 1, 0 if counts[p] > 0 else 1, int(counts[p]), p)

    return min(candidates, key=cost)
