"""The partners' sites as the estate engines read them, and each small area's centre."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely.geometry

from totalplace.backends.base import AnalyticsBackend
from totalplace.datasets.assets import AreaShapes, AssetsRead, Crs, PostcodeCentres, assets_to_csv, to_bng
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.request import ImportRequest, ImportResult, Progress
from totalplace.datasets.source import read_path
from totalplace.errors import EstateError, RowProblem
from totalplace.governance.policy import Resource
from totalplace.store.areas import boundaries, centres, summary
from totalplace.store.partners import partner_by_name

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Site:
    """One asset or service point of a partner."""

    asset_id: str
    name: str
    type: str
    services: tuple[str, ...]
    partner: str
    lon: float
    lat: float
    easting: float
    northing: float
    area_code: str | None
    floor_area: float | None
    tenure: str | None
    running_cost_pence: int | None

    def offers(self, service: str) -> bool:
        """True when the site is of this type or delivers this service (case-insensitive)."""
        wanted = service.casefold()
        return self.type.casefold() == wanted or wanted in (s.casefold() for s in self.services)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "asset_id": self.asset_id,
            "name": self.name,
            "type": self.type,
            "services": list(self.services),
            "partner": self.partner,
            "lon": self.lon,
            "lat": self.lat,
            "easting": round(self.easting, 1),
            "northing": round(self.northing, 1),
            "area_code": self.area_code,
            "floor_area": self.floor_area,
            "tenure": self.tenure,
            "running_cost_pence": self.running_cost_pence,
        }


@dataclass(frozen=True, slots=True)
class SitesRead:
    """What an asset register gave: rows, how each was located, how many fell inside the place's areas
    (of ``area_level``, the finest with boundaries; None when there is none), what was put right or set
    aside."""

    rows: int
    located_by: dict[str, int]
    in_place: int
    crs: str
    set_aside_unlocated: list[RowProblem]
    swapped_longitude_latitude_rows: list[int]
    area_level: str | None

    @classmethod
    def of(cls, read: AssetsRead, area_level: str | None) -> SitesRead:
        """From the reader's account and the level of area the sites were placed in."""
        return cls(
            read.rows,
            dict(read.located_by),
            read.in_place,
            read.crs,
            list(read.unlocated),
            list(read.swapped),
            area_level,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "rows": self.rows,
            "located_by": self.located_by,
            "in_place": self.in_place,
            "crs": self.crs,
            "set_aside_unlocated": [p.to_dict() for p in self.set_aside_unlocated],
            "swapped_longitude_latitude_rows": self.swapped_longitude_latitude_rows,
            "area_level": self.area_level,
        }


def finest_level_with_boundaries(place: Place) -> str | None:
    """The smallest level of area the place has boundaries for (sites are placed in those)."""
    with place.read() as conn:
        levels = summary(conn)
    return next(
        (lv for lv in ("oa", "lsoa", "msoa", "ward") if levels.get(lv, {}).get("with_boundary")), None
    )


def import_sites(
    place: Place,
    path: Path,
    *,
    partner: str,
    crs: Crs = "auto",
    asset_type: str | None = None,
    postcodes: Path | None = None,
    skip_unlocated: bool = False,
    principal: Principal,
    progress: Progress | None = None,
) -> tuple[ImportResult, SitesRead]:
    """Import a partner's asset register or service points as an ``assets`` batch.

    Sites are the partner's own data: ``principal`` needs batch.import for ``partner``, asked (by the
    importer) before the file is read."""
    with place.read() as conn:
        partner_id = partner_by_name(conn, partner).id if partner else None
    principal.require("batch.import", Resource("batch", f"of assets for {partner}", owner=partner_id))
    limits = ImportLimits.from_settings()
    level = finest_level_with_boundaries(place)
    shapes = None
    if level is not None:
        with place.read() as conn:
            shapes = AreaShapes.of([(code, geometry) for code, _, _, geometry in boundaries(conn, level)])
    body, info = assets_to_csv(
        read_path(path, limits),
        path.name,
        limits=limits,
        areas=shapes,
        crs=crs,
        asset_type=asset_type,
        postcodes=PostcodeCentres.read(postcodes, limits) if postcodes else None,
        skip_unlocated=skip_unlocated,
    )
    from totalplace.datasets.importer import import_file  # PyArrow: only when importing

    result = import_file(
        place,
        body,
        ImportRequest("assets", partner),
        principal=principal,
        source_name=path.name,
        limits=limits,
        progress=progress,
    )
    return result, SitesRead.of(info, level)


def load_sites(engine: AnalyticsBackend) -> list[Site]:
    """Every site of the active asset batches, with its partner."""
    table = engine.query(
        "select a.*, c.partner from assets a join catalog c on a.batch_id = c.batch_id "
        "order by a.batch_id, a.asset_id"
    )
    out = []
    for row in table.to_pylist():
        out.append(
            Site(
                row["asset_id"],
                row["name"],
                row["type"],
                tuple(s.strip() for s in str(row["services"]).replace(";", ",").split(",") if s.strip()),
                row["partner"] or "",
                row["lon"],
                row["lat"],
                row["easting"],
                row["northing"],
                row["area_code"],
                row["floor_area"],
                row["tenure"],
                row["running_cost_pence"],
            )
        )
    return out


@dataclass(frozen=True)
class AreaCentres:
    """Each small area's centre (BNG metres) and population; ``how`` says where each centre came from."""

    level: str
    codes: list[str]
    names: list[str]
    population: npt.NDArray[np.int64]
    xy: FloatArray
    how: dict[str, int]


def area_centres(place: Place, level: str) -> AreaCentres:
    """Population-weighted centres where imported; otherwise the centre of the boundary (and it says so)."""
    with place.read() as conn:
        rows = centres(conn, level)
    if not rows:
        raise EstateError(f"the place has no areas of level {level!r}", hint="import its geography first")
    codes, names, pops, xy, how = [], [], [], [], {"population-weighted": 0, "boundary centre": 0}
    for code, name, population, x, y, boundary in rows:
        if x is not None and y is not None:
            point = (x, y)
            how["population-weighted"] += 1
        elif boundary is not None:
            centre = shapely.geometry.shape(json.loads(boundary)).representative_point()
            east, north = to_bng().transform(centre.x, centre.y)
            point = (float(east), float(north))
            how["boundary centre"] += 1
        else:
            continue
        codes.append(code)
        names.append(name)
        pops.append(population or 0)
        xy.append(point)
    if not codes:
        raise EstateError(
            f"no {level} area has a centre or a boundary",
            hint="import population-weighted centres: totalplace geography import FILE --level "
            f"{level} --update-only",
        )
    return AreaCentres(level, codes, names, np.array(pops, dtype=np.int64), np.array(xy), how)
