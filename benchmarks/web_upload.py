"""Benchmark of web uploads: memory held while a large file is uploaded, and what an anonymous upload costs.

Issue 19 found a 127 MB upload grew the server by 587 MB (the body was held whole, twice) and an
anonymous 200 MB upload was written to disk before the 403. Each scenario runs in a fresh process
(benchmarks/harness.py) and speaks ASGI to the app as uvicorn does, 64 KiB at a time:

- ``stream``: a logged-in upload of a payments CSV of ``--mb`` MB, streamed to disk (the import stubbed out),
  so the growth is the web layer's alone;
- ``import``: the same file uploaded and imported for real (the importer reads a large clean CSV in blocks);
- ``anonymous``: 200 MB offered without a session: how many bytes the app read before refusing.

Prints one JSON line.

    python benchmarks/web_upload.py [--mb 128]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from harness import run_child
from imports import make_file

BOUNDARY = "----bench-boundary"
CHUNK = 64 * 1024
PASSWORD = "benchmark passphrase"


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class _PeakRss:
    """The highest resident memory seen while the block runs, sampled every 2 ms (ru_maxrss would count the
    64 MiB Argon2 takes at login, before the upload)."""

    def __init__(self) -> None:
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, _rss_mb())

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def _chunks(path: Path | None, fields: dict[str, str], anonymous_mb: int = 0) -> Iterator[bytes]:
    head = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    )
    yield (
        head + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="payments.csv"\r\n\r\n'
    ).encode()
    if path is not None:
        with path.open("rb") as source:
            while block := source.read(CHUNK):
                yield block
    for _ in range(anonymous_mb * 16):
        yield b"x" * CHUNK
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _post(
    app: Any, path: str, chunks: Iterator[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[int, int]:
    """POST through ASGI; the status and how many body bytes the app read."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "client": ("127.0.0.1", 1), "server": ("bench", 80),
        "headers": [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()), *headers],
    }  # fmt: skip
    read, statuses, done = 0, [], False

    async def receive() -> dict[str, Any]:
        nonlocal read, done
        if done:
            await asyncio.sleep(3600)
        chunk = next(chunks, None)
        if chunk is None:
            done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    asyncio.run(app(scope, receive, send))
    return statuses[0], read


def scenario(place_dir: str, source: str, kind: str) -> dict[str, Any]:
    """One scenario in this (fresh) process."""
    from fastapi.testclient import TestClient

    from totalplace.place import Place
    from totalplace.web import upload
    from totalplace.web.app import create_app

    place = Place.open(Path(place_dir))
    app = create_app(place)
    if kind == "stream":
        upload._run_upload = lambda _place, form: SimpleNamespace(  # type: ignore[assignment,return-value]
            batch=SimpleNamespace(id=0), status="imported", to_dict=lambda: {"size": form.file("file").size}
        )
    client = TestClient(app)
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "finance", "password": PASSWORD, "csrf_token": token})
    cookie = client.cookies["totalplace_session"]
    csrf = client.get("/session.json").json()["csrf_token"]
    before, started = _rss_mb(), time.perf_counter()
    fields = {"kind": "spend", "partner": "Council"}
    with _PeakRss() as memory:
        if kind == "anonymous":
            status, read = _post(app, "/datasets/upload.json", _chunks(None, fields, anonymous_mb=200), [])
        else:
            headers = [(b"cookie", f"totalplace_session={cookie}".encode()), (b"x-csrf-token", csrf.encode())]
            status, read = _post(app, "/datasets/upload.json", _chunks(Path(source), fields), headers)
    seconds, peak = time.perf_counter() - started, memory.peak
    return {
        "status": status,
        "body_bytes_read": read,
        "seconds": round(seconds, 2),
        "rss_growth_mb": round(peak - before, 1),
    }


def _build(work: Path, mb: int) -> tuple[Path, Path, int]:
    from totalplace.governance.passwords import hash_password
    from totalplace.place import Place
    from totalplace.store.partners import add_partner, partner_by_name
    from totalplace.store.users import add_user, grant_role

    source = work / "payments.csv"
    rows = mb * 2**20 // 46
    make_file(source, rows)
    with Place.init(work / "place", name="Bench") as place, place.begin() as conn:
        add_partner(conn, name="Council", kind="local_authority", code=None, actor="bench")
        user = add_user(
            conn,
            username="finance",
            display_name="F",
            password_hash=hash_password(PASSWORD),
            is_admin=False,
            actor="b",
        )
        pid = partner_by_name(conn, "Council").id
        grant_role(
            conn, user_id=user.id, role="partner_finance", partner_id=pid, purpose="finance", actor="b"
        )
    return work / "place", source, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=128)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        place_dir, source, rows = _build(Path(tmp), args.mb)
        figures: dict[str, Any] = {
            "benchmark": "web_upload",
            "file_mb": round(source.stat().st_size / 2**20, 1),
        }
        for kind in ("stream", "import", "anonymous"):
            _, _, result = run_child(kind, scenario, str(place_dir), str(source), kind)
            figures[kind] = result
        figures["rows"] = rows
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
