"""Durable writes: a file is replaced whole or not at all, and a file made exclusively is never overwritten."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from totalplace import durable


def test_a_file_written_atomically_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "place.toml"
    durable.write_atomically(path, b"old")
    durable.write_atomically(path, b"new" * 100_000, mode=0o600)
    assert path.read_bytes() == b"new" * 100_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["place.toml"]  # no temporary file left


def test_a_file_made_exclusively_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "audit-1.key"
    durable.create_exclusively(path, b"first\n")
    with pytest.raises(FileExistsError):
        durable.create_exclusively(path, b"second\n")
    assert path.read_bytes() == b"first\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit-1.key"]


def test_a_written_file_and_its_folder_can_be_flushed(tmp_path: Path) -> None:
    path = tmp_path / "batch.parquet"
    path.write_bytes(b"PAR1")
    durable.fsync_path(path)
    durable.fsync_dir(tmp_path)
