"""A worker's life: made ready before its first visitor, and tidied when it stops.

A worker starts with empty caches, and the first request for the spending page builds the map (a second or
more), holding the worker's analytics connection meanwhile, so other pages that need it wait too. When the
server starts (``totalplace serve``), each worker therefore builds, in a background thread, what the busiest
pages open on: the map of the latest year by small area with its charts, and the outcomes' headlines. The
thread is an optimisation only: what fails there fails again, with its coded error, for the request that
needs it. Tests and other callers of ``create_app`` get no warm-up unless they ask (``app.state.warm_up``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from totalplace.web import outcome_pages, spend_pages
from totalplace.web.analytics import ServedPlace
from totalplace.web.cache import PageCache

log = logging.getLogger(__name__)

STEPS = (spend_pages.warm, outcome_pages.warm)


def warm_up(place: ServedPlace, cache: PageCache, stop: threading.Event) -> None:
    """Compute what the busiest pages open on, step by step until done or ``stop`` is set."""
    for step in STEPS:
        if stop.is_set():
            return
        try:
            step(place, cache)
        except Exception:  # an optimisation only: the request that needs it gets the coded error
            log.warning("warming %s failed", step.__module__, exc_info=True)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the warm-up (when asked and caching is on); on shutdown, stop it and close what the worker
    holds."""
    place = getattr(app.state, "place", None)
    cache = getattr(app.state, "cache", None)
    stop = threading.Event()
    if getattr(app.state, "warm_up", False) and isinstance(place, ServedPlace) and place.sharing and cache:
        threading.Thread(target=warm_up, args=(place, cache, stop), name="warm-up", daemon=True).start()
    yield
    stop.set()
    if isinstance(place, ServedPlace):
        place.release()
