"""What a person reads of an area measure: a choropleth over the place's boundaries (with the partners' sites
when asked), the map page and its twin, the GeoJSON, and the ``map`` and ``measures`` commands' tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from totalplace.reports.command import CommandView
from totalplace.reports.table import TableView
from totalplace.store.areas import boundaries

if TYPE_CHECKING:
    from totalplace.datasets.census import CensusFile
    from totalplace.datasets.importer import ImportResult
    from totalplace.engines.estate.sites import Site
    from totalplace.engines.maps import AreaMeasure, MeasureChoice
    from totalplace.place import Place
    from totalplace.reports.charts import RenderedChart

#: How many areas the CLI lists (``--json`` has them all).
AREAS_SHOWN: Final = 40


def area_features(place: Place, found: AreaMeasure) -> list[dict[str, Any]]:
    """The measure's areas as GeoJSON features with ``value`` (areas without a value are left out)."""
    with place.read() as conn:
        outlines = boundaries(conn, found.level)
    return [
        {
            "type": "Feature",
            "geometry": json.loads(geometry),
            "properties": {"code": code, "name": name, "value": found.values[code]},
        }
        for code, name, _, geometry in outlines
        if found.values.get(code) is not None
    ]


def feature_collection(place: Place, found: AreaMeasure) -> dict[str, Any]:
    """The measure's areas as one GeoJSON FeatureCollection (``/map.geojson``)."""
    return {"type": "FeatureCollection", "features": area_features(place, found)}


def site_points(sites: Sequence[Site]) -> list[dict[str, Any]]:
    """The partners' sites as points to draw over a map, each named with its type."""
    return [{"lon": s.lon, "lat": s.lat, "name": f"{s.name} ({s.type})", "partner": s.partner} for s in sites]


def area_map(
    place: Place, found: AreaMeasure, points: list[dict[str, Any]] | None = None
) -> RenderedChart | None:
    """The choropleth, or None when the place has no boundaries for the measure's level."""
    from totalplace.reports.charts import choropleth

    features = area_features(place, found)
    if not features:
        return None
    return choropleth(
        features,
        value="value",
        title=found.title,
        value_title=found.title[:40],
        categorical=found.categorical,
        points=points,
    )


@dataclass(frozen=True, slots=True)
class MapView:
    """The map page: a measure by area, its range, the measures to choose from, and the choropleth."""

    found: AreaMeasure
    measures: tuple[MeasureChoice, ...]
    sites: bool
    charts: dict[str, RenderedChart] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The page's data (the twin): the measure, its values and, for amounts, their range and mean."""
        found = self.found
        values = found.amounts()
        return {
            "measure": {k: v for k, v in found.to_dict().items() if k != "values"},
            "areas": len(found.values),
            "summary": None
            if found.categorical or not values
            else {"min": min(values), "max": max(values), "mean": sum(values) / len(values)},
            "values": dict(found.values),
            "measures": [m.to_dict() for m in self.measures],
            "sites": self.sites,
        }


def map_view(
    place: Place,
    found: AreaMeasure,
    measures: Sequence[MeasureChoice],
    sites: Sequence[Site] | None = None,
) -> MapView:
    """The map page for ``found`` (with ``sites`` drawn over it when given)."""
    points = site_points(sites) if sites is not None else None
    chart = area_map(place, found, points)
    return MapView(found, tuple(measures), sites is not None, {"map": chart} if chart else {})


def measure_command(found: AreaMeasure, shown: int = AREAS_SHOWN) -> CommandView:
    """What ``map`` shows: the measure, and a table of its areas, largest value first (classes in order)."""
    rows = sorted(found.values.items(), key=lambda kv: (str(kv[1]), kv[0]), reverse=not found.categorical)
    more = f"… {len(rows) - shown} more (use --json for all)" if len(rows) > shown else None
    table = TableView.of(f"{found.title} by {found.level}", ("area", "value"), rows[:shown], note=more)
    return CommandView(found.to_dict(), "", (table,))


def measures_command(measures: Sequence[MeasureChoice]) -> CommandView:
    """What ``measures list`` shows: the measures the place can map, by key."""
    table = TableView.of("Measures", ("key", "what"), [(m.key, m.title) for m in measures])
    return CommandView({"measures": [m.to_dict() for m in measures]}, "", (table,))


def measures_imported(result: ImportResult, info: CensusFile, name: str) -> CommandView:
    """What ``measures import`` shows: the import and its areas, and the line a person reads."""
    document = {**result.to_dict(), "measures": info.to_dict()}
    headline = (
        f"[green]{result.status}[/] {name}: {len(info.categories)} measures for {info.areas} areas "
        f"(batch {result.batch.id}); {info.other_areas_ignored:,} areas outside the place skipped"
    )
    return CommandView(document, headline)
