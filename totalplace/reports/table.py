"""A table as a person reads it: the one shape a view hands to the CLI (and that a page may draw too).

A view in ``reports/`` builds its tables once, already formatted (pounds, percentages, dates), so the CLI
table and the page show the same words; the CLI only prints them (:func:`totalplace.cli.output.print_tables`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Column:
    """A column heading, and which side its cells line up on (figures on the right)."""

    header: str
    justify: Literal["left", "right"] = "left"


@dataclass(frozen=True, slots=True)
class TableView:
    """A titled table of formatted cells, with an optional note printed under it."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str | None = None

    @classmethod
    def of(
        cls,
        title: str,
        columns: Sequence[str | Column],
        rows: Sequence[Sequence[object]],
        *,
        note: str | None = None,
    ) -> TableView:
        """A table from headings (text, or :class:`Column`) and rows of values (``None`` shows blank)."""
        heads = tuple(c if isinstance(c, Column) else Column(c) for c in columns)
        cells = tuple(tuple("" if v is None else str(v) for v in row) for row in rows)
        return cls(title, heads, cells, note)
