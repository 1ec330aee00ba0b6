"""The FastAPI application for one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from totalplace.errors import LoginThrottledError, TotalplaceError
from totalplace.governance import passwords
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.web import (
    auth_routes,
    cba_pages,
    estate_pages,
    history_pages,
    linkage_pages,
    map_pages,
    outcome_pages,
    pages,
    params,
    pool_pages,
    profile_pages,
    records_pages,
    segment_pages,
    sharing_pages,
    spend_pages,
    upload,
)
from totalplace.web.analytics import install
from totalplace.web.body_limit import BodyLimitMiddleware
from totalplace.web.forms import PAGE_HINT, refused_request, web_hint
from totalplace.web.headers import SecurityHeaders
from totalplace.web.render import page, wants_json
from totalplace.web.session import LoginRequiredError, SessionMiddleware, current_principal
from totalplace.web.upload_stream import sweep_stale_uploads
from totalplace.web.warmup import lifespan

STATIC_DIR = Path(__file__).parent / "static"


def create_app(place: Place) -> FastAPI:
    """The web app serving ``place``."""
    # No anonymous API description: /openapi.json is served below to logged-in users only.
    app = FastAPI(title=f"totalplace: {place.config.name}", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.place = place
    passwords.prepare()  # the per-process dummy hash for unknown users, made before anyone logs in
    sweep_stale_uploads(place)
    # The worker's view of the place (one shared analytics connection, reads that do not queue), its page
    # cache, and closing them when the worker stops: see totalplace/web/analytics.py and cache.py.
    install(app, place)
    app.router.lifespan_context = lifespan
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _answer_errors(app)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> dict[str, Any]:
        current_principal(request)
        return app.openapi()

    # Sessions held in the store (web/session.py); every body bounded before it is read (web/body_limit.py).
    app.add_middleware(BodyLimitMiddleware, render=answer_error)
    app.add_middleware(SessionMiddleware, place=app.state.place)  # the served place: reads that do not queue
    app.add_middleware(SecurityHeaders)  # a plain ASGI middleware: see web/headers.py
    return app


# The pages' routers, in the order their routes are matched.
ROUTERS = (
    auth_routes.router,
    upload.router,  # before pages: "/datasets/upload" is not a batch id
    records_pages.router,
    pages.router,
    spend_pages.router,
    pool_pages.router,
    segment_pages.router,
    estate_pages.router,
    map_pages.router,
    outcome_pages.router,
    cba_pages.router,
    linkage_pages.router,
    history_pages.router,
    sharing_pages.router,
    profile_pages.router,
)


async def answer_error(request: Request, error: TotalplaceError) -> Response:
    """A coded error as a page, or as JSON for a ``.json`` twin or an API client, with its HTTP status
    (refused input: 422 with its problems). A page that needs a login redirects to the login form."""
    if isinstance(error, LoginRequiredError) and not wants_json(request):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    response: Response
    if wants_json(request):
        response = JSONResponse({"error": error.to_dict()}, status_code=error.http_status)
    else:
        # A hint written for the command line (a flag, a command) means nothing in a browser.
        shown = {**error.to_dict(), "hint": web_hint(error, PAGE_HINT)}
        response = page(
            request, "error.html", {"error": shown}, status_code=error.http_status, principal=_viewer(request)
        )
    if isinstance(error, LoginThrottledError):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _viewer(request: Request) -> Principal | None:
    """Who is logged in, for the navigation of an error page (None when no one is, or it cannot be told:
    an error page never fails for want of its navigation)."""
    try:
        return current_principal(request)
    except TotalplaceError:
        return None


def _answer_errors(app: FastAPI) -> None:
    """Answer every coded error, and the framework's own refusals as coded errors too."""
    app.exception_handler(TotalplaceError)(answer_error)

    @app.exception_handler(RequestValidationError)
    async def handle_invalid_request(request: Request, error: RequestValidationError) -> Response:
        coded = params.request_invalid(error)  # coded TP108
        # A form's fields refused: the form again, in its page, with the problems beside its fields.
        shown = refused_request(request, coded, error.body)
        return shown if shown is not None else await answer_error(request, coded)

    @app.exception_handler(StarletteHTTPException)
    async def handle_http(request: Request, error: StarletteHTTPException) -> Response:
        coded = params.http_error(error.status_code)  # no route, or a method it does not take: coded too
        response = await answer_error(request, coded)
        response.status_code = error.status_code
        if error.headers:
            response.headers.update(error.headers)
        return response
