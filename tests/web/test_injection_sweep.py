"""Every route of the app, every path and query parameter, hostile values: no 500, a coded 4xx or a 200, no
secret in any answer, and no file written anywhere.

Routes are read from ``app.routes``, so a new route is swept without editing this file. A route's query
parameters are those FastAPI declares plus those its code reads by hand (``request.query_params.get("x")``
or ``params.text(request, "x")``), found in the source of the endpoint and the page functions it calls.
The least privileged reader, the auditor, sends them all.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response

from tests.web.conftest import PASSWORD, csrf_of
from tests.web.sweep_support import SweptPlace, build_swept_place
from totalplace.engines.spendmap import lines, load_rules
from totalplace.engines.spendmap.map import classify_view
from totalplace.web import spend_pages
from totalplace.web.app import create_app

Snapshot = dict[str, tuple[int, int]]

_READS = (
    re.compile(r'query_params\.get\(\s*"(\w+)"'),
    re.compile(r'\b(?:text|whole|choice|financial_year)\(\s*request,\s*"(\w+)"'),
)
_DEFAULT_READS = {
    re.compile(r"\blevel\(\s*request\b"): "level",
    re.compile(r"\bfinancial_year\(\s*request\s*\)"): "year",
}
# Writes or ends the session; swept separately in the tests of its own module.
_SKIPPED = {"/logout"}
# Path values that name something the place holds, so a query parameter reaches the code behind the lookup.
_HELD = {"batch_id": "1", "letter_id": "1", "indicator_id": "100", "partner": "Council", "kind": "model"}
_HELD_NAMES = {
    "/pools": "bcf",
    "/cba": "case-08",
    "/segments": "tiny",
    "/history": "case-08",
    "/sharing": "swept",
}
_CODED = re.compile(r"TP\d{3}")


def payloads(place: SweptPlace) -> list[str]:
    """Hostile values: SQL breaking out of quotes, stacked statements that read the canary or write beside
    it, traversal, absolute paths, numbers a store cannot hold, NaN, long text, NUL and odd unicode."""
    canary, folder = str(place.canary), str(place.place.dir)
    return [
        f"lsoa' AND CAST((SELECT content FROM read_text('{canary}')) AS INTEGER)=1 AND '1'='1",
        f"lsoa'; COPY (SELECT 'x') TO '{folder}/pwned.csv'; SELECT 1 AS people --",
        "lsoa'; COPY (SELECT 'x') TO 'pwned.csv'; SELECT 1 AS people --",
        f"x'; ATTACH '{folder}/pwned.db' AS p; --",
        f"x' UNION ALL SELECT content FROM read_text('{canary}') --",
        f"x\"; COPY (SELECT 1) TO '{folder}/pwned2.csv'; --",
        f"2024-25'; SELECT * FROM read_csv('{canary}') --",
        "../../secret.key",
        canary,
        "/etc/passwd",
        "99999999999999999999999",
        "-1",
        "0",
        "1.5",
        "NaN",
        "a" * 5000,
        "a\x00b",
        "\u202eΩ≈ç√ 🙂 \ud7ff",
        "%_'",
    ]


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, through the routers FastAPI includes lazily (``_IncludedRouter`` since 0.165)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            assert not getattr(route.include_context, "prefix", ""), "sweep a prefixed router's paths too"
            yield from api_routes(route.original_router.routes)


def query_names(route: APIRoute) -> set[str]:
    """The query parameters ``route`` declares or reads by hand."""
    names = {p.alias for p in route.dependant.query_params}
    for source in _sources(route.endpoint):
        for pattern in _READS:
            names.update(pattern.findall(source))
        names.update(name for pattern, name in _DEFAULT_READS.items() if pattern.search(source))
    return names


def _sources(func: Callable[..., Any]) -> list[str]:
    """The source of ``func`` and of every function of the web package it reaches (closures, globals)."""
    seen: dict[Any, str] = {}

    def visit(obj: Any) -> None:
        if not inspect.isfunction(obj) or obj in seen or not obj.__module__.startswith("totalplace.web"):
            return
        seen[obj] = inspect.getsource(obj)
        for cell in obj.__closure__ or ():
            visit(cell.cell_contents)
        codes = [obj.__code__]
        while codes:
            code = codes.pop()
            codes += [c for c in code.co_consts if inspect.iscode(c)]
            for name in code.co_names:
                visit(obj.__globals__.get(name))

    visit(func)
    return list(seen.values())


def held_path(route: APIRoute, name: str | None = None, value: str = "") -> str:
    """The route's path with each parameter naming something the place holds (``name`` set to ``value``)."""
    path = route.path_format
    for param in route.param_convertors:
        held = _HELD.get(param, "x")
        if param == "name":
            held = next(v for prefix, v in _HELD_NAMES.items() if path.startswith(prefix))
        if param == "fmt":
            held = "html" if "statements" in path else "csv"
        path = path.replace("{" + param + "}", quote(value if param == name else held, safe=""))
    return path


