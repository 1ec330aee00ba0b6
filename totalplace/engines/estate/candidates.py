"""Candidates for sharing and releasing buildings, each with its evidence.

- **Co-location**: sites of different partners within a short walk of each other whose catchments (the
  areas whose centre lies within the catchment radius) hold mostly the same people. Moving one service into
  the other's building keeps both in reach of the same residents.
- **Rationalisation**: a site whose catchment (the areas for which it is the nearest site of its type)
  would still be served within the access standard by the next-nearest site of the same type if it closed.

Both are screens for officers to examine, not decisions: straight-line distances, no capacity or condition.
The distances are cited parameters (``parameters/estate/distances.yaml``); a caller may set its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from totalplace.engines.estate.access import IndexArray, nearest
from totalplace.engines.estate.parameters import estate_distances
from totalplace.engines.estate.sites import AreaCentres, FloatArray, Site, area_centres, load_sites

if TYPE_CHECKING:
    from totalplace.place import Place


def _within_m() -> float:
    return estate_distances().colocation.within_m.value


def _catchment_m() -> float:
    return estate_distances().colocation.catchment_m.value


def _min_overlap() -> float:
    return estate_distances().colocation.min_overlap.value


def _standard_m() -> float:
    return estate_distances().rationalisation.access_standard_m.value


@dataclass(frozen=True, slots=True)
class CandidateRules:
    """The distances the screens use (metres) and the share of a catchment that must be shared; each is the
    cited parameter unless given."""

    colocate_within_m: float = field(default_factory=_within_m)
    catchment_m: float = field(default_factory=_catchment_m)
    min_overlap: float = field(default_factory=_min_overlap)
    access_standard_m: float = field(default_factory=_standard_m)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "colocate_within_m": self.colocate_within_m,
            "catchment_m": self.catchment_m,
            "min_overlap": self.min_overlap,
            "access_standard_m": self.access_standard_m,
        }


def _brief(site: Site) -> dict[str, Any]:
    """The fields a candidate names its sites by."""
    return {
        "asset_id": site.asset_id,
        "name": site.name,
        "partner": site.partner,
        "type": site.type,
        "lon": site.lon,
        "lat": site.lat,
        "floor_area": site.floor_area,
        "running_cost_pence": site.running_cost_pence,
    }


@dataclass(frozen=True, slots=True)
class Colocation:
    """Two sites of different partners close together whose catchments hold mostly the same residents."""

    sites: tuple[Site, Site]
    distance_m: float
    catchment_overlap: float
    shared_population: int
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "sites": [_brief(s) for s in self.sites],
            "distance_m": self.distance_m,
            "catchment_overlap": self.catchment_overlap,
            "shared_population": self.shared_population,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Rationalisation:
    """A site whose residents would all still be within the standard of another site of its type."""

    site: Site
    areas_served: int
    population_served: int
    mean_distance_now_m: float
    mean_distance_after_m: float
    max_distance_after_m: float
    taken_over_by: str
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "site": _brief(self.site),
            "areas_served": self.areas_served,
            "population_served": self.population_served,
            "mean_distance_now_m": self.mean_distance_now_m,
            "mean_distance_after_m": self.mean_distance_after_m,
            "max_distance_after_m": self.max_distance_after_m,
            "taken_over_by": self.taken_over_by,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Candidates:
    """Both screens over the place's sites, with the rules they used."""

    rules: CandidateRules
    sites: int
    colocation: tuple[Colocation, ...]
    rationalisation: tuple[Rationalisation, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "rules": self.rules.to_dict(),
            "sites": self.sites,
            "colocation": [c.to_dict() for c in self.colocation],
            "rationalisation": [r.to_dict() for r in self.rationalisation],
        }


def _population(centres: AreaCentres, areas: set[int]) -> int:
    return int(centres.population[sorted(areas)].sum()) if areas else 0


def _pair(
    sites: tuple[Site, Site], xy: FloatArray, catchments: tuple[set[int], set[int]], centres: AreaCentres
) -> tuple[float, int, float]:
    """The overlap of two sites' catchments (a share of the smaller), residents in both, and the distance."""
    first, second = catchments
    shared = _population(centres, first & second)
    smaller = min(_population(centres, first), _population(centres, second))
    return (shared / smaller if smaller else 0.0), shared, float(np.hypot(*(xy[0] - xy[1])))


