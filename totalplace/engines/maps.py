"""Measures by small area for the map: anything the place knows about its areas, shaded on one choropleth.

A measure is named by a key:

- ``population``: the area's population;
- ``measure:SET:COLUMN``: a figure imported with ``totalplace measures import`` (deprivation ranks, an
  indicator, anything by area code);
- ``variable:SPEC:CODE``: a classification variable derived from the census tables (e.g.
  ``variable:oac2021:v42``, social rented households);
- ``segment:NAME``: the cluster of a segmentation (a class, not an amount);
- ``access:SERVICE``: the distance in metres to the nearest site offering the service;
- ``catchment:SERVICE``: which site offering the service is nearest (each site's catchment, as a class).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from totalplace.datasets.census import CensusFile, CensusTableSpec, census_to_csv
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.request import ImportRequest, ImportResult
from totalplace.datasets.source import read_path
from totalplace.engines.estate.access import service_access
from totalplace.engines.estate.sites import load_sites
from totalplace.engines.segment.run import variables_for
from totalplace.engines.segment.spec import PACKAGED, load_spec
from totalplace.engines.spendmap.map import check_level
from totalplace.errors import InvalidInputError, NotFoundError
from totalplace.store.areas import list_areas
from totalplace.store.segments import (
    ClusterRow,
    clusters_of,
    get_segmentation,
    list_segmentations,
    members_of,
)

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place

#: An area's value: an amount (a count, a rate, metres) or, for a categorical measure, a class's name.
AreaValue = int | float | str


@dataclass(frozen=True, slots=True)
class AreaMeasure:
    """One value per area code, what it is, and whether it is a class rather than an amount."""

    key: str
    title: str
    level: str
    values: Mapping[str, AreaValue]
    categorical: bool = False

    def amounts(self) -> list[int | float]:
        """The values that are amounts (none for a categorical measure's classes)."""
        return [v for v in self.values.values() if isinstance(v, int | float)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "key": self.key,
            "title": self.title,
            "level": self.level,
            "categorical": self.categorical,
            "values": dict(self.values),
        }


@dataclass(frozen=True, slots=True)
class MeasureChoice:
    """A measure the place can map now: its key and what a person calls it."""

    key: str
    title: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"key": self.key, "title": self.title}


def import_measures(
    place: Place,
    path: Path,
    *,
    name: str,
    columns: list[str],
    level: str,
    code_column: str | None = None,
    principal: Principal,
) -> tuple[ImportResult, CensusFile]:
    """Import columns of figures by area code (e.g. IMD deciles); rows for other areas are skipped (the
    :class:`CensusFile` says how many areas were read and how many were outside the place).

    Area measures are the whole place's data: ``principal`` needs geography.change, asked before the file
    is read."""
    principal.require("geography.change")
    if not columns:
        raise InvalidInputError("name the columns to import with --column", hint='e.g. --column "IMD Decile"')
    with place.read() as conn:
        known = {a.code for a in list_areas(conn, level)}
    if not known:
        raise InvalidInputError(f"the place has no {level} areas", hint="import its geography first")
    limits = ImportLimits.from_settings()
    wanted = frozenset(columns)
    body, info = census_to_csv(
        read_path(path, limits),
        path.name,
        specs=CensusTableSpec({name: wanted}, {name: wanted}),
        known_areas=known,
        limits=limits,
        table=name,
        layout="wide",
        ignore_other_areas=True,
        allow_negative=True,
        area_column=code_column,
    )
    from totalplace.datasets.importer import import_file  # PyArrow: only when importing

    result = import_file(
        place,
        body,
        ImportRequest("census"),
        principal=principal,
        source_name=f"{path.name} [{name}]",
        limits=limits,
    )
    return result, info


def available(place: Place) -> list[MeasureChoice]:
    """The measures the place can map now."""
    out = [MeasureChoice("population", "Population")]
    with place.analytics() as engine:
        pairs = engine.query('select distinct "table", category from census order by 1, 2').to_pylist()
    spec_tables = {t for name in PACKAGED for t in load_spec(name).tables}
    out += [
        MeasureChoice(f"measure:{p['table']}:{p['category']}", f"{p['category']} ({p['table']})")
        for p in pairs
        if p["table"] not in spec_tables
    ]
    if any(p["table"] in load_spec("oac2021").tables for p in pairs):
        matrix = variables_for(place, load_spec("oac2021"))
        out += [
            MeasureChoice(f"variable:oac2021:{v.code}", f"{v.name} ({v.measure})") for v in matrix.variables
        ]
    with place.read() as conn:
        out += [MeasureChoice(f"segment:{s.name}", f"Segments: {s.title}") for s in list_segmentations(conn)]
    with place.analytics() as engine:
        kinds = sorted({s.type for s in load_sites(engine)})
    for kind in kinds:
        out += [
            MeasureChoice(f"access:{kind}", f"Distance to the nearest {kind}"),
            MeasureChoice(f"catchment:{kind}", f"Catchments of each {kind}"),
        ]
    return out


