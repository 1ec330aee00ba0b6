"""Comparator sets: the local authorities most like the place, computed from open data, with the distance
explained.

Each authority is described by the population-weighted mean rank of its LSOAs on the seven domains of the
English Indices of Deprivation, its population (log), its density (log) and the share of its people living
in rural LSOAs (2011 rural-urban classification, classes D and E). Each variable is standardised across all
authorities and the distance is Euclidean, in the manner of the CIPFA nearest-neighbour model; each
neighbour's distance is broken down into the share each variable contributes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection

from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.schema import normalise_header
from totalplace.datasets.source import read_path, read_source
from totalplace.errors import InvalidInputError, NotFoundError
from totalplace.store import outcomes as store

DOMAINS: Final = (
    ("income", "income rank"),
    ("employment", "employment rank"),
    ("education", "education skills and training rank"),
    ("health", "health deprivation and disability rank"),
    ("crime", "crime rank"),
    ("barriers", "barriers to housing and services rank"),
    ("living_environment", "living environment rank"),
)
RURAL_CLASSES: Final = ("D1", "D2", "E1", "E2")


@dataclass(frozen=True)
class Profiles:
    """Authorities' codes, names and variables (one row each)."""

    codes: list[str]
    names: list[str]
    variables: list[str]
    values: np.ndarray[Any, Any]


def _table(path: Path, limits: ImportLimits) -> tuple[list[str], list[list[Any]]]:
    rows = read_source(read_path(path, limits), path.name, limits).rows
    _, header = next(rows, (0, []))
    return [normalise_header(h) for h in header], [cells for _, cells in rows]


def _column(header: list[str], starts: str, file: str) -> int:
    for i, name in enumerate(header):
        if name.startswith(starts):
            return i
    raise InvalidInputError(
        f"{file} has no column starting {starts!r}", hint="use the files named in docs/outcomes.md"
    )


def la_profiles(imd: Path, population: Path, rurality: Path) -> Profiles:
    """Authority profiles from the IoD2019 domains file, LSOA populations and the LSOA rural-urban classes."""
    limits = ImportLimits.from_settings()
    header, rows = _table(population, limits)
    code_col, pop_col, area_col = (
        _column(header, "code", population.name),
        _column(header, "mid", population.name),
        _column(header, "area sq km", population.name),
    )
    people = {
        r[code_col]: (float(str(r[pop_col]).replace(",", "")), float(r[area_col]))
        for r in rows
        if r[code_col]
    }
    header, rows = _table(rurality, limits)
    ruc_code, ruc_class = (
        _column(header, "lsoa11cd", rurality.name),
        _column(header, "ruc11cd", rurality.name),
    )
    rural = {r[ruc_code]: str(r[ruc_class]) in RURAL_CLASSES for r in rows}
    header, rows = _table(imd, limits)
    lsoa, lad, lad_name = (
        _column(header, "lsoa code", imd.name),
        _column(header, "local authority district code", imd.name),
        _column(header, "local authority district name", imd.name),
    )
    domains = [_column(header, starts, imd.name) for _, starts in DOMAINS]
    sums: dict[str, np.ndarray[Any, Any]] = {}
    names: dict[str, str] = {}
    for r in rows:
        pop, km2 = people.get(r[lsoa], (0.0, 0.0))
        acc = sums.setdefault(r[lad], np.zeros(len(domains) + 3))
        acc[: len(domains)] += pop * np.array([float(r[d]) for d in domains])
        acc[len(domains)] += pop
        acc[len(domains) + 1] += km2
        acc[len(domains) + 2] += pop if rural.get(r[lsoa]) else 0.0
        names[r[lad]] = r[lad_name]
    codes = sorted(c for c, acc in sums.items() if acc[len(domains)] > 0)
    values = []
    for code in codes:
        acc = sums[code]
        pop, km2, rural_pop = acc[len(domains)], acc[len(domains) + 1], acc[len(domains) + 2]
        values.append([*(acc[: len(domains)] / pop), math.log(pop), math.log(pop / km2), rural_pop / pop])
    variables = [
        *(f"{name}_mean_rank" for name, _ in DOMAINS),
        "log_population",
        "log_density",
        "rural_share",
    ]
    return Profiles(codes, [names[c] for c in codes], variables, np.array(values))


@dataclass(frozen=True, slots=True)
class Neighbour:
    """An authority near the place: its distance, and the share of it each variable contributes."""

    code: str
    name: str
    distance: float
    contributions: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (as a comparator set keeps its members)."""
        return {
            "code": self.code,
            "name": self.name,
            "distance": self.distance,
            "contributions": dict(self.contributions),
        }


@dataclass(frozen=True, slots=True)
class ComparatorSet:
    """A kept comparator set: its name and members, nearest first."""

    name: str
    members: tuple[Neighbour, ...]

    def codes(self) -> list[str]:
        """The members' area codes."""
        return [m.code for m in self.members]


def nearest(profiles: Profiles, area: str, k: int = 15) -> list[Neighbour]:
    """The ``k`` authorities nearest ``area``, each with its distance and what makes it up."""
    if area not in profiles.codes:
        raise NotFoundError(
            f"{area} is not among the {len(profiles.codes)} authorities profiled",
            hint="use a 2019 local authority district code",
        )
    spread = profiles.values.std(axis=0)
    z = (profiles.values - profiles.values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    target = z[profiles.codes.index(area)]
    squared = (z - target) ** 2
    distance = np.sqrt(squared.sum(axis=1))
    order = [i for i in np.argsort(distance) if profiles.codes[i] != area][:k]
    return [
        Neighbour(
            profiles.codes[i],
            profiles.names[i],
            round(float(distance[i]), 4),
            {
                v: round(float(squared[i, j] / max(squared[i].sum(), 1e-12)), 3)
                for j, v in enumerate(profiles.variables)
            },
        )
        for i in order
    ]


def save_set(conn: Connection, *, name: str, area: str, members: Sequence[Neighbour], actor: str) -> None:
    """Keep a comparator set (a new version under the same name replaces the old for benchmarking)."""
    store.add_comparator_set(conn, name=name, area=area, members=[m.to_dict() for m in members], actor=actor)


def current_set(conn: Connection, name: str | None = None) -> ComparatorSet | None:
    """The latest comparator set (of ``name``, if given)."""
    row = store.latest_comparator_set(conn, name)
    if row is None:
        return None
    members = tuple(
        Neighbour(m["code"], m["name"], m["distance"], dict(m.get("contributions") or {}))
        for m in row.members
    )
    return ComparatorSet(row.name, members)
