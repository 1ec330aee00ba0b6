"""Writing files so that a crash leaves the old content or the new, never a part (DESIGN.md §4).

Every file totalplace writes outside the database that must survive a power cut goes through here: the
place's settings and secret, keys, parquet batches, and the audit anchor. Data is fsynced before it is given
its final name, and the folder is fsynced after, so the rename itself is on disk.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_all(fd: int, content: bytes) -> None:
    """Write every byte of ``content`` to an open descriptor and fsync it (``os.write`` may write fewer)."""
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def fsync_path(path: Path) -> None:
    """Flush a file already written (by another library, e.g. a parquet writer) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder, so that names just created, renamed or removed in it survive a crash."""
    fsync_path(path)


def write_atomically(path: Path, content: bytes, mode: int = 0o644) -> None:
    """Write a file so that a crash leaves either the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        write_all(fd, content)
    finally:
        os.close(fd)
    replace(tmp, path)


def replace(tmp: Path, path: Path) -> None:
    """Give a file written and fsynced under ``tmp`` its final name ``path``, durably."""
    os.replace(tmp, path)
    fsync_dir(path.parent)


def create_exclusively(path: Path, content: bytes, mode: int = 0o600) -> None:
    """Create ``path`` whole with ``content``, raising :class:`FileExistsError` if it exists.

    The content is written under a private name and then linked: ``link`` fails when the name exists, so two
    processes creating the same file cannot overwrite each other, and no reader ever sees it part-written.
    """
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        write_all(fd, content)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)
