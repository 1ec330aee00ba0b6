"""The worker's cache of pages and of what pages compute, kept until the data they come from changes.

Every key carries the version of the data its value was computed from (see :mod:`totalplace.web.versions`),
so a change anywhere — in this worker, another worker, or the CLI — gives new keys and old values are never
served again; they age out of the bounded LRU. A value being computed is computed once: requests arriving
for the same key meanwhile wait for it instead of computing it again (fifty clients opening a page just
after an import build its map once, not fifty times).

Values are shared between requests and threads, so callers treat them as read-only. The cache is bounded
by the number of values and by the bytes of kept page bodies (pages are kept per user, so many users mean
many bodies); the least recently used go first.

Who may see what is never cached: the twin pages (:func:`totalplace.web.render.twin`) check the session on
every request; a page's data is keyed by the principal's scope (the admin flag and every role grant: all
that the access policy reads) and its body by the whole principal, so neither is ever served to a user with
other rights. What is shared between scopes is computed from place-wide data that each page's permission
check guards before asking for it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any, TypeVar

from fastapi import Request

from totalplace import settings
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.web.versions import DataVersion, catalog_signature, data_seq, files_signature

T = TypeVar("T")

DEFAULT_ENTRIES = 4096
DEFAULT_BODY_BYTES = 128 * 1024 * 1024


class PageCache:
    """A bounded, thread-safe LRU of computed values with one computation per key at a time."""

    def __init__(
        self, *, enabled: bool = True, entries: int = DEFAULT_ENTRIES, body_bytes: int = DEFAULT_BODY_BYTES
    ) -> None:
        self.enabled = enabled
        self.entries = entries
        self.body_bytes = body_bytes
        self.hits = 0
        self.misses = 0
        self._bytes = 0
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    @classmethod
    def from_settings(cls) -> PageCache:
        """A cache on or off as TOTALPLACE_WEB_CACHE says."""
        return cls(enabled=settings.get_int("web_cache") != 0)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value under ``key``, computed (once, whoever asks meanwhile) if it is not kept."""
        if not self.enabled:
            return compute()
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.hits += 1
                return self._values[key]  # type: ignore[no-any-return]
            flight = self._computing.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._values:  # computed by the request we waited for
                    self.hits += 1
                    return self._values[key]  # type: ignore[no-any-return]
                self.misses += 1
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            if _size(value) > self.body_bytes:  # would push everything else out: not kept
                return value
            with self._lock:
                self._values[key] = value
                self._bytes += _size(value)
                while len(self._values) > self.entries or self._bytes > self.body_bytes:
                    _, gone = self._values.popitem(last=False)
                    self._bytes -= _size(gone)
        return value

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()
            self._bytes = 0


def _size(value: object) -> int:
    """What a value counts against the bytes bound: a page body its length, anything else nothing."""
    return len(value) if isinstance(value, bytes) else 0


def page_cache(request: Request) -> PageCache:
    """The app's cache."""
    cache: PageCache = request.app.state.cache
    return cache


def version_of(place: Place) -> DataVersion:
    """The version of the place's data now."""
    with place.read() as conn:
        seq = data_seq(conn)
    return DataVersion(seq, files_signature(place.dir), date.today())


def data_version(request: Request) -> DataVersion:
    """The version of the data this request sees, read once per request."""
    found: DataVersion | None = getattr(request.state, "data_version", None)
    if found is None:
        found = version_of(request.app.state.place)
        request.state.data_version = found
    return found


def catalog_at(place: Place, cache: PageCache, seq: int) -> str:
    """The digest of the active batches and areas at data version ``seq`` (read once per version)."""

    def read() -> str:
        with place.read() as conn:
            return catalog_signature(conn)

    return cache.get(("catalog", seq), read)


def catalog_version(request: Request) -> str:
    """The digest of the active batches and areas, read from the store only when the data version moved."""
    return catalog_at(request.app.state.place, page_cache(request), data_version(request).seq)


def cached(request: Request, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()`` kept under ``key`` for the request's data version."""
    if not page_cache(request).enabled:
        return compute()
    return page_cache(request).get((*key, data_version(request)), compute)


def principal_key(principal: object) -> Hashable:
    """The principal itself when hashable (every field counts), else its full text."""
    try:
        hash(principal)
    except TypeError:
        return repr(principal)
    return principal


def scope_key(principal: Principal) -> Hashable:
    """The principal without its user name: what the access policy decides by (admin flag and grants, and any
    field added later), so users with the same rights share what a page computes for them."""
    if dataclasses.is_dataclass(principal) and any(
        f.name == "username" for f in dataclasses.fields(principal)
    ):
        return principal_key(dataclasses.replace(principal, username=""))
    return principal_key(principal)  # of another shape: keyed by all of it, never shared wrongly
