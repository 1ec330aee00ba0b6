"""What a dataset kind expects of a file: its columns, their types and the names they go by."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["text", "money", "date", "integer", "number", "code", "geometry"]

_NON_ALNUM = re.compile(r"[^a-z0-9£]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def normalise_header(text: object) -> str:
    """A header reduced to lower-case words: "Payment Date ", "payment_date" and "PaymentDate" all match."""
    spaced = _CAMEL.sub(" ", str(text).replace("\ufeff", ""))
    return _NON_ALNUM.sub(" ", spaced.lower()).strip()


@dataclass(frozen=True)
class ColumnSpec:
    """One column a dataset kind reads.

    ``aliases`` are the other headers it is published under (compared after :func:`normalise_header`).
    Money columns are stored as ``<name>_pence`` (int64), dates as date32, integers as int64,
    numbers as float64.
    """

    name: str
    kind: ColumnKind
    required: bool = True
    aliases: tuple[str, ...] = ()
    pattern: str | None = None
    unique: bool = False
    help: str = ""
    mapped: bool = False
    # The least value a number or integer column may hold (0 for a count such as a population), or None.
    minimum: float | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The headers this column is read from, in order of preference (only the user's, once mapped)."""
        return self.aliases if self.mapped else (self.name, *self.aliases)

    def matches(self, header: str) -> bool:
        """True when a normalised header names this column."""
        return header in {normalise_header(n) for n in self.names}

    @property
    def stored_name(self) -> str:
        """The column's name in the parquet batch."""
        return f"{self.name}_pence" if self.kind == "money" else self.name


@dataclass(frozen=True)
class DatasetSchema:
    """The columns of a dataset kind. Money columns named in ``total_columns`` are totalled in the catalog."""

    kind: str
    title: str
    columns: tuple[ColumnSpec, ...]
    total_columns: tuple[str, ...] = ()
    extra_columns: Literal["keep", "drop"] = "drop"
    description: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    repair_lost_delimiters: bool = False

    def with_mapping(self, mapping: dict[str, str]) -> DatasetSchema:
        """The schema with user-named headers added as aliases (``{"population": "all_ages"}``)."""
        unknown = set(mapping) - {c.name for c in self.columns}
        if unknown:
            from totalplace.errors import InvalidInputError

            raise InvalidInputError(
                f"no column called {', '.join(sorted(unknown))} in {self.kind} data",
                hint=f"columns are: {', '.join(c.name for c in self.columns)}",
            )
        columns = tuple(
            ColumnSpec(
                c.name,
                c.kind,
                c.required,
                (mapping[c.name],),
                c.pattern,
                c.unique,
                c.help,
                mapped=True,
                minimum=c.minimum,
            )
            if c.name in mapping
            else c
            for c in self.columns
        )
        return DatasetSchema(
            self.kind,
            self.title,
            columns,
            self.total_columns,
            self.extra_columns,
            self.description,
            dict(mapping),
            self.repair_lost_delimiters,
        )
