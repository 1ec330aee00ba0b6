"""Access to a service: the distance from each small area's population centre to its nearest site.

Distances are straight lines in British National Grid metres (a k-d tree finds the nearest site), the measure
the public-estate reviews used to compare catchments; travel time over roads is not modelled. The bands
residents are counted within are cited parameters (``parameters/estate/distances.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from totalplace.engines.estate.parameters import estate_distances
from totalplace.engines.estate.sites import AreaCentres, FloatArray, Site, area_centres, load_sites
from totalplace.errors import EstateError

if TYPE_CHECKING:
    from totalplace.place import Place

IndexArray = npt.NDArray[np.intp]


def default_bands() -> tuple[int, ...]:
    """The cited access bands in metres (a ten-minute walk, twenty, a short drive, a longer one)."""
    return estate_distances().bands


@dataclass(frozen=True, slots=True)
class AreaAccess:
    """One area's residents and their distance to the nearest site (and whose site it is)."""

    code: str
    name: str
    population: int
    distance_m: float
    nearest: str
    nearest_partner: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "code": self.code,
            "name": self.name,
            "population": self.population,
            "distance_m": self.distance_m,
            "nearest": self.nearest,
            "nearest_partner": self.nearest_partner,
        }


@dataclass(frozen=True, slots=True)
class Within:
    """The residents (and areas) within a band of the nearest site; share is None when nobody lives there."""

    metres: int
    population: int
    share: float | None
    areas: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "metres": self.metres,
            "population": self.population,
            "share": self.share,
            "areas": self.areas,
        }


@dataclass(frozen=True, slots=True)
class Access:
    """Nearest-site distances for one service over the place's areas, and who is how far."""

    service: str
    level: str
    sites: int
    areas: tuple[AreaAccess, ...]
    bands: tuple[Within, ...]
    population: int
    mean_distance_m: float
    median_distance_m: float
    max_distance_m: float
    centres: dict[str, int] = field(default_factory=dict)

    def distances(self) -> dict[str, float]:
        """Each area's distance to its nearest site, by area code."""
        return {a.code: a.distance_m for a in self.areas}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "service": self.service,
            "level": self.level,
            "sites": self.sites,
            "population": self.population,
            "population_weighted_mean_distance_m": round(self.mean_distance_m, 1),
            "median_distance_m": round(self.median_distance_m, 1),
            "max_distance_m": round(self.max_distance_m, 1),
            "within": [b.to_dict() for b in self.bands],
            "area_centres": self.centres,
            "areas": [a.to_dict() for a in self.areas],
        }


def nearest(site_xy: FloatArray, area_xy: FloatArray, k: int = 1) -> tuple[FloatArray, IndexArray]:
    """Distances and indices of the ``k`` nearest sites to each area centre (one column each when k > 1)."""
    from scipy.spatial import cKDTree  # loaded on first use, not at start-up

    distance, index = cKDTree(site_xy).query(area_xy, k=k)
    return np.asarray(distance, dtype=np.float64), np.asarray(index, dtype=np.intp)


def sites_offering(sites: list[Site], service: str) -> list[Site]:
    """The sites of a type or delivering a service, or a coded error listing what there is."""
    chosen = [s for s in sites if s.offers(service)]
    if not chosen:
        known = sorted({s.type for s in sites})
        raise EstateError(
            f"no site offers {service!r}",
            hint=f"types are: {', '.join(known)}"
            if known
            else "import sites first: totalplace estate import",
        )
    return chosen


def _weighted_median(distance: FloatArray, weights: npt.NDArray[Any]) -> float:
    """The distance half the residents (by weight) are within."""
    order = np.argsort(distance)
    cumulative = np.cumsum(weights[order])
    return float(distance[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _within(distance: FloatArray, population: npt.NDArray[np.int64], bands: tuple[int, ...]) -> list[Within]:
    total = int(population.sum())
    return [
        Within(
            band,
            int(population[distance <= band].sum()),
            float(population[distance <= band].sum() / total) if total else None,
            int((distance <= band).sum()),
        )
        for band in bands
    ]


def measure_access(
    centres: AreaCentres, chosen: list[Site], service: str, bands: tuple[int, ...] | None = None
) -> Access:
    """Distance from every area centre to its nearest chosen site; population within each band (the cited
    bands unless given)."""
    site_xy = np.array([(s.easting, s.northing) for s in chosen])
    distance, index = nearest(site_xy, centres.xy)
    population = centres.population
    total = int(population.sum())
    weights = population if total else np.ones(len(population))
    rows = [
        AreaAccess(code, name, int(pop), round(float(d), 1), chosen[int(i)].name, chosen[int(i)].partner)
        for code, name, pop, d, i in zip(
            centres.codes, centres.names, population, distance, index, strict=True
        )
    ]
    return Access(
        service,
        centres.level,
        len(chosen),
        tuple(rows),
        tuple(_within(distance, population, default_bands() if bands is None else bands)),
        total,
        float(np.average(distance, weights=weights)),
        _weighted_median(distance, weights),
        float(distance.max()),
        centres.how,
    )


def service_access(
    place: Place, service: str, *, level: str = "lsoa", bands: tuple[int, ...] | None = None
) -> Access:
    """Access to ``service`` from every area of ``level`` (counted within the cited bands unless given)."""
    if bands is not None and (not bands or any(b <= 0 for b in bands)):
        raise EstateError("distance bands must be positive metres, e.g. 800,1600")
    with place.analytics() as engine:
        sites = load_sites(engine)
    centres = area_centres(place, level)  # a place without areas says so before an unknown service
    return measure_access(
        centres, sites_offering(sites, service), service, None if bands is None else tuple(sorted(bands))
    )
