"""Rendering a page and its .json twin from the same data."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from totalplace.governance.roles import Principal
from totalplace.reports.render import ENVIRONMENT
from totalplace.web.cache import cached, principal_key, scope_key
from totalplace.web.session import csrf_token, current_principal

templates = Jinja2Templates(env=ENVIRONMENT)

PageData = Callable[[Request, Principal], dict[str, Any]]

# Stands in for the session's CSRF token in a page body kept for reuse; each answer puts its own token in.
# Random per process, so no data shown on a page can contain it.
_CSRF_STANDIN = "csrf-" + secrets.token_urlsafe(24)


def wants_json(request: Request) -> bool:
    """True for .json twins and API clients that ask for JSON."""
    return request.url.path.endswith(".json") or "application/json" in request.headers.get("accept", "")


def page(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    status_code: int = 200,
    principal: Principal | None = None,
    charts: dict[str, Any] | None = None,
    csrf: str | None = None,
) -> HTMLResponse:
    """An HTML page; ``data`` is what the JSON twin shows, ``charts`` hold rendered SVGs."""
    context = {
        "data": data,
        "user": principal,
        "csrf": csrf or csrf_token(request),
        "charts": charts or {},
        "place_name": request.app.state.place.config.name,
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _request_key(request: Request) -> tuple[Any, ...]:
    """What of the request a page may read: its path's parameters and its query (the route is the page's)."""
    return (
        tuple(sorted(request.path_params.items())),
        tuple(sorted(request.query_params.multi_items())),
    )


def twin(
    router: APIRouter,
    path: str,
    template: str,
    json_path: str | None = None,
    *,
    cache: bool = False,
    also_json: tuple[str, ...] = (),
) -> Callable[[PageData], PageData]:
    """Register GET ``path`` (HTML) and its ``.json`` twin over one data function (``also_json``: further
    addresses of the twin, such as ``/.json`` beside ``/index.json`` for the home page).

    The data function returns a dict; a ``_charts`` entry (RenderedChart objects) is drawn on the page as
    SVG and shown in JSON as Vega-Lite specs.

    With ``cache`` the data is kept (:mod:`totalplace.web.cache`) for the same path parameters, query, rights
    (admin flag and role grants) and data version, and the answer's body for the same user too, so the data
    function must read nothing else: the store, the place's files, today's date, the request's path and
    query, and the principal's rights, never the user's name. The session is still checked on every
    request, and each page carries its own session's CSRF token.
    """

    def decorator(func: PageData) -> PageData:
        # The routes close over ``func`` itself, so what reads a route's code (the injection sweep) finds
        # the page's data function from its endpoint.
        served = _Page(template, cache, f"{func.__module__}.{func.__qualname__}")

        def html(request: Request) -> Response:
            content = _answer(request, func, served, "html")
            return HTMLResponse(content.replace(_CSRF_STANDIN.encode(), csrf_token(request).encode()))

        def as_json(request: Request) -> Response:
            return Response(_answer(request, func, served, "json"), media_type="application/json")

        # The twin first: "/x/{id}" would otherwise also match "/x/3.json".
        for at in (json_path or f"{path}.json", *also_json):
            router.add_api_route(at, as_json, methods=["GET"], name=f"{func.__name__}_json")
        router.add_api_route(path, html, methods=["GET"], response_class=HTMLResponse, name=func.__name__)
        return func

    return decorator


@dataclass(frozen=True)
class _Page:
    """How a page and its twin are answered: the template, whether kept, and the key they are kept under."""

    template: str
    cache: bool
    name: str


def _answer(request: Request, func: PageData, served: _Page, kind: Literal["html", "json"]) -> bytes:
    """The body of the page or its twin, for this session's principal (kept per user with ``cache``)."""
    principal = current_principal(request)
    if not served.cache:
        return _body(request, principal, func, served, kind)
    key = ("page-body", served.name, kind, *_request_key(request), principal_key(principal))
    return cached(request, key, lambda: _body(request, principal, func, served, kind))


def _body(
    request: Request, principal: Principal, func: PageData, served: _Page, kind: Literal["html", "json"]
) -> bytes:
    data = _data(request, principal, func, served)
    charts = data.pop("_charts", {})
    data["charts"] = {k: c.to_dict() for k, c in charts.items()}
    if kind == "json":
        return bytes(JSONResponse(data).body)
    rendered = page(request, served.template, data, principal=principal, charts=charts, csrf=_CSRF_STANDIN)
    return bytes(rendered.body)


def _data(request: Request, principal: Principal, func: PageData, served: _Page) -> dict[str, Any]:
    if not served.cache:
        return func(request, principal)
    key = ("page-data", served.name, *_request_key(request), scope_key(principal))
    return dict(cached(request, key, lambda: func(request, principal)))  # the copy is this answer's