# Files the place itself writes while pages are read: the store (sessions, the audit records that reading the
# audit trail or exporting a batch adds) and the audit chain's anchor beside it.
_WRITTEN_BY_THE_STORE = ("store.sqlite", "audit.anchor")


def snapshot(*folders: Path) -> Snapshot:
    """Every file under ``folders`` with its size and modification time, but those the store writes and the
    place's spill folder."""
    out: Snapshot = {}
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            for file in files:
                path = Path(root) / file
                if path.name.startswith(_WRITTEN_BY_THE_STORE) or "tmp" in path.relative_to(folder).parts[:2]:
                    continue
                stat = path.stat()
                out[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return out


def check(response: Response, place: SweptPlace, what: str) -> None:
    """No server error; a 4xx is coded; a redirect stays here; no secret appears."""
    status = response.status_code
    assert status < 500, f"{what}: {status} {response.text[:300]}"
    if 300 <= status < 400:
        assert response.headers["location"].startswith("/"), what
    if 400 <= status < 500:
        assert _CODED.search(response.text), f"{what}: uncoded {status} {response.text[:200]}"
        if response.headers.get("content-type", "").startswith("application/json"):
            assert _CODED.fullmatch(json.loads(response.text)["error"]["code"]), what
    text = response.text + json.dumps(dict(response.headers))
    for secret in place.secrets:
        assert secret not in text, f"{what}: a secret was in the answer"


def _classified_once(classify: Callable[..., None]) -> Callable[..., None]:
    done: list[bool] = []

    def once(*args: Any) -> None:
        if not done:
            classify(*args)
            done.append(True)

    return once


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SweptPlace, TestClient, Path]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
        root = tmp_path_factory.mktemp("sweep")
        place = build_swept_place(root)
        cwd = root / "cwd"
        cwd.mkdir()
        patch.chdir(cwd)  # a relative COPY target would land here
        # Neither the rules nor the batches change during the sweep: parse the rules' YAML once, open one
        # (locked) analytics backend for all requests, as a served worker keeps one, and classify the lines
        # once, rather than for each of some 2,200 requests; what each request's values do is unchanged.
        patch.setattr(spend_pages, "load_rules", functools.cache(load_rules))
        backend = place.place.analytics()
        close = backend.close
        patch.setattr(backend, "close", lambda: None)
        patch.setattr(place.place, "analytics", lambda name=None: backend)
        patch.setattr(lines, "classify_view", _classified_once(classify_view))
        client = TestClient(create_app(place.place))
        client.__enter__()  # one event loop for every request, not one each
        token = csrf_of(client.get("/login").text)
        login = {"username": "auditor", "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=login, follow_redirects=False).status_code == 303
        yield place, client, cwd
        client.__exit__(None, None, None)
        close()
        place.place.close()


def test_every_parameter_of_every_route(swept: tuple[SweptPlace, TestClient, Path]) -> None:
    place, client, cwd = swept
    before = snapshot(place.place.dir, cwd)
    app: Any = client.app
    routes = [r for r in api_routes(app.routes) if r.path not in _SKIPPED]
    assert len(routes) > 50
    sent, started = 0, time.monotonic()
    values = payloads(place)
    for route in routes:
        methods = route.methods or {"GET"}
        method = "GET" if "GET" in methods else sorted(methods)[0]
        for name in route.param_convertors:  # each path parameter, the others naming what the place holds
            for value in values:
                path = held_path(route, name, value)
                check(client.request(method, path, follow_redirects=False), place, f"{method} {path[:120]}")
                sent += 1
        for name in sorted(query_names(route)):
            for value in values:
                response = client.request(
                    method, held_path(route), params={name: value}, follow_redirects=False
                )
                check(response, place, f"{method} {route.path}?{name}={value[:60]!r}")
                sent += 1
    assert sent > 1000
    assert snapshot(place.place.dir, cwd) == before, "a file was written or changed"
    assert client.get("/session.json").status_code == 200  # still logged in: nothing ended the session
    print(f"injection sweep: {len(routes)} routes, {sent} requests, {time.monotonic() - started:.1f} s")


# -- the findings of issue 19, one by one ---------------------------------------------------------------------
def _coded(response: Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:300]
    if response.headers.get("content-type", "").startswith("application/json"):
        assert response.json()["error"]["code"] == code
    else:
        assert code in response.text


def test_the_area_level_is_a_known_level(swept: tuple[SweptPlace, TestClient, Path]) -> None:
    place, client, cwd = swept
    leak, copy = payloads(place)[0], payloads(place)[2]
    for path in ("/spend", "/spend.json", "/spend/coverage", "/spend/coverage.json"):
        for level in (leak, copy):
            response = client.get(path, params={"level": level})
            _coded(response, 400, "TP106")
            assert all(secret not in response.text for secret in place.secrets)
    assert not (cwd / "pwned.csv").exists() and not (place.place.dir / "pwned.csv").exists()
    assert client.get("/spend.json", params={"level": "oa"}).json()["areas"]["level"] == "oa"


def test_a_model_name_never_reads_a_file(swept: tuple[SweptPlace, TestClient, Path]) -> None:
    place, client, cwd = swept
    (cwd / "probe.yaml").write_text("model: {name: probe, title: PROBE-CONTENTS}\n", encoding="utf-8")
    found, absent = client.get("/cba/probe.yaml.json"), client.get("/cba/absent.yaml.json")
    _coded(found, 404, "TP104")
    _coded(absent, 404, "TP104")  # the same answer whether or not such a file exists
    assert "PROBE" not in found.text and "probe.yaml" not in found.json()["error"]["hint"]
    for name in ("probe", "..%2Fcanary.txt", "%2Fetc%2Fpasswd"):
        response = client.get(f"/cba/{name}.json")
        assert response.status_code in (400, 404) and "PROBE" not in response.text
        assert all(secret not in response.text for secret in place.secrets)
    assert client.get("/cba/case-08.json").status_code == 200


CRAFTED = [
    *(f"/spend/lines{twin}?limit={v}" for twin in ("", ".json") for v in ("abc", "1e3", "1.5")),
    *(f"/pools/bcf/ledger{twin}?limit={v}" for twin in ("", ".json") for v in ("abc", "1e3", "1.5")),
    "/datasets/99999999999999999999",
    "/datasets/99999999999999999999.json",
    "/datasets/99999999999999999999/export.csv",
    "/datasets/-1/export.csv",
    "/outcomes/letters/99999999999999999999",
    "/outcomes/letters/99999999999999999999.pdf",
    "/outcomes/letters/0",
    "/segments-diagnose?starts=0",
    "/segments-diagnose.json?starts=0",
    "/cba/" + "a" * 5000,
    "/cba/" + "a" * 5000 + ".json",
]


@pytest.mark.parametrize("url", CRAFTED, ids=lambda u: u[:50])
def test_crafted_urls_get_coded_refusals(swept: tuple[SweptPlace, TestClient, Path], url: str) -> None:
    _place, client, _cwd = swept
    response = client.get(url)
    assert 400 <= response.status_code < 500, response.text[:200]
    assert _CODED.search(response.text)


def test_framework_refusals_are_coded_too(swept: tuple[SweptPlace, TestClient, Path]) -> None:
    _place, client, _cwd = swept
    missing = client.post("/cba-new", headers={"accept": "application/json"})
    _coded(missing, 422, "TP108")
    assert {p["parameter"] for p in missing.json()["error"]["problems"]} == {"model", "csrf_token"}
    page = client.get("/outcomes/letters/abc.pdf")
    _coded(page, 422, "TP108")
    assert "<td>letter_id</td>" in page.text
    _coded(client.get("/outcomes/letters/abc"), 404, "TP104")  # a page's id as the twins read it
    _coded(client.get("/no/such/page"), 404, "TP104")
    _coded(client.get("/no/such/page.json"), 404, "TP104")
