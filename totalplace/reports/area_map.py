"""A choropleth of any area measure over the place's boundaries, with the partners' sites when asked."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from totalplace.reports.charts import RenderedChart, choropleth
from totalplace.store.areas import boundaries

if TYPE_CHECKING:
    from totalplace.engines.maps import AreaMeasure
    from totalplace.place import Place


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


def area_map(
    place: Place, found: AreaMeasure, points: list[dict[str, Any]] | None = None
) -> RenderedChart | None:
    """The choropleth, or None when the place has no boundaries for the measure's level."""
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
