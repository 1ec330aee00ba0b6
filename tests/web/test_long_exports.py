"""Long exports (a batch as XLSX, a report as PDF) must not hold up other requests.

FastAPI runs a plain ``def`` endpoint in its thread pool and an ``async def`` one on the event loop, where a
12-second export would stop every other request. So each route that writes a file a person downloads is a
plain function.
"""

from __future__ import annotations

import inspect

from tests.web.test_injection_sweep import api_routes
from totalplace.place import Place
from totalplace.web.app import create_app


def test_every_export_and_pdf_route_runs_in_the_thread_pool(web_place: Place) -> None:
    app = create_app(web_place)
    long = [
        route
        for route in api_routes(app.routes)
        if route.path.endswith((".pdf", ".xlsx", ".csv", ".{fmt}")) or "export" in route.path
    ]
    assert {r.path for r in long} >= {"/datasets/{batch_id}/export.{fmt}"}
    assert any(r.path.endswith(".pdf") for r in long)
    assert [r.path for r in long if inspect.iscoroutinefunction(r.endpoint)] == []
