"""The views of the public estate: the estate page and its map, the sites as GeoJSON, and what the estate
commands print.

A page view's ``to_dict()`` is the page's JSON twin; its ``charts`` are drawn on the page. A command's view
holds its ``--json`` document and the headline and tables a person reads, already formatted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from totalplace.datasets.request import ImportResult
from totalplace.engines.estate.access import Access
from totalplace.engines.estate.candidates import Candidates
from totalplace.engines.estate.overview import EstateOverview
from totalplace.engines.estate.sites import Site, SitesRead
from totalplace.money import Money
from totalplace.reports.command import CommandView
from totalplace.reports.table import Column, TableView
from totalplace.store import areas as area_store

if TYPE_CHECKING:
    from totalplace.place import Place
    from totalplace.reports.charts import RenderedChart

SHOWN = 30  # candidates a command lists (the page lists 40; --json has them all)
LISTED = 500  # sites a command lists


def _right(header: str) -> Column:
    return Column(header, "right")


# ---- the page -------------------------------------------------------------------------------------------


def _site_points(sites: Sequence[Site]) -> list[dict[str, Any]]:
    return [{"lon": s.lon, "lat": s.lat, "name": f"{s.name} ({s.type})", "partner": s.partner} for s in sites]


def estate_map(place: Place, overview: EstateOverview) -> RenderedChart | None:
    """The areas of the overview's level shaded by distance to the service (if any), with the sites on top;
    None when the place has no boundaries at that level."""
    from totalplace.reports.charts import choropleth  # Altair: only when drawing

    with place.read() as conn:
        outlines = area_store.boundaries(conn, overview.level)
    if not outlines:
        return None
    distances = overview.access.distances() if overview.access else {}
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(g),
            "properties": {"name": name, "distance": distances.get(code, 0.0)},
        }
        for code, name, _, g in outlines
    ]
    service = overview.service
    return choropleth(
        features,
        value="distance",
        title=f"Distance to the nearest {service}" if service else "The partners' sites",
        value_title="metres" if service else "",
        points=_site_points(overview.shown()),
    )


@dataclass(frozen=True, slots=True)
class EstatePage:
    """The estate page: sites by partner and type, access to the chosen service, the candidates, the map."""

    overview: EstateOverview
    charts: dict[str, RenderedChart] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The page's JSON twin."""
        found = self.overview
        data: dict[str, Any] = {
            "sites": len(found.sites),
            "types": found.types(),
            "partners": found.partners(),
            "service": found.service,
            "level": found.level,
            "access": None if found.access is None else found.access.to_dict(),
            "candidates": None if found.candidates is None else found.candidates.to_dict(),
        }
        if found.problem is not None:
            data["problem"] = found.problem.to_dict()
        return data


def estate_page(place: Place, overview: EstateOverview) -> EstatePage:
    """The estate page of an overview, with its map."""
    chart = estate_map(place, overview)
    return EstatePage(overview, {"map": chart} if chart else {})


def sites_collection(sites: Sequence[Site]) -> dict[str, Any]:
    """Every site as a GeoJSON point with its partner, type and attributes."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": s.to_dict(),
            }
            for s in sites
        ],
    }


# ---- what the commands print -----------------------------------------------------------------------------


def _import_lines(partner: str, result: ImportResult, info: SitesRead) -> list[str]:
    located = ", ".join(f"{n} by {how}" for how, n in info.located_by.items())
    lines = [
        f"[green]imported[/] {info.rows} sites of {partner} as batch {result.batch.id} ({located}); "
        f"{info.in_place} inside the place's {info.area_level or 'areas'}"
    ]
    if info.swapped_longitude_latitude_rows:
        lines.append(
            f"  [yellow]put right[/] longitude and latitude written the wrong way round in rows "
            f"{info.swapped_longitude_latitude_rows}"
        )
    aside = info.set_aside_unlocated
    if aside:
        rows = ", ".join(str(p.row) for p in aside[:12])
        lines.append(
            f"  [yellow]set aside {len(aside)} sites[/] with no coordinates or known postcode "
            f"(rows {rows}{', …' if len(aside) > 12 else ''})"
        )
    return lines


def import_view(partner: str, result: ImportResult, info: SitesRead) -> CommandView:
    """A partner's asset register imported (or the same bytes seen before)."""
    if result.status == "unchanged":
        headline = f"[yellow]unchanged[/]: these bytes were imported before as batch {result.batch.id}"
    else:
        headline = "\n".join(_import_lines(partner, result, info))
    return CommandView({**result.to_dict(), "sites": info.to_dict()}, headline)


def sites_view(sites: Sequence[Site]) -> CommandView:
    """The place's sites by partner and type (the first 500 in the table; every one in ``--json``)."""
    table = TableView.of(
        f"{len(sites)} sites",
        ("partner", "type", "name", "area", _right("floor m²"), _right("running cost")),
        [
            (
                s.partner,
                s.type,
                s.name,
                s.area_code or "(outside)",
                "" if s.floor_area is None else f"{s.floor_area:,.0f}",
                "" if s.running_cost_pence is None else str(Money(s.running_cost_pence)),
            )
            for s in sites[:LISTED]
        ],
    )
    return CommandView({"sites": [s.to_dict() for s in sites]}, tables=(table,))


def access_view(access: Access) -> CommandView:
    """Access to a service: residents within each band, and the furthest areas."""
    headline = (
        f"[bold]{access.service}[/]: {access.sites} sites; residents are on average "
        f"{access.mean_distance_m:,.0f} m from the nearest (median {access.median_distance_m:,.0f} m, "
        f"furthest area {access.max_distance_m:,.0f} m)"
    )
    within = TableView.of(
        "Residents within",
        (_right("distance"), _right("residents"), _right("share"), _right("areas")),
        [
            (f"{b.metres:,} m", f"{b.population:,}", f"{100 * (b.share or 0):.1f}%", b.areas)
            for b in access.bands
        ],
    )
    furthest = TableView.of(
        "Furthest areas",
        ("area", "name", _right("residents"), _right("distance"), "nearest"),
        [
            (a.code, a.name, f"{a.population:,}", f"{a.distance_m:,.0f} m", a.nearest)
            for a in sorted(access.areas, key=lambda a: -a.distance_m)[:10]
        ],
    )
    return CommandView(access.to_dict(), headline, (within, furthest))


def candidates_view(found: Candidates) -> CommandView:
    """Co-location and rationalisation candidates with their evidence (the first 30 of each)."""
    colocation = TableView.of(
        f"Co-location candidates ({len(found.colocation)})",
        ("sites", _right("apart"), _right("shared catchment"), "evidence"),
        [
            (
                " + ".join(s.name for s in c.sites),
                f"{c.distance_m:.0f} m",
                f"{100 * c.catchment_overlap:.0f}%",
                c.evidence,
            )
            for c in found.colocation[:SHOWN]
        ],
    )
    rationalisation = TableView.of(
        f"Rationalisation candidates ({len(found.rationalisation)})",
        ("site", _right("residents"), _right("furthest after"), "evidence"),
        [
            (c.site.name, f"{c.population_served:,}", f"{c.max_distance_after_m:.0f} m", c.evidence)
            for c in found.rationalisation[:SHOWN]
        ],
    )
    return CommandView(found.to_dict(), tables=(colocation, rationalisation))