def colocation(sites: list[Site], centres: AreaCentres, rules: CandidateRules) -> list[Colocation]:
    """Pairs of sites of different partners close together with overlapping catchments."""
    if len(sites) < 2:
        return []
    from scipy.spatial import cKDTree  # loaded on first use, not at start-up

    xy = np.array([(s.easting, s.northing) for s in sites])
    catchments = cKDTree(centres.xy).query_ball_point(xy, r=rules.catchment_m)
    out = []
    for i, j in sorted(cKDTree(xy).query_pairs(r=rules.colocate_within_m)):
        a, b = sites[i], sites[j]
        if a.partner == b.partner:
            continue
        overlap, shared, apart = _pair((a, b), xy[[i, j]], (set(catchments[i]), set(catchments[j])), centres)
        if overlap < rules.min_overlap:
            continue
        evidence = (
            f"{a.name} ({a.partner}, {a.type}) and {b.name} ({b.partner}, {b.type}) are "
            f"{apart:.0f} m apart; {100 * overlap:.0f}% of the smaller catchment "
            f"({shared:,} residents within {rules.catchment_m:.0f} m of both) is shared"
        )
        out.append(Colocation((a, b), round(apart, 1), round(overlap, 3), shared, evidence))
    return sorted(out, key=lambda c: (-c.catchment_overlap, c.distance_m))


def rationalisation(sites: list[Site], centres: AreaCentres, rules: CandidateRules) -> list[Rationalisation]:
    """Sites whose catchment the next-nearest site of the same type would still serve within the standard."""
    out = []
    for kind in sorted({s.type for s in sites}):
        same = [s for s in sites if s.type == kind]
        if len(same) >= 2:
            out.extend(_released_of_type(kind, same, centres, rules))
    return sorted(out, key=lambda c: c.max_distance_after_m)


def _released_of_type(
    kind: str, same: list[Site], centres: AreaCentres, rules: CandidateRules
) -> list[Rationalisation]:
    """The sites of one type whose every resident has another site of the type within the standard."""
    two = nearest(np.array([(s.easting, s.northing) for s in same]), centres.xy, k=2)
    out = []
    for position, site in enumerate(same):
        served = two[1][:, 0] == position
        if served.any() and two[0][served, 1].max() <= rules.access_standard_m:
            out.append(_released(kind, site, same, served, two, centres, rules))
    return out


def _released(
    kind: str,
    site: Site,
    same: list[Site],
    served: npt.NDArray[np.bool_],
    two: tuple[FloatArray, IndexArray],
    centres: AreaCentres,
    rules: CandidateRules,
) -> Rationalisation:
    """The evidence that the residents ``site`` serves would be served by the next-nearest of its type."""
    distance, index = two
    now, after = distance[served, 0], distance[served, 1]
    population = centres.population[served]
    takers = np.bincount(index[served, 1], weights=population, minlength=len(same))
    taker = same[int(takers.argmax())].name
    weights = population if population.sum() else np.ones(len(population))
    evidence = (
        f"if {site.name} closed, all {int(population.sum()):,} residents it is nearest to "
        f"would still be within {after.max():.0f} m of another {kind} "
        f"(standard {rules.access_standard_m:.0f} m), mostly {taker}"
    )
    return Rationalisation(
        site,
        int(served.sum()),
        int(population.sum()),
        round(float(np.average(now, weights=weights)), 1),
        round(float(np.average(after, weights=weights)), 1),
        round(float(after.max()), 1),
        taker,
        evidence,
    )


def screen(sites: list[Site], centres: AreaCentres, rules: CandidateRules | None = None) -> Candidates:
    """Both screens over the given sites and area centres (the cited rules unless given)."""
    rules = rules or CandidateRules()
    return Candidates(
        rules,
        len(sites),
        tuple(colocation(sites, centres, rules)),
        tuple(rationalisation(sites, centres, rules)),
    )


def candidates(place: Place, *, level: str = "lsoa", rules: CandidateRules | None = None) -> Candidates:
    """Both screens over every site of the place."""
    with place.analytics() as engine:
        sites = load_sites(engine)
    return screen(sites, area_centres(place, level), rules)
