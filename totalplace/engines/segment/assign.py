"""Assigning areas to the nearest centroid of a published classification (such as the 2021 OAC's).

A centroids file is a CSV with a cluster code column and one column per variable, on the classification's
transformed scale (inverse hyperbolic sine, then range-standardised). The place's variables are transformed
the same way, with the published ranges when given (``--ranges``: variable, min, max on the inverse
hyperbolic sine scale) or the place's own. Each area goes to the nearest centroid by Euclidean distance; the
runner-up and the margin between them show which areas are doubtful.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from totalplace.datasets.values import CellError, parse_number
from totalplace.engines.segment.cluster import Ranges, transform
from totalplace.engines.segment.variables import VariableMatrix
from totalplace.errors import SpecInvalidError
from totalplace.store.segments import AssignedArea, MemberRow

FloatArray = npt.NDArray[np.float64]
_MAX_CHARS = 16 * 1024 * 1024  # published centroids are a few kilobytes: 60 variables by a few hundred codes
_CODE_HEADERS = ("code", "cluster", "cluster_code", "supergroup", "group", "subgroup", "segment")


@dataclass(frozen=True)
class Centroids:
    """Published cluster centres: codes, variable codes and one row per cluster."""

    codes: list[str]
    variables: list[str]
    values: FloatArray


def _rows(data: bytes, name: str) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecInvalidError(f"cannot read {name}: {exc}", hint="save it as UTF-8 CSV") from None
    if len(text) > _MAX_CHARS:
        raise SpecInvalidError(
            f"{name} has {len(text):,} characters; a centroids or ranges file has far fewer"
        )
    try:
        return [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise SpecInvalidError(f"{name} cannot be read as CSV: {exc}") from None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpecInvalidError(f"cannot read {path.name}: {exc}") from None


def read_centroids(path: Path) -> Centroids:
    """Read a centroids CSV, refusing cells that are not numbers (file, row and column named)."""
    return parse_centroids(_read(path), path.name)


def parse_centroids(data: bytes, name: str) -> Centroids:
    """A centroids CSV's bytes (``name`` for errors): cluster code, then one column per variable."""
    rows = _rows(data, name)
    if len(rows) < 3:
        raise SpecInvalidError(f"{name} needs a header and at least two clusters")
    header = [h.strip() for h in rows[0]]
    lowered = [h.lower() for h in header]
    code_col = next((lowered.index(h) for h in _CODE_HEADERS if h in lowered), 0)
    variables = [h for i, h in enumerate(header) if i != code_col]
    values = np.zeros((len(rows) - 1, len(variables)))
    for r, row in enumerate(rows[1:]):
        cells = [c for i, c in enumerate(row) if i != code_col]
        if len(cells) != len(variables):
            raise SpecInvalidError(
                f"{name} row {r + 2} has {len(cells)} values; the header names {len(variables)}"
            )
        for j, cell in enumerate(cells):
            try:
                values[r, j] = parse_number(cell)
            except CellError as exc:
                raise SpecInvalidError(f"{name} row {r + 2}, column {variables[j]}: {exc}") from None
    return Centroids([row[code_col].strip() for row in rows[1:]], variables, values)


def read_ranges(path: Path) -> Ranges:
    """Read a ranges CSV: variable, min, max (on the inverse hyperbolic sine scale)."""
    return parse_ranges(_read(path), path.name)


def parse_ranges(data: bytes, name: str) -> Ranges:
    """A ranges CSV's bytes: variable, min, max."""
    rows = _rows(data, name)
    out: dict[str, list[float]] = {}
    for number, row in enumerate(rows[1:], start=2):
        try:
            out[row[0].strip()] = [parse_number(row[1]), parse_number(row[2])]
        except (CellError, IndexError):
            raise SpecInvalidError(f"{name} row {number}: expected variable,min,max") from None
    return Ranges.from_dict(out)


@dataclass(frozen=True)
class Assignment:
    """Each area's nearest and runner-up centroid, on the variables both sides have."""

    areas: list[str]
    nearest: list[str]
    distance: FloatArray
    runner_up: list[str]
    runner_up_distance: FloatArray
    variables_used: list[str]
    variables_missing: list[str]

    def rows(self) -> list[AssignedArea]:
        """One row per area (distances to 4 places), most doubtful (smallest margin) first."""
        out = [
            AssignedArea(
                a,
                n,
                round(float(d), 4),
                r,
                round(float(rd), 4),
                round(float(rd - d), 4),
            )
            for a, n, d, r, rd in zip(
                self.areas, self.nearest, self.distance, self.runner_up, self.runner_up_distance, strict=True
            )
        ]
        return sorted(out, key=lambda row: row.margin)

    def members(self) -> list[MemberRow]:
        """Each area's nearest centroid and runner-up with their distances, as the store keeps them."""
        return [
            MemberRow(a, n, float(d), r, float(rd))
            for a, n, d, r, rd in zip(
                self.areas, self.nearest, self.distance, self.runner_up, self.runner_up_distance, strict=True
            )
        ]


def assign(matrix: VariableMatrix, centroids: Centroids, ranges: Ranges | None = None) -> Assignment:
    """Assign every area of the matrix to its nearest centroid."""
    used = [c for c in centroids.variables if c in matrix.codes]
    missing = [c for c in centroids.variables if c not in matrix.codes]
    if len(used) < 2:
        raise SpecInvalidError(
            f"the centroids' variables ({', '.join(centroids.variables[:5])}...) are not the place's "
            f"({', '.join(matrix.codes[:5])}...)",
            hint="use the specification whose variable codes the centroids file uses",
        )
    if ranges is not None:
        absent = [c for c in used if c not in ranges.codes]
        if absent:
            raise SpecInvalidError(f"the ranges file has no {absent[0]}")
    columns = [matrix.codes.index(c) for c in used]
    data, _ = transform(matrix.values[:, columns], used, ranges)
    centres = centroids.values[:, [centroids.variables.index(c) for c in used]]
    squared = ((data[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    order = np.argsort(squared, axis=1)
    first, second = order[:, 0], order[:, 1]
    rows = np.arange(len(data))
    return Assignment(
        list(matrix.areas),
        [centroids.codes[i] for i in first],
        np.sqrt(squared[rows, first]),
        [centroids.codes[i] for i in second],
        np.sqrt(squared[rows, second]),
        used,
        missing,
    )


def centroids_csv(codes: list[str], variables: list[str], rows: list[list[float]]) -> str:
    """A classification's centroids as the CSV :func:`read_centroids` reads, for other places to use."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", *variables])
    for code, row in zip(codes, rows, strict=True):
        writer.writerow([code, *(f"{v:.6f}" for v in row)])
    return out.getvalue()


def ranges_csv(ranges: dict[str, list[float]]) -> str:
    """Standardisation ranges as the CSV :func:`read_ranges` reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variable", "min", "max"])
    for code, (low, high) in ranges.items():
        writer.writerow([code, f"{low:.9f}", f"{high:.9f}"])
    return out.getvalue()
