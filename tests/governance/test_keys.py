"""Key files beside the place: made private and atomically, refused when open to others or damaged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from totalplace.errors import KeyInvalidError, KeyMissingError, KeyPermissionError
from totalplace.governance import keys


def test_a_key_is_made_once_private_and_read_back(tmp_path: Path) -> None:
    key = keys.create_key(tmp_path, "audit-1")
    path = keys.key_path(tmp_path, "audit-1")
    assert len(key) == keys.KEY_BYTES
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert keys.load_key(tmp_path, "audit-1") == key
    assert keys.create_key(tmp_path, "audit-1") == key  # never overwritten
    assert keys.key_names(tmp_path, "audit-") == ["audit-1"]
    assert [p.name for p in path.parent.iterdir()] == ["audit-1.key"]  # no temporary file left


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    keys.create_key(tmp_path, "audit-1")
    os.chmod(keys.key_path(tmp_path, "audit-1"), 0o644)
    with pytest.raises(KeyPermissionError) as refused:
        keys.load_key(tmp_path, "audit-1")
    assert refused.value.code == "TP303"
    assert "chmod 600" in (refused.value.hint or "")


def test_a_missing_key_names_the_file_and_the_backup(tmp_path: Path) -> None:
    with pytest.raises(KeyMissingError) as missing:
        keys.load_key(tmp_path, "audit-1")
    assert missing.value.code == "TP302"
    assert "audit-1.key" in missing.value.message
    assert "backup" in (missing.value.hint or "")


def test_a_damaged_or_short_key_is_refused(tmp_path: Path) -> None:
    keys.create_key(tmp_path, "audit-1")
    path = keys.key_path(tmp_path, "audit-1")
    path.write_text("not hex\n")
    with pytest.raises(KeyInvalidError):
        keys.load_key(tmp_path, "audit-1")
    path.write_text("ab" * 8)
    with pytest.raises(KeyInvalidError):
        keys.load_key(tmp_path, "audit-1")


def test_a_symbolic_link_is_not_followed(tmp_path: Path) -> None:
    keys.create_key(tmp_path, "audit-1")
    link = keys.key_path(tmp_path, "audit-2")
    link.symlink_to(keys.key_path(tmp_path, "audit-1"))
    with pytest.raises(KeyPermissionError):
        keys.load_key(tmp_path, "audit-2")
