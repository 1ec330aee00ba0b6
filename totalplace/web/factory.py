"""Serving a place from several worker processes.

One Python process runs page code one thread at a time (the GIL), so a busy server needs several processes.
Uvicorn starts them from an import string naming an app factory: :func:`create_worker_app` is that factory.
Each worker opens the place named by ``TOTALPLACE_PLACE`` (set by ``totalplace serve`` before the workers
start) with its own store connections, its own analytics connection and its own page cache, and they stay
correct together because every cached value is keyed by the store's data version (see
:mod:`totalplace.web.cache`).

On PostgreSQL the workers are ordinary concurrent clients. On SQLite they share one file in WAL mode:
readers run side by side (the served place reads without taking the write lock), and writers queue, one at a
time, because every write transaction begins with ``BEGIN IMMEDIATE`` and waits up to 30 s for the lock
(``totalplace/store/engine.py``); imports hold the place's import lock (a file lock) while they commit. So
several workers are safe on SQLite too; writes simply do not run in parallel.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import TYPE_CHECKING

from totalplace import settings
from totalplace.errors import ListenError, WorkerCountError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from totalplace.place import Place

MAX_WORKERS = 64
AUTO_WORKERS_CAP = 8
FACTORY = "totalplace.web.factory:create_worker_app"


def default_workers() -> int:
    """``TOTALPLACE_WORKERS``, or with 0 (the default) one worker per CPU core, at most 8."""
    return resolve_workers(settings.get_int("workers"))


def resolve_workers(count: int | None) -> int:
    """The number of workers to run for ``--workers COUNT``: None means the setting, 0 one per core (at
    most 8); anything but 1 to 64 processes is a coded error."""
    if count is None:
        return default_workers()
    if count == 0:
        return max(1, min(os.cpu_count() or 1, AUTO_WORKERS_CAP))
    if not 1 <= count <= MAX_WORKERS:
        raise WorkerCountError(
            f"cannot run {count} worker processes",
            hint=f"give --workers (or TOTALPLACE_WORKERS) from 1 to {MAX_WORKERS}, or 0 for one per CPU core",
        )
    return count


def check_address(host: str, port: int) -> None:
    """Refuse at once, with a coded error, an address and port the server could not listen on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {host}: {exc.strerror}", hint="give --host an address") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            taken = exc.errno == errno.EADDRINUSE
            raise ListenError(
                f"cannot listen on {host}:{port}: "
                + ("another program is using that port" if taken else (exc.strerror or str(exc))),
                hint="give another --port (or TOTALPLACE_PORT), or stop the program using it"
                if taken
                else "give another --host or --port",
            ) from exc


def create_worker_app() -> FastAPI:
    """The app of one worker process: the place named by TOTALPLACE_PLACE, opened in this process."""
    from totalplace.place import Place
    from totalplace.web.app import create_app

    app = create_app(Place.open(settings.get_str("place")))
    app.state.warm_up = True
    return app


def describe(place: Place, workers: int) -> str:
    """One line on how the place is served, for the operator starting the server."""
    if workers == 1:
        return "1 worker process"
    if place.config.store == "sqlite":
        return (
            f"{workers} worker processes on the SQLite store: reads run side by side, writes queue one at a "
            "time (PostgreSQL lets them overlap)"
        )
    return f"{workers} worker processes on PostgreSQL"


def serve(place: Place, *, host: str, port: int, workers: int) -> None:
    """Serve ``place`` until interrupted: in this process with one worker, else in ``workers`` processes."""
    import uvicorn

    resolve_workers(workers)
    check_address(host, port)
    if workers == 1:
        from totalplace.web.app import create_app

        app = create_app(place)
        app.state.warm_up = True
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    # The workers open the place themselves; the store is already migrated and tidied by this process.
    os.environ["TOTALPLACE_PLACE"] = str(place.dir)
    uvicorn.run(FACTORY, factory=True, host=host, port=port, workers=workers, log_level="warning")
