"""The public estate pages: sites on the map, access to a chosen service, candidates; and GeoJSON twins."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from totalplace.engines.estate.access import measure_access, sites_offering
from totalplace.engines.estate.candidates import candidates
from totalplace.engines.estate.sites import Site, area_centres, load_sites
from totalplace.errors import EstateError
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.charts import RenderedChart, choropleth
from totalplace.store import areas as area_store
from totalplace.web import params
from totalplace.web.render import twin
from totalplace.web.session import current_principal

router = APIRouter()


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


def _sites(place: Place) -> list[Site]:
    with place.analytics() as engine:
        return load_sites(engine)


def _site_points(sites: list[Site]) -> list[dict[str, Any]]:
    return [{"lon": s.lon, "lat": s.lat, "name": f"{s.name} ({s.type})", "partner": s.partner} for s in sites]


def _map(
    place: Place, level: str, sites: list[Site], distances: dict[str, float], service: str | None
) -> RenderedChart | None:
    with place.read() as conn:
        outlines = area_store.boundaries(conn, level)
    if not outlines:
        return None
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(g),
            "properties": {"name": name, "distance": distances.get(code, 0.0)},
        }
        for code, name, _, g in outlines
    ]
    title = f"Distance to the nearest {service}" if service else "The partners' sites"
    return choropleth(
        features,
        value="distance",
        title=title,
        value_title="metres" if service else "",
        points=_site_points(sites),
    )


@twin(router, "/estate", "estate.html")
def estate(request: Request, principal: Principal) -> dict[str, Any]:
    """Sites by partner and type; with ``?service=`` the access to it from every area; the candidates."""
    principal.require("datasets.read")
    place = _place(request)
    level = params.level(request)
    service = params.text(request, "service")
    sites = _sites(place)
    types: dict[str, int] = {}
    partners: dict[str, int] = {}
    for s in sites:
        types[s.type] = types.get(s.type, 0) + 1
        partners[s.partner] = partners.get(s.partner, 0) + 1
    data: dict[str, Any] = {
        "sites": len(sites),
        "types": dict(sorted(types.items())),
        "partners": dict(sorted(partners.items())),
        "service": service,
        "level": level,
        "access": None,
        "candidates": None,
    }
    distances: dict[str, float] = {}
    if sites:
        try:
            centres = area_centres(place, level)
        except EstateError as error:
            data["problem"] = error.to_dict()
            centres = None
        if centres is not None:
            if service:
                access = measure_access(centres, sites_offering(sites, service), service)
                data["access"] = access.to_dict()
                distances = {a["code"]: a["distance_m"] for a in access.areas}
            data["candidates"] = candidates(place, level=level)
    chart = _map(place, level, [s for s in sites if not service or s.offers(service)], distances, service)
    data["_charts"] = {"map": chart} if chart else {}
    return data


@router.get("/estate/sites.geojson")
def sites_geojson(request: Request) -> Response:
    """Every site as a GeoJSON point with its partner, type and attributes."""
    current_principal(request).require("datasets.read")
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
            "properties": s.to_dict(),
        }
        for s in _sites(_place(request))
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, media_type="application/geo+json"
    )
