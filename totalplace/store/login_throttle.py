"""Failed logins counted per user name and per client address, with a growing wait once there are too many.

OWASP's Authentication Cheat Sheet ("Login Throttling") and NIST SP 800-63B §5.2.2 ask for a limit on
consecutive failed attempts that slows guessing without locking the real user out for good: after
``free`` failures in a row, further attempts wait ``delay``, then twice that after the next failure, and so
on up to ``max_delay``; a right password clears the user name's count. The counts live in the store, so the
throttle holds across every server process.

An attempt is counted as a failure *before* its password is checked (and taken back if it was right): fifty
attempts sent at once therefore cannot all slip through while the first few are still being checked. Keys
are SHA-256 digests, so neither a guessed user name (which may be a password typed in the wrong box) nor an
address is stored as text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, delete, select, update

from totalplace import settings
from totalplace.store.clock import as_text, from_text
from totalplace.store.schema import login_throttle

KeyKind = Literal["user", "address"]


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free, and how long the wait after them grows."""

    user_free: int
    address_free: int
    delay: timedelta
    max_delay: timedelta
    forget: timedelta

    @classmethod
    def from_settings(cls) -> ThrottlePolicy:
        """The policy set by the TOTALPLACE_LOGIN_* settings."""
        return cls(
            user_free=max(1, settings.get_int("login_free_failures")),
            address_free=max(1, settings.get_int("login_address_free_failures")),
            delay=timedelta(seconds=max(1, settings.get_int("login_delay_seconds"))),
            max_delay=timedelta(seconds=max(1, settings.get_int("login_max_delay_seconds"))),
            forget=timedelta(hours=max(1, settings.get_int("login_forget_hours"))),
        )

    def free(self, kind: KeyKind) -> int:
        """Failures allowed in a row before attempts wait."""
        return self.user_free if kind == "user" else self.address_free

    def wait(self, kind: KeyKind, failures: int) -> timedelta | None:
        """How long attempts wait after ``failures`` in a row (None: no wait yet)."""
        over = failures - self.free(kind)
        if over < 0:
            return None
        grown: timedelta = self.delay * (2 ** min(over, 30))
        return min(self.max_delay, grown)


@dataclass(frozen=True)
class ThrottleKey:
    """One thing attempts are counted against: a user name or a client address."""

    kind: KeyKind
    digest: str

    @classmethod
    def of(cls, kind: KeyKind, value: str) -> ThrottleKey:
        """The key of a user name (compared lower-case) or an address."""
        text = value.strip().lower() if kind == "user" else value.strip()
        return cls(kind, hashlib.sha256(f"{kind}:{text}".encode("utf-8", "replace")).hexdigest())


@dataclass(frozen=True)
class Refusal:
    """An attempt refused unchecked: try again at ``until``. ``first`` is True once per wait (to audit it)."""

    kind: KeyKind
    until: datetime
    first: bool


def _insert_missing(conn: Connection, key: ThrottleKey, now: datetime) -> None:
    values = {"key": key.digest, "kind": key.kind, "failures": 0, "last_failure_at": as_text(now)}
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(
            pg_insert(login_throttle).values(**values).on_conflict_do_nothing(index_elements=["key"])
        )
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(
            sqlite_insert(login_throttle).values(**values).on_conflict_do_nothing(index_elements=["key"])
        )


_Row = tuple[ThrottleKey, int, datetime | None, str | None]


def _locked_rows(
    conn: Connection, keys: Sequence[ThrottleKey], now: datetime, policy: ThrottlePolicy
) -> list[_Row]:
    """Each key's (failures, blocked_until, refusal_logged_for), its row locked; forgotten counts read as 0.

    Keys are always taken in the same order (user name, then address) so that two logins cannot deadlock.
    """
    out = []
    for key in keys:
        _insert_missing(conn, key, now)
        row = conn.execute(
            select(login_throttle).where(login_throttle.c.key == key.digest).with_for_update()
        ).one()
        failures = int(row.failures)
        if failures and now - from_text(row.last_failure_at) >= policy.forget:
            failures = 0
        blocked = from_text(row.blocked_until) if row.blocked_until and failures else None
        out.append((key, failures, blocked, row.refusal_logged_for))
    return out


def begin_attempt(
    conn: Connection, keys: Sequence[ThrottleKey], now: datetime, policy: ThrottlePolicy
) -> Refusal | None:
    """Refuse the attempt while any key waits; otherwise count it as a failure until it proves right."""
    rows = _locked_rows(conn, keys, now, policy)
    waiting = [
        (key, blocked, logged) for key, _f, blocked, logged in rows if blocked is not None and blocked > now
    ]
    if waiting:
        key, until, logged = max(waiting, key=lambda w: w[1])
        first = logged != as_text(until)
        if first:
            conn.execute(
                update(login_throttle)
                .where(login_throttle.c.key == key.digest)
                .values(refusal_logged_for=as_text(until))
            )
        return Refusal(key.kind, until, first)
    for key, failures, _blocked, _logged in rows:
        count = failures + 1
        wait = policy.wait(key.kind, count)
        conn.execute(
            update(login_throttle)
            .where(login_throttle.c.key == key.digest)
            .values(
                failures=count,
                last_failure_at=as_text(now),
                blocked_until=None if wait is None else as_text(now + wait),
            )
        )
    return None


def attempt_succeeded(conn: Connection, keys: Sequence[ThrottleKey]) -> None:
    """Take back the failure counted for a right password: the user name starts clean; the address's count
    drops by one and stops making others wait, but is kept (a right password for one account does not wipe
    an address's guesses at others, and its next failure makes it wait again at once)."""
    for key in keys:
        if key.kind == "user":
            conn.execute(delete(login_throttle).where(login_throttle.c.key == key.digest))
            continue
        row = conn.execute(
            select(login_throttle.c.failures).where(login_throttle.c.key == key.digest)
        ).first()
        count = 0 if row is None else max(0, int(row.failures) - 1)
        if count == 0:
            conn.execute(delete(login_throttle).where(login_throttle.c.key == key.digest))
        else:
            conn.execute(
                update(login_throttle)
                .where(login_throttle.c.key == key.digest)
                .values(failures=count, blocked_until=None)
            )


def clear(conn: Connection, key: ThrottleKey) -> bool:
    """Forget a key's failures (a new password, or an administrator unblocking a user). True if it had any."""
    return bool(conn.execute(delete(login_throttle).where(login_throttle.c.key == key.digest)).rowcount)


def purge(conn: Connection, now: datetime, policy: ThrottlePolicy) -> int:
    """Delete counts that are forgotten and no longer make anyone wait (housekeeping)."""
    cutoff = as_text(now - policy.forget)
    query = delete(login_throttle).where(
        login_throttle.c.last_failure_at < cutoff,
        (login_throttle.c.blocked_until.is_(None)) | (login_throttle.c.blocked_until < as_text(now)),
    )
    return conn.execute(query).rowcount or 0
