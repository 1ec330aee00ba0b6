"""What a command shows: its ``--json`` document, and the headline and tables a person reads.

A view in ``reports/`` builds one of these per command, so the command only parses, calls the engine and
the view, and prints (``out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from totalplace.reports.table import TableView


@dataclass(frozen=True, slots=True)
class CommandView:
    """A command's ``--json`` document, and its headline and tables already formatted for a person."""

    document: dict[str, Any]
    headline: str = ""
    tables: tuple[TableView, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        return self.document
