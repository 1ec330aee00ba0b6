"""Variable specifications: how each classification variable is counted from census topic tables.

A specification is YAML (the 2021 OAC's is ``parameters/segment/oac2021.yaml``)::

    tables:
      household_tenure: {title: Tenure (TS054), unit: households, categories: [...every category...]}
    variables:
      - {code: v42, name: Social rented, table: household_tenure,
         numerator: ["Social rented: Rents from council or Local Authority", ...],
         denominator: total, measure: percentage}

``denominator`` is ``total`` (the sum of every category of the table in the imported file) or a list of
categories; ``measure`` is ``percentage`` (100 x numerator / denominator), ``ratio`` (numerator /
denominator) or ``value`` (the one numerator category as published, e.g. a density).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from totalplace.datasets.safe_yaml import load_yaml
from totalplace.errors import SpecInvalidError
from totalplace.parameters import load_parameter, packaged_parameter_names


class CensusTable(BaseModel):
    """A census topic table: its categories (all of them, unless ``complete`` is false)."""

    model_config = ConfigDict(extra="forbid")

    title: str
    unit: str = "persons"
    categories: list[str] = Field(min_length=1)
    complete: bool = True


class Variable(BaseModel):
    """One classification variable."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    name: str
    table: str
    numerator: list[str] = Field(min_length=1)
    denominator: Literal["total"] | list[str] = "total"
    measure: Literal["percentage", "ratio", "value"] = "percentage"
    domain: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Variable:
        if self.measure == "value" and len(self.numerator) != 1:
            raise ValueError("a value variable names exactly one category")
        return self

    @property
    def categories(self) -> list[str]:
        """Every category the variable reads."""
        extra = [] if self.denominator == "total" or self.measure == "value" else self.denominator
        return [*self.numerator, *extra]


class SegmentSpec(BaseModel):
    """A specification: tables and the variables computed from them."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=r"^[a-z0-9_-]{1,60}$")
    title: str
    level: str = "oa"
    tables: dict[str, CensusTable]
    variables: list[Variable] = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> SegmentSpec:
        codes = [v.code for v in self.variables]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"variable codes repeat: {', '.join(repeated)}")
        for variable in self.variables:
            table = self.tables.get(variable.table)
            if table is None:
                raise ValueError(
                    f"{variable.code} reads table {variable.table!r}, which tables: does not list"
                )
            unknown = [c for c in variable.categories if c not in table.categories]
            if unknown:
                raise ValueError(f"{variable.code} reads {unknown[0]!r}, not a category of {variable.table}")
        return self

    @cached_property
    def categories(self) -> dict[str, frozenset[str]]:
        """Each table's listed categories, for recognising a census file by its categories."""
        return {name: frozenset(t.categories) for name, t in self.tables.items()}

    def required(self, table: str) -> set[str]:
        """The categories of ``table`` the variables need (all listed ones for a complete table)."""
        if self.tables[table].complete:
            return set(self.tables[table].categories)
        return {c for v in self.variables if v.table == table for c in v.categories}


PACKAGED: dict[str, str] = {
    Path(name).stem: name for name in packaged_parameter_names() if name.startswith("segment/")
}


def load_spec(name_or_path: str | Path) -> SegmentSpec:
    """A packaged specification by name (``oac2021``) or one from a YAML file."""
    key = str(name_or_path)
    if key in PACKAGED:
        body = load_parameter(PACKAGED[key]).body
        return _validated(body, PACKAGED[key])
    path = Path(name_or_path)
    if not path.is_file():
        raise SpecInvalidError(
            f"no specification called {key!r}",
            hint=f"name a YAML file, or one of the packaged specifications: {', '.join(sorted(PACKAGED))}",
        )
    try:
        body = load_yaml(path.read_bytes(), path.name).data
    except OSError as exc:
        raise SpecInvalidError(f"cannot read {path.name}: {exc}") from None
    return _validated(body, path.name)


def _validated(body: object, file: str) -> SegmentSpec:
    try:
        return SegmentSpec.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SpecInvalidError(
            f"{file}: {where + ': ' if where else ''}{first['msg']}",
            hint=f"{exc.error_count()} problem(s); see docs/segment.md for the specification format",
        ) from None
