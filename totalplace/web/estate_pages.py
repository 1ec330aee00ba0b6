"""The public estate pages: sites on the map, access to a chosen service, candidates; and GeoJSON twins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from totalplace.engines.estate.overview import estate_overview
from totalplace.engines.estate.sites import load_sites
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.estate import estate_page, sites_collection
from totalplace.web import params
from totalplace.web.render import twin
from totalplace.web.session import current_principal

router = APIRouter()


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


@twin(router, "/estate", "estate.html")
def estate(request: Request, principal: Principal) -> dict[str, Any]:
    """Sites by partner and type; with ``?service=`` the access to it from every area; the candidates."""
    principal.require("figures.read")
    place = _place(request)
    found = estate_overview(place, level=params.level(request), service=params.text(request, "service"))
    view = estate_page(place, found)
    return {**view.to_dict(), "_charts": view.charts}


@router.get("/estate/sites.geojson")
def sites_geojson(request: Request) -> Response:
    """Every site as a GeoJSON point with its partner, type and attributes."""
    current_principal(request).require("figures.read")
    with _place(request).analytics() as engine:
        sites = load_sites(engine)
    return JSONResponse(sites_collection(sites), media_type="application/geo+json")
