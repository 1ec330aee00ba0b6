"""Disclosure control: no small count is published, and no suppressed count can be worked out from the totals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.governance.disclosure import Policy, disclose, feasible_ranges, round_to

small_or_large = st.one_of(st.integers(0, 9), st.integers(10, 400))
tables = st.integers(1, 5).flatmap(
    lambda rows: st.integers(2, 5).flatmap(
        lambda cols: st.lists(
            st.lists(small_or_large, min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )
)


@given(tables)
@settings(max_examples=150, deadline=None, derandomize=True)
def test_no_small_count_is_published_and_none_can_be_recovered(table: list[list[int]]) -> None:
    result = disclose(table)
    counts = np.array(table)
    hidden = np.array([[cell is None for cell in row] for row in result.cells])
    published = [cell for row in result.cells for cell in row if cell is not None]
    assert not any(1 <= v <= 7 for v in published)
    totals = [v for v in [*result.row_totals, *result.column_totals, result.total] if v is not None]
    assert all(v % 5 == 0 for v in [*published, *totals])
    assert all(hidden[r, c] for r, c in result.primary)
    rows_shown = np.array([v is not None for v in result.row_totals])
    columns_shown = np.array([v is not None for v in result.column_totals])
    ranges = feasible_ranges(counts, hidden, rows_shown, columns_shown, grand_total=result.total is not None)
    for cell, (low, high) in ranges.items():
        if cell in result.primary:
            assert high - low > 1e-9, f"{cell} could be worked out from the totals"
        assert low - 1e-6 <= counts[cell] <= high + 1e-6


def test_a_worked_example() -> None:
    result = disclose([[3, 40, 52], [10, 5, 60], [22, 18, 9]])
    assert result.cells == [[None, None, 50], [None, None, 60], [20, 20, 10]]
    assert result.primary == [(0, 0), (1, 1)] and result.secondary == [(0, 1), (1, 0)]
    assert result.row_totals == [95, 75, 50] and result.total == 220


def test_a_place_sets_its_own_policy() -> None:
    result = disclose([[2, 12, 30], [9, 40, 41]], Policy(suppress_from=1, suppress_to=10, round_to=1))
    assert result.primary == [(0, 0), (1, 0)] and result.cells[0][2] == 30 and result.total == 134
    assert result.secondary == [(0, 1), (1, 1)] and result.column_totals == [11, 52, 71]
    assert list(round_to([0, 2, 3, 7, 8, 12, 13], 5)) == [0, 0, 5, 5, 10, 10, 15]
    with pytest.raises(ValueError):
        disclose([[-1, 3]])
