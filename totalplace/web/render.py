"""Rendering a page and its .json twin from the same data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from totalplace.governance.roles import Principal
from totalplace.money import Money, format_pounds
from totalplace.web.session import csrf_token, current_principal

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["money"] = lambda pence: str(Money(int(pence)))
templates.env.filters["thousands"] = lambda n: f"{int(n):,}"
templates.env.filters["pounds"] = format_pounds

PageData = Callable[[Request, Principal], dict[str, Any]]


def page(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    status_code: int = 200,
    principal: Principal | None = None,
    charts: dict[str, Any] | None = None,
) -> HTMLResponse:
    """An HTML page; ``data`` is what the JSON twin shows, ``charts`` hold rendered SVGs."""
    context = {
        "data": data,
        "user": principal,
        "csrf": csrf_token(request),
        "charts": charts or {},
        "place_name": request.app.state.place.config.name,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def twin(
    router: APIRouter, path: str, template: str, json_path: str | None = None
) -> Callable[[PageData], PageData]:
    """Register GET ``path`` (HTML) and its ``.json`` twin over one data function.

    The data function returns a dict; a ``_charts`` entry (RenderedChart objects) is drawn on the page as
    SVG and shown in JSON as Vega-Lite specs.
    """

    def decorator(func: PageData) -> PageData:
        def html(request: Request) -> Response:
            principal = current_principal(request)
            data = func(request, principal)
            charts = data.pop("_charts", {})
            data["charts"] = {k: c.to_dict() for k, c in charts.items()}
            return page(request, template, data, principal=principal, charts=charts)

        def as_json(request: Request) -> Response:
            principal = current_principal(request)
            data = func(request, principal)
            charts = data.pop("_charts", {})
            data["charts"] = {k: c.to_dict() for k, c in charts.items()}
            return JSONResponse(data)

        # The twin first: "/x/{id}" would otherwise also match "/x/3.json".
        router.add_api_route(
            json_path or f"{path}.json", as_json, methods=["GET"], name=f"{func.__name__}_json"
        )
        router.add_api_route(path, html, methods=["GET"], response_class=HTMLResponse, name=func.__name__)
        return func

    return decorator
