"""Uploads: refused before the body is read (no session, no permission, a Content-Length past the limit),
cut off as soon as a body passes the limit, and otherwise streamed to disk in bounded memory and imported.

These tests speak ASGI to the app directly, with a body that counts how much of it the app has read:
a test client would send the whole body before the app could refuse it.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.datasets.files import GOOD_ROWS, HEADER
from totalplace.place import Place
from totalplace.web import upload
from totalplace.web.app import create_app
from totalplace.web.session import SESSION_COOKIE
from totalplace.web.upload_stream import UPLOAD_PATHS, UploadForm

Login = Callable[[str], TestClient]
BOUNDARY = "----totalplace-test-boundary"
CHUNK = 64 * 1024
MB = 1024 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    consumed: int  # body bytes the app asked for


@dataclass
class Session:
    cookie: str = ""
    csrf: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _head(fields: dict[str, str], file_field: str = "file", filename: str = "big.csv") -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    )
    return "".join(parts).encode()


TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def _body(head: bytes, content: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from content
    yield TAIL


def _filler(total: int) -> Iterator[bytes]:
    block = b"01/04/2024,Acme Care Ltd,1.00,Care\n" * (CHUNK // 36)
    sent = 0
    while sent < total:
        yield block
        sent += len(block)


def _call(
    app: FastAPI,
    path: str,
    chunks: Iterator[bytes],
    *,
    session: Session | None = None,
    content_length: int | None = None,
    accept_json: bool = True,
    content_type: str = f"multipart/form-data; boundary={BOUNDARY}",
) -> Answer:
    """POST ``chunks`` to the app as a server would, counting the bytes the app reads."""
    headers = [(b"content-type", content_type.encode())]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    if accept_json:
        headers.append((b"accept", b"application/json"))
    if session is not None:
        headers.append((b"cookie", f"{SESSION_COOKIE}={session.cookie}".encode()))
        headers.extend((k.encode(), v.encode()) for k, v in session.extra.items())
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    consumed, sent = 0, []
    finished = False

    async def receive() -> dict[str, Any]:
        nonlocal consumed, finished
        if finished:
            await asyncio.sleep(3600)  # a client that keeps the connection open
        chunk = next(chunks, None)
        if chunk is None:
            finished = True
            return {"type": "http.request", "body": b"", "more_body": False}
        consumed += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    heads = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return Answer(start["status"], heads, body, consumed)


def _session(client: TestClient) -> Session:
    return Session(client.cookies[SESSION_COOKIE], client.get("/session.json").json()["csrf_token"])


def _uploads(place: Place) -> list[Path]:
    root = place.dir / "data" / "uploads"
    return list(root.rglob("*")) if root.exists() else []


def test_anonymous_uploads_are_refused_before_the_body_is_read(web_place: Place) -> None:
    app = create_app(web_place)
    head = _head({"kind": "spend", "partner": "Council"})
    for path in sorted(UPLOAD_PATHS):
        answer = _call(app, path, _body(head, _filler(200 * MB)))  # 200 MB offered, no Content-Length
        assert answer.status == 401, (path, answer.body[:200])
        assert b"TP203" in answer.body and answer.consumed == 0
        page = _call(app, path, _body(head, _filler(200 * MB)), accept_json=False)
        if path.endswith(".json"):
            assert page.status == 401 and page.consumed == 0
        else:
            assert page.status == 303 and page.headers["location"].startswith("/login") and page.consumed == 0
    assert _uploads(web_place) == []


def test_a_user_without_the_permission_is_refused_before_the_body_is_read(
    web_place: Place, client_for: Login
) -> None:
    auditor = _session(client_for("auditor"))
    answer = _call(
        create_app(web_place),
        "/datasets/upload",
        _body(_head({"csrf_token": auditor.csrf}), _filler(50 * MB)),
        session=auditor,
    )
    assert answer.status == 403 and b"TP201" in answer.body and answer.consumed == 0


def test_a_content_length_past_the_limit_gets_413_without_reading(
    web_place: Place, client_for: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOTALPLACE_MAX_IMPORT_BYTES", str(2 * MB))
    finance = _session(client_for("finance"))
    head = _head({"csrf_token": finance.csrf, "kind": "spend", "partner": "Council"})
    answer = _call(
        create_app(web_place),
        "/datasets/upload",
        _body(head, _filler(500 * MB)),
        session=finance,
        content_length=500 * MB,
    )
    assert answer.status == 413 and b"TP205" in answer.body and answer.consumed == 0


@pytest.mark.parametrize("declared", [None, 1000], ids=["no-content-length", "lying-content-length"])
def test_a_body_that_runs_past_the_limit_is_cut_off(
    web_place: Place, client_for: Login, monkeypatch: pytest.MonkeyPatch, declared: int | None
) -> None:
    monkeypatch.setenv("TOTALPLACE_MAX_IMPORT_BYTES", str(2 * MB))
    finance = _session(client_for("finance"))
    head = _head({"csrf_token": finance.csrf, "kind": "spend", "partner": "Council"})
    answer = _call(
        create_app(web_place),
        "/datasets/upload",
        _body(head, _filler(100 * MB)),
        session=finance,
        content_length=declared,
    )
    assert answer.status == 413 and b"TP205" in answer.body
    assert answer.consumed <= 3 * MB + CHUNK  # the limit, the form's allowance and one chunk: not 100 MB
    assert _uploads(web_place) == []  # the partial file is gone


def test_a_forged_form_token_is_refused_before_the_file_is_read(web_place: Place, client_for: Login) -> None:
    finance = _session(client_for("finance"))
    head = _head({"csrf_token": "forged", "kind": "spend", "partner": "Council"})
    answer = _call(create_app(web_place), "/datasets/upload", _body(head, _filler(50 * MB)), session=finance)
    assert answer.status == 403 and b"TP202" in answer.body and answer.consumed < 2 * CHUNK


def test_a_form_post_past_the_form_limit_gets_413(web_place: Place) -> None:
    app, form = create_app(web_place), "application/x-www-form-urlencoded"
    declared = _call(app, "/login", iter([b"x" * CHUNK] * 64), content_length=4 * MB, content_type=form)
    assert declared.status == 413 and b"TP205" in declared.body and declared.consumed == 0
    fields = (f"f{n}=".encode() + b"x" * 60_000 + b"&" for n in range(100))  # 6 MB in fields of 60 KB
    streamed = _call(app, "/pools-new", fields, content_type=form)
    assert streamed.status == 413 and b"TP205" in streamed.body
    assert streamed.consumed <= 2 * MB + 2 * CHUNK


def test_an_upload_is_streamed_to_disk_and_imported(web_place: Place, client_for: Login) -> None:
    finance = _session(client_for("finance"))
    rows = 40_000
    content = HEADER + "\n" + "".join(f"02/05/2024,Supplier {n},1.{n % 100:02d},Care\n" for n in range(rows))
    data = content.encode()
    head = _head({"csrf_token": finance.csrf, "kind": "spend", "partner": "Council"}, filename="may.csv")
    chunks = (data[i : i + CHUNK] for i in range(0, len(data), CHUNK))
    answer = _call(create_app(web_place), "/datasets/upload", _body(head, chunks), session=finance)
    assert answer.status == 303, answer.body[:500]
    batch_id = answer.headers["location"].split("/")[2].split("?")[0]
    client = client_for("lead")
    batch = client.get(f"/datasets/{batch_id}.json").json()["batch"]
    assert batch["row_count"] == rows and batch["source_name"] == "may.csv" and batch["importer"] == "finance"
    assert _uploads(web_place) == []


def test_an_upload_is_held_in_memory_a_chunk_at_a_time(
    web_place: Place, client_for: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def record(place: Place, form: UploadForm) -> SimpleNamespace:
        received = form.file("file")
        seen["size"], seen["on_disk"] = received.size, received.path.stat().st_size
        seen["inside_place"] = received.path.is_relative_to(place.dir / "data" / "uploads")
        return SimpleNamespace(batch=SimpleNamespace(id=1), status="imported")

    monkeypatch.setattr(upload, "_run_upload", record)
    finance = _session(client_for("finance"))
    app = create_app(web_place)
    head = _head({"csrf_token": finance.csrf, "kind": "spend", "partner": "Council"})
    size = 32 * MB
    tracemalloc.start()
    try:
        answer = _call(app, "/datasets/upload", _body(head, _filler(size)), session=finance)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status == 303
    assert seen["size"] == seen["on_disk"] >= size and seen["inside_place"]
    assert peak < 4 * MB, f"the upload held {peak:,} bytes in memory at once"


def test_the_json_upload_checks_its_header_token_before_the_body(web_place: Place, client_for: Login) -> None:
    finance = _session(client_for("finance"))
    head = _head({"kind": "spend", "partner": "Council"})
    forged = _call(
        create_app(web_place), "/datasets/upload.json", _body(head, _filler(10 * MB)), session=finance
    )
    assert forged.status == 403 and forged.consumed == 0
    finance.extra["x-csrf-token"] = finance.csrf
    rows = (HEADER + "\n" + GOOD_ROWS + "09/05/2024,Streamed Ltd,5.00,x\n").encode()
    answer = _call(create_app(web_place), "/datasets/upload.json", _body(head, iter([rows])), session=finance)
    assert answer.status == 201, answer.body[:300]


def test_a_broken_multipart_body_is_a_coded_400(web_place: Place, client_for: Login) -> None:
    finance = _session(client_for("finance"))
    answer = _call(
        create_app(web_place), "/datasets/upload", iter([b"--wrong-boundary\r\n garbage"]), session=finance
    )
    assert answer.status in (400, 403) and (b"TP206" in answer.body or b"TP202" in answer.body)
    finance.extra["x-csrf-token"] = finance.csrf
    no_file = _call(
        create_app(web_place),
        "/datasets/upload.json",
        iter([f"--{BOUNDARY}--\r\n".encode()]),
        session=finance,
    )
    assert no_file.status == 400 and b"TP206" in no_file.body