def measure(place: Place, key: str, *, level: str = "lsoa") -> AreaMeasure:
    """The values of the measure named by ``key`` (see the module's docstring)."""
    check_level(level)
    kind, _, rest = key.partition(":")
    reader = _READERS.get(kind)
    if reader is None:
        raise InvalidInputError(
            f"unknown measure {key!r}",
            hint="measures look like population, measure:SET:COLUMN, variable:oac2021:v42, "
            "segment:NAME, access:SERVICE or catchment:SERVICE",
        )
    return reader(place, key, rest, level)


def _population(place: Place, key: str, _rest: str, level: str) -> AreaMeasure:
    with place.read() as conn:
        values = {a.code: a.population for a in list_areas(conn, level) if a.population is not None}
    return AreaMeasure(key, "Population", level, values)


def _imported(place: Place, key: str, rest: str, level: str) -> AreaMeasure:
    """A column of an imported set of measures, from its latest batch; its level is that of its areas."""
    table, _, column = rest.partition(":")
    with place.analytics() as engine:
        rows = engine.query(
            "select c.area_code, c.value from census c "
            'join (select "table", max(batch_id) as b from census group by 1) latest '
            'on latest."table" = c."table" and latest.b = c.batch_id '
            'where c."table" = $table and c.category = $category',
            {"table": table, "category": column},
        ).to_pylist()
    if not rows:
        raise NotFoundError(f"no measure {rest!r}", hint="see the list on /map, or import one")
    with place.read() as conn:
        levels = {a.code: a.level for a in list_areas(conn)}
    return AreaMeasure(
        key,
        f"{column} ({table})",
        levels.get(rows[0]["area_code"], level),
        {r["area_code"]: r["value"] for r in rows},
    )


def _variable(place: Place, key: str, rest: str, _level: str) -> AreaMeasure:
    """A variable derived from the census tables by a packaged classification's specification."""
    spec_name, _, code = rest.partition(":")
    if spec_name not in PACKAGED:  # never a specification read from a path a request names
        raise NotFoundError(f"no packaged specification {spec_name[:40]!r}", hint="use oac2021")
    spec = load_spec(spec_name)
    matrix = variables_for(place, spec)
    if code not in matrix.codes:
        raise NotFoundError(
            f"{spec_name} has no derived variable {code!r}", hint=f"variables: {', '.join(matrix.codes)}"
        )
    variable = next(v for v in matrix.variables if v.code == code)
    return AreaMeasure(
        key,
        variable.name,
        spec.level,
        dict(zip(matrix.areas, matrix.column(code).round(2).tolist(), strict=True)),
    )


def _segment(place: Place, key: str, rest: str, _level: str) -> AreaMeasure:
    """Each area's top-level cluster of a stored segmentation, as a class."""
    with place.read() as conn:
        seg = get_segmentation(conn, rest)
        clusters = {c.code: c for c in clusters_of(conn, seg.id)}
        members = members_of(conn, seg.id)
    top = {m.area_code: clusters[_top(m.code, clusters)].label for m in members}
    return AreaMeasure(key, seg.title, seg.level, top, categorical=True)


def _access(place: Place, key: str, rest: str, level: str) -> AreaMeasure:
    access = service_access(place, rest, level=level)
    return AreaMeasure(key, f"Metres to the nearest {rest}", level, access.distances())


def _catchment(place: Place, key: str, rest: str, level: str) -> AreaMeasure:
    access = service_access(place, rest, level=level)
    nearest = {a.code: a.nearest for a in access.areas}
    return AreaMeasure(key, f"Catchments of each {rest}", level, nearest, categorical=True)


_READERS: Final[dict[str, Callable[[Place, str, str, str], AreaMeasure]]] = {
    "population": _population,
    "measure": _imported,
    "variable": _variable,
    "segment": _segment,
    "access": _access,
    "catchment": _catchment,
}


def _top(code: str, clusters: Mapping[str, ClusterRow]) -> str:
    """The top-level cluster above ``code``."""
    while clusters.get(code) is not None and clusters[code].parent_code:
        code = str(clusters[code].parent_code)
    return code
