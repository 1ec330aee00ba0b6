"""The map page: any measure the place knows, shaded by small area, with the partners' sites if asked."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from totalplace.engines.estate.sites import load_sites
from totalplace.engines.maps import AreaMeasure, available, measure
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.maps import feature_collection, map_view
from totalplace.web import params
from totalplace.web.render import twin
from totalplace.web.session import current_principal

router = APIRouter()


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


def _measure(request: Request) -> AreaMeasure:
    key = params.text(request, "measure") or "population"
    return measure(_place(request), key, level=params.level(request))


@router.get("/map.geojson")
def map_geojson(request: Request) -> Response:
    """The measure's areas as GeoJSON, each with its ``value``."""
    current_principal(request).require("figures.read")
    return JSONResponse(
        feature_collection(_place(request), _measure(request)), media_type="application/geo+json"
    )


@twin(router, "/map", "map.html")
def area_measure_map(request: Request, principal: Principal) -> dict[str, Any]:
    """A choropleth of ``?measure=KEY`` (default population) at ``?level=``; ``?sites=1`` adds the sites."""
    principal.require("figures.read")
    place = _place(request)
    found = _measure(request)
    sites = None
    if params.choice(request, "sites", ("0", "1"), "0") == "1":
        with place.analytics() as engine:
            sites = load_sites(engine)
    view = map_view(place, found, available(place), sites)
    return {**view.to_dict(), "_charts": view.charts}
