"""Classification variables from the place's imported census counts, as a specification defines them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from totalplace.backends.base import AnalyticsBackend
from totalplace.engines.segment.spec import SegmentSpec, Variable
from totalplace.errors import SegmentationError
from totalplace.store.segments import MissingVariable, VariablesDescription, VariableSummary

FloatArray = npt.NDArray[np.float64]

# The latest import of each table wins: a table imported again (a corrected release) replaces the earlier one.
_LATEST_COUNTS = """
select c.area_code, c."table", c.category, c.value
from census c
join (select "table", max(batch_id) as batch_id from census group by "table") latest
  on c."table" = latest."table" and c.batch_id = latest.batch_id
"""


@dataclass(frozen=True)
class VariableMatrix:
    """One row per area, one column per variable that could be derived.

    ``percentages`` keeps the variables on their own scale (percentages, ratios, values) for profiles;
    ``zero_denominators`` counts, per variable, areas whose denominator was zero (their value is 0).
    """

    spec: SegmentSpec
    areas: list[str]
    variables: list[Variable]
    values: FloatArray
    missing: list[MissingVariable] = field(default_factory=list)
    zero_denominators: dict[str, int] = field(default_factory=dict)
    areas_without_counts: list[str] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """The derived variables' codes, in column order."""
        return [v.code for v in self.variables]

    def column(self, code: str) -> FloatArray:
        """One variable's values over the areas."""
        return self.values[:, self.codes.index(code)]

    def summary(self) -> list[VariableSummary]:
        """Per variable: its range, mean and how many areas had a zero denominator."""
        out = []
        for index, variable in enumerate(self.variables):
            col = self.values[:, index]
            out.append(
                VariableSummary(
                    variable.code,
                    variable.name,
                    variable.table,
                    variable.measure,
                    float(col.min()) if col.size else None,
                    float(col.mean()) if col.size else None,
                    float(col.max()) if col.size else None,
                    self.zero_denominators.get(variable.code, 0),
                )
            )
        return out

    def describe(self) -> VariablesDescription:
        """What was derived and what is missing (not the values), as a segmentation keeps it."""
        return VariablesDescription(
            self.spec.name,
            len(self.areas),
            len(self.variables),
            len(self.spec.variables),
            tuple(self.summary()),
            tuple(self.missing),
            tuple(self.areas_without_counts[:50]),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (not the values)."""
        return self.describe().to_dict()


@dataclass
class _Counts:
    """The latest counts: per table, an area x category array."""

    areas: list[str]
    tables: dict[str, tuple[list[str], FloatArray, npt.NDArray[np.bool_]]]


def read_counts(engine: AnalyticsBackend, level_areas: list[str]) -> _Counts:
    """The place's latest census counts as one dense array per table (areas in ``level_areas`` order)."""
    table = engine.query(_LATEST_COUNTS)
    area_index = {code: i for i, code in enumerate(level_areas)}
    areas = table.column("area_code").to_pylist()
    names = table.column("table").to_pylist()
    categories = table.column("category").to_pylist()
    values = table.column("value").to_numpy()
    grouped: dict[str, list[int]] = {}
    for row, name in enumerate(names):
        grouped.setdefault(name, []).append(row)
    out: dict[str, tuple[list[str], FloatArray, npt.NDArray[np.bool_]]] = {}
    for name, rows in grouped.items():
        cats = list(dict.fromkeys(categories[r] for r in rows))
        cat_index = {c: j for j, c in enumerate(cats)}
        dense = np.zeros((len(level_areas), len(cats)))
        seen = np.zeros(len(level_areas), dtype=bool)
        for r in rows:
            i = area_index.get(areas[r])
            if i is not None:
                dense[i, cat_index[categories[r]]] = values[r]
                seen[i] = True
        out[name] = (cats, dense, seen)
    return _Counts(level_areas, out)


def derive_variables(spec: SegmentSpec, counts: _Counts) -> VariableMatrix:
    """Compute every variable the imported tables allow; say why each other one is missing."""
    derived: list[Variable] = []
    columns: list[FloatArray] = []
    missing: list[MissingVariable] = []
    zero: dict[str, int] = {}
    covered = np.ones(len(counts.areas), dtype=bool)
    for variable in spec.variables:
        got = counts.tables.get(variable.table)
        if got is None:
            missing.append(
                MissingVariable(variable.code, variable.name, variable.table, "table not imported")
            )
            continue
        cats, dense, seen = got
        absent = [c for c in variable.categories if c not in cats]
        if absent:
            reason = f"the imported table has no {absent[0]!r} category"
            missing.append(MissingVariable(variable.code, variable.name, variable.table, reason))
            continue
        covered &= seen
        column, zeros = _compute(spec, variable, cats, dense)
        derived.append(variable)
        columns.append(column)
        if zeros:
            zero[variable.code] = zeros
    if not derived:
        raise SegmentationError(
            f"none of the {len(spec.variables)} variables of {spec.name} can be derived",
            hint="import the census tables first: totalplace census import FILE...",
        )
    keep = np.flatnonzero(covered)
    values = np.column_stack(columns)[keep]
    return VariableMatrix(
        spec,
        [counts.areas[i] for i in keep],
        derived,
        values,
        missing,
        zero,
        [counts.areas[i] for i in np.flatnonzero(~covered)],
    )


def _compute(
    spec: SegmentSpec, variable: Variable, cats: list[str], dense: FloatArray
) -> tuple[FloatArray, int]:
    index = {c: j for j, c in enumerate(cats)}
    numerator = dense[:, [index[c] for c in variable.numerator]].sum(axis=1)
    if variable.measure == "value":
        return numerator, 0
    if variable.denominator == "total":
        table = spec.tables[variable.table]
        # A complete table's total is the sum of its listed categories, so a "Total" row in the file is not
        # counted twice; an incomplete table's total is everything the file holds.
        listed = (
            [index[c] for c in table.categories if c in index] if table.complete else list(index.values())
        )
        denominator = dense[:, listed].sum(axis=1)
    else:
        denominator = dense[:, [index[c] for c in variable.denominator]].sum(axis=1)
    zeros = denominator == 0
    safe = np.where(zeros, 1.0, denominator)
    ratio = np.where(zeros, 0.0, numerator / safe)
    return (100 * ratio if variable.measure == "percentage" else ratio), int(zeros.sum())


def place_variables(engine: AnalyticsBackend, spec: SegmentSpec) -> VariableMatrix:
    """The specification's variables for every area of its level that has census counts."""
    areas = engine.areas
    codes = [
        code
        for code, level in zip(
            areas.column("code").to_pylist(), areas.column("level").to_pylist(), strict=True
        )
        if level == spec.level
    ]
    if not codes:
        raise SegmentationError(
            f"the place has no areas of level {spec.level!r}",
            hint=f"import them first: totalplace geography import FILE --level {spec.level}",
        )
    counts = read_counts(engine, sorted(codes))
    return derive_variables(spec, counts)
