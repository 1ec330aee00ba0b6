"""The FastAPI application for one place."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from totalplace import settings
from totalplace.errors import TotalplaceError
from totalplace.place import Place
from totalplace.web import (
    auth_routes,
    cba_pages,
    estate_pages,
    map_pages,
    outcome_pages,
    pages,
    pool_pages,
    segment_pages,
    spend_pages,
    upload,
)
from totalplace.web.analytics import install
from totalplace.web.headers import SecurityHeaders
from totalplace.web.render import page
from totalplace.web.session import LoginRequiredError
from totalplace.web.warmup import lifespan

STATIC_DIR = Path(__file__).parent / "static"


def wants_json(request: Request) -> bool:
    """True for .json twins and API clients that ask for JSON."""
    return request.url.path.endswith(".json") or "application/json" in request.headers.get("accept", "")


def create_app(place: Place) -> FastAPI:
    """The web app serving ``place``."""
    app = FastAPI(title=f"totalplace: {place.config.name}", docs_url=None, redoc_url=None)
    # The worker's view of the place (one shared analytics connection, reads that do not queue), its page
    # cache, and closing them when the worker stops: see totalplace/web/analytics.py and cache.py.
    install(app, place)
    app.router.lifespan_context = lifespan
    app.add_middleware(
        SessionMiddleware,
        secret_key=place.secret_key(),
        session_cookie="totalplace_session",
        max_age=int(timedelta(hours=settings.get_int("session_hours")).total_seconds()),
        same_site="strict",
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth_routes.router)
    app.include_router(upload.router)  # before pages: "/datasets/upload" is not a batch id
    app.include_router(pages.router)
    app.include_router(spend_pages.router)
    app.include_router(pool_pages.router)
    app.include_router(segment_pages.router)
    app.include_router(estate_pages.router)
    app.include_router(map_pages.router)
    app.include_router(outcome_pages.router)
    app.include_router(cba_pages.router)

    @app.exception_handler(TotalplaceError)
    async def handle_error(request: Request, error: TotalplaceError) -> Response:
        if isinstance(error, LoginRequiredError) and not wants_json(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if wants_json(request):
            return JSONResponse({"error": error.to_dict()}, status_code=error.http_status)
        return page(request, "error.html", {"error": error.to_dict()}, status_code=error.http_status)

    app.add_middleware(SecurityHeaders)  # a plain ASGI middleware: see web/headers.py

    return app
