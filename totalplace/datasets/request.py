"""What an import is asked to do and what it did: light enough for the command line to import at start-up.

``datasets/importer.py`` (which loads PyArrow, pandas and shapely) re-exports both; commands and engines that
only build a request or show a result import them from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from totalplace.store.catalog import Batch

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ImportResult:
    """What an import did: ``imported`` a new batch, or found these bytes ``unchanged``."""

    status: Literal["imported", "unchanged"]
    batch: Batch
    skipped_rows_above_header: int = 0
    totals_rows_checked: int = 0
    effect: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "status": self.status,
            "batch": self.batch.to_dict(),
            "skipped_rows_above_header": self.skipped_rows_above_header,
            "totals_rows_checked": self.totals_rows_checked,
            "effect": self.effect,
        }


@dataclass(frozen=True)
class ImportRequest:
    """Everything an import needs besides the bytes and who is importing them."""

    kind: str
    partner: str | None = None
    format: str = "auto"
    options: dict[str, str] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)


__all__ = ["ImportRequest", "ImportResult", "Progress"]
