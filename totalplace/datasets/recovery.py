"""Keeping the catalog and the parquet files in agreement across crashes.

An import writes its parquet file under a temporary name, then, holding the place's import lock, renames it
to its final name and commits the catalog row. A process killed at any point leaves either a temporary file
(deleted here once its process is gone) or a final-named file with no catalog row (deleted here, under the
lock, so never while its importer is still between rename and commit). Readers only ever reach files through
committed catalog rows, so no half batch is visible.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from totalplace.store.catalog import list_batches

if TYPE_CHECKING:
    from totalplace.place import Place

LOCK_FILE = ".import.lock"
_TMP = re.compile(r"^\.tmp-(\d+)-[0-9a-f]+\.parquet$")


@contextmanager
def import_lock(place: Place, *, blocking: bool = True) -> Iterator[bool]:
    """Hold the place's import lock; yields False when ``blocking`` is off and another process holds it."""
    path = place.batches_dir.parent / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def temp_parquet_path(place: Place) -> Path:
    """A fresh temporary name for a batch being written by this process."""
    return place.batches_dir / f".tmp-{os.getpid()}-{os.urandom(8).hex()}.parquet"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_interrupted_imports(place: Place) -> list[str]:
    """Delete what interrupted imports left behind. Returns the names removed."""
    removed: list[str] = []
    with import_lock(place, blocking=False) as locked:
        if not locked:
            return removed
        with place.read() as conn:
            known = {Path(b.parquet_path).name for b in list_batches(conn)}
        for entry in place.batches_dir.iterdir():
            tmp = _TMP.match(entry.name)
            stale_tmp = tmp is not None and not _process_alive(int(tmp.group(1)))
            orphan = tmp is None and entry.suffix == ".parquet" and entry.name not in known
            if stale_tmp or orphan:
                entry.unlink(missing_ok=True)
                removed.append(entry.name)
    return removed


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_consistency(place: Place, *, verify_hashes: bool = True) -> list[str]:
    """Problems between the catalog and the files: missing, altered or unlisted batch files."""
    problems: list[str] = []
    with place.read() as conn:
        batches = list_batches(conn)
    known = set()
    for batch in batches:
        path = place.batches_dir / Path(batch.parquet_path).name
        known.add(path.name)
        if not path.exists():
            problems.append(f"batch {batch.id}: its file {path.name} is missing")
        elif verify_hashes and file_sha256(path) != batch.parquet_sha256:
            problems.append(f"batch {batch.id}: its file {path.name} was altered after import")
    for entry in place.batches_dir.iterdir():
        if entry.suffix == ".parquet" and not entry.name.startswith(".tmp-") and entry.name not in known:
            problems.append(f"{entry.name} is not in the catalog")
    return problems
