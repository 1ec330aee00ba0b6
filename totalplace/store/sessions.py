"""Web sessions held in the store, so that logging out (or a password change) ends them everywhere.

The browser holds only a random id (256 bits, ``secrets.token_urlsafe``); the store keeps its SHA-256, the
user, when it began and was last used, when it ends however busy, and the session's CSRF token. Every server
process reads the same rows, so nothing about a session lives in one process's memory. Reading a session is
one indexed lookup (the id's hash is the primary key) that brings the user and their roles in the same query;
``last_seen_at`` is written at most once a minute per session, not on every request.

Expiry follows OWASP's Session Management Cheat Sheet: an idle timeout and an absolute timeout, both checked
on the server, and a new id at every login (session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update

from totalplace import settings
from totalplace.store import audit
from totalplace.store.clock import as_text, from_text
from totalplace.store.schema import partners, role_grants, sessions, users
from totalplace.store.users import RoleGrant

# How stale ``last_seen_at`` may grow before a request writes it again: idle expiry is exact to this much.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions last: ``idle`` without a request, ``absolute`` from login however busy."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls) -> SessionPolicy:
        """The policy set by TOTALPLACE_SESSION_IDLE_MINUTES and TOTALPLACE_SESSION_HOURS."""
        return cls(
            idle=timedelta(minutes=max(1, settings.get_int("session_idle_minutes"))),
            absolute=timedelta(hours=max(1, settings.get_int("session_hours"))),
        )


@dataclass(frozen=True)
class NewSession:
    """A session just begun: ``cookie_id`` goes to the browser and is never stored."""

    cookie_id: str
    id_hash: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class ActiveSession:
    """A live session with its user and the user's roles, as one lookup finds them."""

    id_hash: str
    user_id: int
    username: str
    is_admin: bool
    grants: tuple[RoleGrant, ...]
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    csrf_token: str


@dataclass(frozen=True)
class SessionInfo:
    """What a user may see of their own sessions (never the id)."""

    id_hash: str
    created_at: str
    last_seen_at: str
    expires_at: str
    address: str | None
    user_agent: str | None


def hash_id(cookie_id: str) -> str:
    """The stored form of a session id."""
    return hashlib.sha256(cookie_id.encode("utf-8", "replace")).hexdigest()


def start_session(
    conn: Connection,
    *,
    user_id: int,
    now: datetime,
    policy: SessionPolicy,
    address: str | None = None,
    user_agent: str | None = None,
) -> NewSession:
    """Begin a session for a user who has just proved who they are."""
    cookie_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + policy.absolute
    conn.execute(
        sessions.insert().values(
            id_hash=hash_id(cookie_id),
            user_id=user_id,
            created_at=as_text(now),
            last_seen_at=as_text(now),
            expires_at=as_text(expires),
            csrf_token=csrf,
            address=(address or None) and address[:64],
            user_agent=(user_agent or None) and user_agent[:200],
        )
    )
    return NewSession(cookie_id, hash_id(cookie_id), csrf, expires)


_LOOKUP = (
    select(
        sessions.c.id_hash,
        sessions.c.created_at,
        sessions.c.last_seen_at,
        sessions.c.expires_at,
        sessions.c.csrf_token,
        users.c.id.label("user_id"),
        users.c.username,
        users.c.is_admin,
        users.c.active,
        role_grants.c.role,
        role_grants.c.partner_id,
        partners.c.name.label("partner_name"),
        role_grants.c.purpose,
    )
    .select_from(
        sessions.join(users, users.c.id == sessions.c.user_id)
        .outerjoin(role_grants, role_grants.c.user_id == users.c.id)
        .outerjoin(partners, partners.c.id == role_grants.c.partner_id)
    )
    .order_by(role_grants.c.role)
)


def find_session(
    conn: Connection, cookie_id: str, now: datetime, policy: SessionPolicy
) -> ActiveSession | None:
    """The live session behind a cookie, or None when it was ended, has expired or its user is disabled."""
    rows = conn.execute(_LOOKUP.where(sessions.c.id_hash == hash_id(cookie_id))).all()
    if not rows or not rows[0].active:
        return None
    first = rows[0]
    created, seen, expires = (
        from_text(first.created_at),
        from_text(first.last_seen_at),
        from_text(first.expires_at),
    )
    # The settings are read now, so shortening them ends longer sessions at once.
    if now >= min(expires, created + policy.absolute) or now >= seen + policy.idle:
        return None
    grants = tuple(
        RoleGrant(r.role, r.partner_id, r.partner_name, r.purpose) for r in rows if r.role is not None
    )
    return ActiveSession(
        first.id_hash,
        int(first.user_id),
        first.username,
        bool(first.is_admin),
        grants,
        created,
        seen,
        expires,
        first.csrf_token,
    )


def needs_touch(session: ActiveSession, now: datetime) -> bool:
    """True when ``last_seen_at`` is stale enough to be written again."""
    return now - session.last_seen_at >= TOUCH_EVERY


def touch_session(conn: Connection, id_hash: str, now: datetime) -> None:
    """Record that a session was used (for idle expiry)."""
    conn.execute(update(sessions).where(sessions.c.id_hash == id_hash).values(last_seen_at=as_text(now)))


def end_session(conn: Connection, cookie_id: str) -> int | None:
    """End one session (logging out); the id of its user, or None when there was no such session."""
    id_hash = hash_id(cookie_id)
    user_id = conn.execute(select(sessions.c.user_id).where(sessions.c.id_hash == id_hash)).scalar()
    conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))
    return None if user_id is None else int(user_id)


def end_user_sessions(
    conn: Connection, user_id: int, *, actor: str, reason: str, keep: str | None = None
) -> int:
    """End every session of a user ("log out everywhere"), except the one whose hash is ``keep``; audited."""
    query = delete(sessions).where(sessions.c.user_id == user_id)
    if keep is not None:
        query = query.where(sessions.c.id_hash != keep)
    ended = conn.execute(query).rowcount or 0
    audit.append(
        conn,
        actor=actor,
        action="session.end_all",
        object_type="user",
        object_id=user_id,
        detail={"reason": reason, "sessions_ended": ended, "kept_current": keep is not None},
    )
    return ended


def purge_expired(conn: Connection, now: datetime, policy: SessionPolicy) -> int:
    """Delete sessions past their absolute or idle expiry (housekeeping at each login)."""
    query = delete(sessions).where(
        (sessions.c.expires_at <= as_text(now)) | (sessions.c.last_seen_at <= as_text(now - policy.idle))
    )
    return conn.execute(query).rowcount or 0


def list_sessions(conn: Connection, user_id: int) -> list[SessionInfo]:
    """A user's sessions, newest first."""
    query = (
        select(
            sessions.c.id_hash,
            sessions.c.created_at,
            sessions.c.last_seen_at,
            sessions.c.expires_at,
            sessions.c.address,
            sessions.c.user_agent,
        )
        .where(sessions.c.user_id == user_id)
        .order_by(sessions.c.created_at.desc())
    )
    return [SessionInfo(**r._mapping) for r in conn.execute(query)]
