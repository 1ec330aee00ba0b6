"""The place as a web worker serves it: one analytics connection reused across requests, and reads that do
not queue behind each other.

Engines ask ``place.analytics()`` for a backend for each piece of work. Opening one reads the catalog and the
areas and defines a view over every batch (about 0.1 s on the demo place, more with more batches), which per
request was a large share of a page's time. The served place instead lends out the worker's one backend:

- **One thread at a time.** A DuckDB connection must not run statements from two threads at once, and
  engines define views and temporary tables (``classified_spend``) and register Arrow tables
  (``spend_classes``) on it under fixed names, so two engine runs interleaved on one connection would read
  each other's tables. A lease holds the backend's lock from ``place.analytics()`` until the ``with`` block
  closes it; other threads wait. The lock is re-entrant, so an engine that opens the backend again inside its
  own block gets the same one rather than waiting for itself. Threads are many (FastAPI's pool) but pages
  rarely reach the backend: their results are cached (:mod:`totalplace.web.cache`).
- **Rebuilt only when the catalog changes.** Each lease compares the store's data version with the one the
  backend was built at; when it moved, the active batches and areas are compared too, and only a different
  catalog rebuilds the backend (a pool posting or a login does not). Nothing else on the connection outlives
  a request in a way a page could see: every engine defines the views it reads before reading them.

Closing a lease releases the backend; it never closes it. The worker closes it when it shuts down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from totalplace import settings
from totalplace.backends import open_backend
from totalplace.backends.base import AnalyticsBackend
from totalplace.place import Place
from totalplace.store import audit_keys
from totalplace.store.engine import make_read_engine
from totalplace.web.versions import catalog_signature, data_seq

if TYPE_CHECKING:
    import pyarrow as pa
    from fastapi import FastAPI


class AnalyticsLease(AnalyticsBackend):
    """The worker's backend, lent to one thread until :meth:`close`; every call goes to the backend."""

    def __init__(self, backend: AnalyticsBackend, release: Callable[[], None]) -> None:
        # Not AnalyticsBackend.__init__: that would read the catalog again, which is what sharing avoids.
        self.backend = backend
        self.name = backend.name
        self.place = backend.place
        self.files = backend.files
        self.catalog = backend.catalog
        self.areas = backend.areas
        self._release = release
        self._open = True

    def query(self, sql: str, *args: Any, **kwargs: Any) -> pa.Table:
        return self.backend.query(sql, *args, **kwargs)

    def register_table(self, name: str, table: pa.Table) -> None:
        self.backend.register_table(name, table)

    def create_view(self, name: str, sql: str, *, materialise: bool = False) -> None:
        self.backend.create_view(name, sql, materialise=materialise)

    def __getattr__(self, name: str) -> Any:
        # Anything else a backend offers (a dialect's helpers), from the backend itself.
        return getattr(self.backend, name)

    def close(self) -> None:
        """Give the backend back (once); it stays open for the next request."""
        if self._open:
            self._open = False
            self._release()


class SharedAnalytics:
    """The worker's one analytics backend over ``place``, rebuilt when the catalog changes."""

    def __init__(self, place: ServedPlace) -> None:
        self.place = place
        self.builds = 0
        self._lock = threading.RLock()
        self._depth = 0  # leases held by the thread holding the lock (re-entrant use)
        self._backend: AnalyticsBackend | None = None
        self._seq: int | None = None
        self._signature: str | None = None

    @property
    def backend(self) -> AnalyticsBackend | None:
        """The backend as last built (None before the first lease or after :meth:`close`)."""
        return self._backend

    def lease(self) -> AnalyticsLease:
        """The backend, current with the catalog, for the calling thread alone until the lease is closed."""
        self._lock.acquire()
        try:
            backend = self._current()
        except BaseException:
            self._lock.release()
            raise
        self._depth += 1
        return AnalyticsLease(backend, self._released)

    def _current(self) -> AnalyticsBackend:
        if self._backend is not None and self._depth > 0:
            return self._backend  # an outer lease of this thread is using it: never swap it underneath
        with self.place.read() as conn:
            seq = data_seq(conn)
            if self._backend is not None and seq == self._seq:
                return self._backend
            signature = catalog_signature(conn)
        if self._backend is None or signature != self._signature:
            self._close_backend()
            self._backend = open_backend(self.place, _backend_name())
            self.builds += 1
        self._seq, self._signature = seq, signature
        return self._backend

    def _released(self) -> None:
        self._depth -= 1
        self._lock.release()

    def _close_backend(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def close(self) -> None:
        """Close the backend (when the worker stops); a later lease opens a new one."""
        with self._lock:
            self._close_backend()
            self._seq = self._signature = None


def _backend_name() -> str:
    return settings.get_str("backend") or "duckdb"


class ServedPlace(Place):
    """A place as one web worker serves it (the same directory, store and configuration)."""

    shared: SharedAnalytics
    reader: Engine | None
    sharing: bool

    @classmethod
    def serving(cls, place: Place) -> ServedPlace:
        """``place`` with the worker's shared analytics and (on SQLite) a read engine that does not lock."""
        served = cls.__new__(cls)
        served.__dict__.update(place.__dict__)
        served.sharing = settings.get_int("web_cache") != 0
        served.reader = make_read_engine(place.engine)
        if served.reader is not None:  # the audit page verifies the chain through it: the same keys
            audit_keys.share(place.engine, served.reader)
        served.shared = SharedAnalytics(served)
        return served

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading that neither waits for nor blocks other readers."""
        with (self.reader or self.engine).connect() as conn:
            yield conn

    def analytics(self, backend: str | None = None) -> AnalyticsBackend:
        """The worker's shared backend, lent to this thread (a fresh one for another backend or uncached)."""
        if not self.sharing or (backend is not None and backend != _backend_name()):
            return super().analytics(backend)
        return self.shared.lease()

    def release(self) -> None:
        """Close what the worker holds: the shared backend and the read engine (not the store's engine)."""
        self.shared.close()
        if self.reader is not None:
            self.reader.dispose()


def install(app: FastAPI, place: Place) -> ServedPlace:
    """Serve ``place`` from ``app``: the served place and the page cache on ``app.state``."""
    from totalplace.web.cache import PageCache

    served = ServedPlace.serving(place)
    app.state.place = served
    app.state.cache = PageCache.from_settings()
    return served
