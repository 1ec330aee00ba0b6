"""Candidates for sharing and releasing buildings, each with its evidence.

- **Co-location**: sites of different partners within a short walk of each other whose catchments (the
  areas whose centre lies within the catchment radius) hold mostly the same people. Moving one service into
  the other's building keeps both in reach of the same residents.
- **Rationalisation**: a site whose catchment (the areas for which it is the nearest site of its type)
  would still be served within the access standard by the next-nearest site of the same type if it closed.

Both are screens for officers to examine, not decisions: straight-line distances, no capacity or condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from totalplace.engines.estate.access import nearest
from totalplace.engines.estate.sites import AreaCentres, Site, area_centres, load_sites

if TYPE_CHECKING:
    from totalplace.place import Place


@dataclass(frozen=True)
class CandidateRules:
    """The distances the screens use (metres)."""

    colocate_within_m: float = 250.0
    catchment_m: float = 1600.0
    min_overlap: float = 0.5
    access_standard_m: float = 1600.0


def colocation(sites: list[Site], centres: AreaCentres, rules: CandidateRules) -> list[dict[str, Any]]:
    """Pairs of sites of different partners close together with overlapping catchments."""
    if len(sites) < 2:
        return []
    from scipy.spatial import cKDTree  # loaded on first use, not at start-up

    xy = np.array([(s.easting, s.northing) for s in sites])
    area_tree = cKDTree(centres.xy)
    catchments = area_tree.query_ball_point(xy, r=rules.catchment_m)
    out = []
    for i, j in sorted(cKDTree(xy).query_pairs(r=rules.colocate_within_m)):
        a, b = sites[i], sites[j]
        if a.partner == b.partner:
            continue
        first, second = set(catchments[i]), set(catchments[j])
        shared = int(centres.population[sorted(first & second)].sum()) if first & second else 0
        smaller = min(
            int(centres.population[sorted(first)].sum()), int(centres.population[sorted(second)].sum())
        )
        overlap = shared / smaller if smaller else 0.0
        if overlap < rules.min_overlap:
            continue
        apart = float(np.hypot(*(xy[i] - xy[j])))
        out.append(
            {
                "sites": [_brief(a), _brief(b)],
                "distance_m": round(apart, 1),
                "catchment_overlap": round(overlap, 3),
                "shared_population": shared,
                "evidence": (
                    f"{a.name} ({a.partner}, {a.type}) and {b.name} ({b.partner}, {b.type}) are "
                    f"{apart:.0f} m apart; {100 * overlap:.0f}% of the smaller catchment "
                    f"({shared:,} residents within {rules.catchment_m:.0f} m of both) is shared"
                ),
            }
        )
    return sorted(out, key=lambda c: (-c["catchment_overlap"], c["distance_m"]))


def rationalisation(sites: list[Site], centres: AreaCentres, rules: CandidateRules) -> list[dict[str, Any]]:
    """Sites whose catchment the next-nearest site of the same type would still serve within the standard."""
    out = []
    for kind in sorted({s.type for s in sites}):
        same = [s for s in sites if s.type == kind]
        if len(same) < 2:
            continue
        xy = np.array([(s.easting, s.northing) for s in same])
        distance, index = nearest(xy, centres.xy, k=2)
        for position, site in enumerate(same):
            served = index[:, 0] == position
            if not served.any():
                continue
            now, after = distance[served, 0], distance[served, 1]
            population = centres.population[served]
            if after.max() > rules.access_standard_m:
                continue
            takers = np.bincount(index[served, 1], weights=population, minlength=len(same))
            taker = same[int(takers.argmax())].name
            out.append(
                {
                    "site": _brief(site),
                    "areas_served": int(served.sum()),
                    "population_served": int(population.sum()),
                    "mean_distance_now_m": round(float(np.average(now, weights=_weights(population))), 1),
                    "mean_distance_after_m": round(float(np.average(after, weights=_weights(population))), 1),
                    "max_distance_after_m": round(float(after.max()), 1),
                    "taken_over_by": taker,
                    "evidence": (
                        f"if {site.name} closed, all {int(population.sum()):,} residents it is nearest to "
                        f"would still be within {after.max():.0f} m of another {kind} "
                        f"(standard {rules.access_standard_m:.0f} m), mostly {taker}"
                    ),
                }
            )
    return sorted(out, key=lambda c: c["max_distance_after_m"])


def _weights(population: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return population if population.sum() else np.ones(len(population))


def _brief(site: Site) -> dict[str, Any]:
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


def candidates(place: Place, *, level: str = "lsoa", rules: CandidateRules | None = None) -> dict[str, Any]:
    """Both screens over every site of the place."""
    rules = rules or CandidateRules()
    with place.analytics() as engine:
        sites = load_sites(engine)
    centres = area_centres(place, level)
    return {
        "rules": rules.__dict__,
        "sites": len(sites),
        "colocation": colocation(sites, centres, rules),
        "rationalisation": rationalisation(sites, centres, rules),
    }
