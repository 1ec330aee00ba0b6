"""Access to a service: the distance from each small area's population centre to its nearest site.

Distances are straight lines in British National Grid metres (a k-d tree finds the nearest site), the measure
the public-estate reviews used to compare catchments; travel time over roads is not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from totalplace.engines.estate.sites import AreaCentres, Site, area_centres, load_sites
from totalplace.errors import EstateError

if TYPE_CHECKING:
    from totalplace.place import Place

DEFAULT_BANDS = (800, 1600, 3200, 8000)  # metres: a ten-minute walk, twenty, a short drive, a longer one


@dataclass
class Access:
    """Nearest-site distances for one service over the place's areas, and who is how far."""

    service: str
    level: str
    sites: int
    areas: list[dict[str, Any]]
    bands: list[dict[str, Any]]
    population: int
    mean_distance_m: float
    median_distance_m: float
    max_distance_m: float
    centres: dict[str, int] = field(default_factory=dict)

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
            "within": self.bands,
            "area_centres": self.centres,
            "areas": self.areas,
        }


def nearest(site_xy: np.ndarray[Any, Any], area_xy: np.ndarray[Any, Any], k: int = 1) -> tuple[Any, Any]:
    """Distances and indices of the ``k`` nearest sites to each area centre."""
    from scipy.spatial import cKDTree  # loaded on first use, not at start-up

    distance, index = cKDTree(site_xy).query(area_xy, k=k)
    return distance, index


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


def measure_access(
    centres: AreaCentres, chosen: list[Site], service: str, bands: tuple[int, ...] = DEFAULT_BANDS
) -> Access:
    """Distance from every area centre to its nearest chosen site; population within each band."""
    site_xy = np.array([(s.easting, s.northing) for s in chosen])
    distance, index = nearest(site_xy, centres.xy)
    population = centres.population
    total = int(population.sum())
    weights = population if total else np.ones(len(population))
    order = np.argsort(distance)
    cumulative = np.cumsum(weights[order])
    median = float(distance[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
    rows = [
        {
            "code": code,
            "name": name,
            "population": int(pop),
            "distance_m": round(float(d), 1),
            "nearest": chosen[int(i)].name,
            "nearest_partner": chosen[int(i)].partner,
        }
        for code, name, pop, d, i in zip(
            centres.codes, centres.names, population, distance, index, strict=True
        )
    ]
    within = [
        {
            "metres": band,
            "population": int(population[distance <= band].sum()),
            "share": float(population[distance <= band].sum() / total) if total else None,
            "areas": int((distance <= band).sum()),
        }
        for band in bands
    ]
    return Access(
        service,
        centres.level,
        len(chosen),
        rows,
        within,
        total,
        float(np.average(distance, weights=weights)),
        median,
        float(distance.max()),
        centres.how,
    )


def service_access(
    place: Place, service: str, *, level: str = "lsoa", bands: tuple[int, ...] = DEFAULT_BANDS
) -> Access:
    """Access to ``service`` from every area of ``level``."""
    if not bands or any(b <= 0 for b in bands):
        raise EstateError("distance bands must be positive metres, e.g. 800,1600")
    with place.analytics() as engine:
        sites = load_sites(engine)
    return measure_access(
        area_centres(place, level), sites_offering(sites, service), service, tuple(sorted(bands))
    )
