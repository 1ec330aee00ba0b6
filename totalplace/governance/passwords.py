"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's recommendations).

A login for a user name that does not exist (or a disabled one) still runs one Argon2 verification, against a
dummy hash made once per process with the same parameters, so that the time an answer takes does not tell
whether a user name exists (OWASP Authentication Cheat Sheet, "Authentication Responses").
"""

from __future__ import annotations

import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from totalplace.errors import InvalidInputError

_HASHER = PasswordHasher()
MIN_LENGTH = 10
# Argon2 pre-hashes any length, but a megabyte "password" is never a typing mistake.
MAX_LENGTH = 1024

_dummy_hash: str | None = None
_dummy_lock = threading.Lock()


def hash_password(password: str) -> str:
    """An Argon2id hash of a password that meets the minimum length."""
    if len(password) < MIN_LENGTH:
        raise InvalidInputError(f"passwords need at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInputError(f"passwords may have at most {MAX_LENGTH} characters")
    return _HASHER.hash(password)


def _dummy() -> str:
    """A hash of a random secret, made once per process with the same parameters as real ones."""
    global _dummy_hash
    with _dummy_lock:
        if _dummy_hash is None:
            _dummy_hash = _HASHER.hash(secrets.token_urlsafe(32))
        return _dummy_hash


def prepare() -> None:
    """Make the dummy hash now (once per process), so that no one's first login pays for it."""
    _dummy()


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches the stored hash.

    ``None`` (no such user, or one who may not log in) does the same work and is always False.
    """
    candidate = password[:MAX_LENGTH]
    try:
        matched = _HASHER.verify(password_hash or _dummy(), candidate)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None and len(password) <= MAX_LENGTH
