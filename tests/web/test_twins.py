"""Every HTML page of the app has a ``.json`` twin: the same data, for a program instead of a person.

The test reads the app's routes (no request is sent): every GET route whose address does not end in a file
extension is a page, and there must be a GET route at the same address with ``.json`` added (``/.json`` for
the home page). Downloads (``.pdf``, ``.csv``, ``.xlsx``, ``.geojson``) are files, not pages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.web.test_injection_sweep import api_routes
from totalplace.place import Place
from totalplace.web.app import create_app

# Pages that need no twin, each with its reason. Keep this short.
EXEMPT = {
    "/login": "the form that starts a session: there is nothing to show a program before it logs in "
    "(a program reads /session.json after logging in)",
}

_FILE = re.compile(r"\.[A-Za-z{][\w{}]*$")  # ends in an extension, or a ".{fmt}" placeholder


@pytest.fixture
def app(sqlite_place: Place) -> FastAPI:
    return create_app(sqlite_place)


def _get_paths(app: FastAPI) -> set[str]:
    return {r.path for r in api_routes(app.routes) if "GET" in (r.methods or ())}


def _pages(app: FastAPI) -> list[str]:
    """Every GET address that answers a page (not a file, not JSON)."""
    return sorted(p for p in _get_paths(app) if not _FILE.search(p.rsplit("/", 1)[-1]))


def _twin_of(path: str) -> str:
    return "/.json" if path == "/" else f"{path}.json"


def _without_twin(app: FastAPI) -> set[str]:
    paths = _get_paths(app)
    return {p for p in _pages(app) if _twin_of(p) not in paths} - set(EXEMPT)


def test_the_route_reading_finds_the_pages(app: FastAPI) -> None:
    pages = _pages(app)
    assert {"/", "/spend", "/pools/{name}", "/outcomes/framework", "/login"} <= set(pages)
    assert not any(p.endswith((".json", ".pdf", ".geojson", ".{fmt}")) for p in pages)


def test_every_page_has_a_json_twin(app: FastAPI) -> None:
    """Every page but the exempt ones has its twin (those awaiting another part of the issue aside)."""
    missing = sorted(_without_twin(app))
    assert not missing, (
        f"pages without a .json twin (use web/render.py twin or web/forms.py form_page): {missing}"
    )


def test_no_template_runs_inline_script() -> None:
    """The app's Content-Security-Policy (default-src 'self') blocks inline script: a page's behaviour
    lives in web/static (forms.js), never in an ``on...=`` attribute or a ``<script>`` body."""
    folder = Path(__file__).parents[2] / "totalplace" / "web" / "templates"
    handler = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
    inline = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
    found = []
    for template in sorted(folder.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        found += [f"{template.name}: {m.group(0)[:60]}" for m in handler.finditer(text)]
        found += [f"{template.name}: {m.group(0)[:60]}" for m in inline.finditer(text)]
    assert not found, f"inline script the CSP would block: {found}"


def test_static_scripts_are_served_from_the_app() -> None:
    folder = Path(__file__).parents[2] / "totalplace" / "web" / "templates"
    sources = re.findall(
        r'<script[^>]*\ssrc="([^"]+)"', "".join(p.read_text() for p in folder.glob("*.html"))
    )
    assert sources and all(s.startswith("/static/") for s in sources), sources
