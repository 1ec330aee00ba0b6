"""`totalplace serve --workers N`: the app factory each worker runs, its warm-up, several processes on one
store (PostgreSQL, and SQLite whose writers queue), and the coded refusals of the serve command."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Invoke
from tests.web.conftest import PASSWORD, csrf_of
from totalplace.governance.passwords import hash_password
from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.partners import list_partners
from totalplace.store.users import add_user
from totalplace.web import spend_pages
from totalplace.web.analytics import ServedPlace
from totalplace.web.factory import create_worker_app, default_workers, resolve_workers
from totalplace.web.warmup import warm_up

Login = Callable[[str], TestClient]
ROOT = Path(__file__).resolve().parents[2]


def test_the_worker_factory_serves_the_place_named_by_the_setting(
    web_place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOTALPLACE_PLACE", str(web_place.dir))
    app = create_worker_app()
    assert isinstance(app.state.place, ServedPlace) and app.state.warm_up is True
    assert app.state.place.dir == web_place.dir
    with TestClient(app) as client:  # runs the worker's life: warm-up at start, release at stop
        assert client.get("/login").status_code == 200
    assert app.state.place.shared.backend is None  # closed when the worker stopped


def test_a_warmed_worker_answers_the_spending_page_without_building_the_map(
    web_place: Place, client_for: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for("lead")
    served = client.app.state.place  # type: ignore[attr-defined]
    warm_up(served, client.app.state.cache, threading.Event())  # type: ignore[attr-defined]
    assert served.shared.builds == 1

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the map was built again")

    monkeypatch.setattr(spend_pages, "build_spend_map", refuse)
    assert client.get("/spend.json").json()["total_pence"] == 130949


def test_the_number_of_workers_comes_from_the_option_or_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOTALPLACE_WORKERS", "3")
    assert default_workers() == 3 and resolve_workers(None) == 3 and resolve_workers(2) == 2
    monkeypatch.setenv("TOTALPLACE_WORKERS", "0")
    assert default_workers() == max(1, min(os.cpu_count() or 1, 8))
    assert resolve_workers(0) == default_workers()


def test_serve_refuses_an_impossible_number_of_workers_or_a_busy_port(run: Invoke) -> None:
    assert run("init", os.environ["TOTALPLACE_PLACE"], "--name", "Testshire").exit_code == 0
    refused = run("serve", "--workers", "100")
    assert refused.exit_code == 1 and "TP120" in refused.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = run("serve", "--port", str(port), "--workers", "1", "--json")
    assert taken.exit_code == 1 and '"TP420"' in taken.output and "another program" in taken.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _children(pid: int) -> int:
    found = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                found += 1
        except OSError:
            continue
    return found


@pytest.fixture
def serving(place: Place) -> Iterator[str]:
    """`totalplace serve --workers 2` over ``place`` on PostgreSQL (on SQLite the factory's test above
    stands for it: each worker process takes several seconds to start)."""
    if place.config.store != "postgresql":
        pytest.skip("the two-process server is started on PostgreSQL only (slow to start)")
    with place.begin() as conn:
        add_user(
            conn, username="lead", display_name="", password_hash=hash_password(PASSWORD), is_admin=True,
            actor="t",
        )  # fmt: skip
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-c", "from totalplace.cli import main; main()", "serve"]
    child = subprocess.Popen(
        [*command, "--place", str(place.dir), "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while child.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/login", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert child.poll() is None, child.stdout.read().decode() if child.stdout else ""
        assert _children(child.pid) >= 2  # the workers (uvicorn's supervisor is the parent)
        yield base
    finally:
        child.terminate()
        child.wait(timeout=60)


def test_serve_with_two_workers_starts_and_answers(serving: str) -> None:
    for _ in range(4):  # new connections, so both workers are likely to answer some
        with httpx.Client(base_url=serving, timeout=60) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
            data = {"username": "lead", "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
            assert client.post("/login", data=data).status_code == 303
            assert client.get("/spend.json").json()["total_pence"] == 0
            assert client.get("/outcomes.json").json()["framework"] is None
            assert csrf_of(client.get("/spend").text)


WRITER = """
import sys, time
from pathlib import Path
from totalplace.place import Place
from totalplace.store.partners import add_partner

directory, prefix, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
with Place.open(directory) as place:
    while not go.exists():  # every writer starts at once
        time.sleep(0.01)
    for i in range(count):
        with place.begin() as conn:
            add_partner(conn, name=f"{prefix}{i}", kind="local_authority", code=None, actor=prefix)
"""


def test_writers_in_several_processes_all_land_on_sqlite(sqlite_place: Place, tmp_path: Path) -> None:
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    writers = [
        subprocess.Popen(  # each BEGIN IMMEDIATE waits its turn for the file's write lock
            [sys.executable, "-c", WRITER, str(sqlite_place.dir), prefix, "20", str(go)], env=env
        )
        for prefix in ("a", "b")
    ]
    go.touch()
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    with sqlite_place.read() as conn:
        names = {p.name for p in list_partners(conn)}
        assert all(f"{n}{i}" in names for n in "ab" for i in range(20))
        assert audit.verify(conn).ok
