"""Running a benchmarked function in a fresh process, so each side's peak memory is its own."""

from __future__ import annotations

import multiprocessing
import resource
import time
from typing import Any


def _timed(label: str, queue: Any, func: Any, *args: Any) -> None:
    started = time.perf_counter()
    result = func(*args)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((label, seconds, peak, result))


def run_child(label: str, func: Any, *args: Any) -> tuple[float, float, Any]:
    """Run ``func`` in a fresh process; return its seconds, peak memory in MB, and result."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_timed, args=(label, queue, func, *args))
    child.start()
    _, seconds, peak, result = queue.get()
    child.join()
    return seconds, peak, result
