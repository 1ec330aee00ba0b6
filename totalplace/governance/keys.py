"""Named secret keys kept outside the store, in files beside the place (``<place>/keys/NAME.key``).

A key that protects the store against its own writers (the audit chain's HMAC key; later the pseudonym keys)
must not live in the database: anyone who can rewrite the database could then rewrite what the key protects.
Each key is a file of hex text, created once with mode 0600 inside a 0700 folder and written so that a crash
leaves either no key or the whole key. A key file that other users may read or change is refused, as OpenSSH
refuses a private key with group or world permissions (``sshd(8)``, StrictModes).
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

from totalplace import durable
from totalplace.errors import KeyInvalidError, KeyMissingError, KeyPermissionError

KEYS_DIR = "keys"
KEY_BYTES = (
    32  # RFC 2104 §3: an HMAC key shorter than the hash's output (32 bytes for SHA-256) is discouraged
)
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def keys_dir(place_dir: Path) -> Path:
    """The folder holding a place's key files."""
    return place_dir / KEYS_DIR


def key_path(place_dir: Path, name: str) -> Path:
    """Where the key called ``name`` lives."""
    if not _NAME.match(name):
        raise ValueError(f"not a key name: {name!r}")
    return keys_dir(place_dir) / f"{name}.key"


def parse_key(text: str, where: str) -> bytes:
    """The key written as hex in ``text`` (from a file or a setting named by ``where``)."""
    value = text.strip()
    if not _HEX.match(value) or len(value) % 2:
        raise KeyInvalidError(
            f"{where} does not hold a key written in hex",
            hint="a key is 64 hex digits: `python -c 'import secrets; print(secrets.token_hex(32))'`",
        )
    key = bytes.fromhex(value)
    if len(key) < KEY_BYTES:
        raise KeyInvalidError(
            f"{where} holds a key of {len(key)} bytes; at least {KEY_BYTES} are needed",
            hint="make a longer one with `python -c 'import secrets; print(secrets.token_hex(32))'`",
        )
    return key


def create_key(place_dir: Path, name: str) -> bytes:
    """Make a new random key file, or return the key already there (a retried ``init``)."""
    path = key_path(place_dir, name)
    try:
        return _create(path)
    except FileExistsError:
        return load_key(place_dir, name)
    except OSError as exc:
        raise KeyPermissionError(
            f"the key file {path} cannot be made: {exc.strerror}",
            hint=f"run totalplace as the user that owns {place_dir}",
        ) from None


def _create(path: Path) -> bytes:
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    if path.exists():
        raise FileExistsError(path)
    key = secrets.token_bytes(KEY_BYTES)
    # Created exclusively, so two processes creating the same key cannot overwrite each other.
    durable.create_exclusively(path, key.hex().encode("ascii") + b"\n", mode=0o600)
    return key


def load_key(place_dir: Path, name: str) -> bytes:
    """Read the key called ``name``, refusing one that is missing, damaged or open to other users."""
    path = key_path(place_dir, name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise KeyMissingError(
            f"the key file {path} is missing",
            hint=f"restore {path.name} into {path.parent} from the backup kept apart from the database",
        ) from None
    except OSError as exc:
        raise KeyPermissionError(
            f"the key file {path} cannot be read: {exc.strerror}",
            hint="run totalplace as the user that owns the place's keys folder (not a symbolic link)",
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise KeyInvalidError(f"{path} is not a regular file", hint="restore the key file from backup")
        if mode & 0o077:
            raise KeyPermissionError(
                f"the key file {path} may be read or changed by other users (mode {stat.filemode(mode)})",
                hint=f"chmod 600 {path} (and chmod 700 {path.parent}) if no one else has seen it; "
                "otherwise treat the key as exposed",
            )
        text = os.read(fd, 4096).decode("ascii", errors="replace")
    finally:
        os.close(fd)
    return parse_key(text, str(path))


def key_names(place_dir: Path, prefix: str) -> list[str]:
    """The names of the key files whose names start with ``prefix``, sorted."""
    folder = keys_dir(place_dir)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob(f"{prefix}*.key") if _NAME.match(p.stem))
