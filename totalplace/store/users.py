"""Users and their role grants. Passwords arrive here already hashed (see governance.passwords).

A new password, or disabling a user, ends every session the user has (store.sessions), so a session cookie
captured before cannot outlive the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select, update

from totalplace.errors import ConflictError, InvalidInputError, NotFoundError
from totalplace.store import audit, login_throttle
from totalplace.store.clock import utc_now
from totalplace.store.schema import partners, role_grants, users


@dataclass(frozen=True)
class RoleGrant:
    """A role held by a user, scoped to a partner (None: the whole place) and a purpose."""

    role: str
    partner_id: int | None
    partner_name: str | None
    purpose: str


@dataclass(frozen=True)
class User:
    """A person who can log in."""

    id: int
    username: str
    display_name: str
    password_hash: str
    is_admin: bool
    active: bool
    created_at: str


def add_user(
    conn: Connection, *, username: str, display_name: str, password_hash: str, is_admin: bool, actor: str
) -> User:
    """Create a user; the name must be new."""
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InvalidInputError(
            f"{username!r} is not a valid user name", hint="use letters, digits, dots, dashes and underscores"
        )
    if conn.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
        raise ConflictError(f"a user called {username!r} already exists")
    created = utc_now()
    uid = conn.execute(
        users.insert()
        .values(
            username=username,
            display_name=display_name or username,
            password_hash=password_hash,
            is_admin=is_admin,
            active=True,
            created_at=created,
        )
        .returning(users.c.id)
    ).scalar_one()
    audit.append(
        conn,
        actor=actor,
        action="user.add",
        object_type="user",
        object_id=uid,
        detail={"username": username, "is_admin": is_admin},
    )
    return User(int(uid), username, display_name or username, password_hash, is_admin, True, created)


def user_by_name(conn: Connection, username: str) -> User:
    """The user with this name."""
    row = conn.execute(select(users).where(users.c.username == username.strip().lower())).first()
    if row is None:
        raise NotFoundError(f"no user called {username!r}")
    return User(**row._mapping)


def set_password(conn: Connection, *, username: str, password_hash: str, actor: str) -> int:
    """Give a user a new password; every session of theirs ends and their failed logins are forgotten.

    Returns how many sessions ended. The caller starts a fresh session when the user changed their own.
    """
    from totalplace.store import sessions  # sessions imports this module

    user = user_by_name(conn, username)
    conn.execute(update(users).where(users.c.id == user.id).values(password_hash=password_hash))
    login_throttle.clear(conn, login_throttle.ThrottleKey.of("user", user.username))
    audit.append(conn, actor=actor, action="user.password", object_type="user", object_id=user.id, detail={})
    return sessions.end_user_sessions(conn, user.id, actor=actor, reason="password changed")


def set_active(conn: Connection, *, username: str, active: bool, actor: str) -> int:
    """Enable or disable a user; disabling ends every session of theirs. Returns how many sessions ended."""
    from totalplace.store import sessions  # sessions imports this module

    user = user_by_name(conn, username)
    conn.execute(update(users).where(users.c.id == user.id).values(active=active))
    audit.append(
        conn,
        actor=actor,
        action="user.enable" if active else "user.disable",
        object_type="user",
        object_id=user.id,
        detail={},
    )
    return 0 if active else sessions.end_user_sessions(conn, user.id, actor=actor, reason="user disabled")


def list_users(conn: Connection) -> list[User]:
    """All users by name."""
    return [User(**r._mapping) for r in conn.execute(select(users).order_by(users.c.username))]


def count_users(conn: Connection) -> int:
    """How many users exist."""
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def grant_role(
    conn: Connection, *, user_id: int, role: str, partner_id: int | None, purpose: str, actor: str
) -> None:
    """Give a user a role for a partner and purpose (idempotent)."""
    exists = conn.execute(
        select(role_grants.c.id).where(
            role_grants.c.user_id == user_id,
            role_grants.c.role == role,
            role_grants.c.partner_id.is_(None)
            if partner_id is None
            else role_grants.c.partner_id == partner_id,
            role_grants.c.purpose == purpose,
        )
    ).first()
    if exists is not None:
        return
    conn.execute(
        role_grants.insert().values(user_id=user_id, role=role, partner_id=partner_id, purpose=purpose)
    )
    audit.append(
        conn,
        actor=actor,
        action="role.grant",
        object_type="user",
        object_id=user_id,
        detail={"role": role, "partner_id": partner_id, "purpose": purpose},
    )


def grants_of(conn: Connection, user_id: int) -> list[RoleGrant]:
    """The roles a user holds."""
    query = (
        select(role_grants.c.role, role_grants.c.partner_id, partners.c.name, role_grants.c.purpose)
        .select_from(role_grants.outerjoin(partners, partners.c.id == role_grants.c.partner_id))
        .where(role_grants.c.user_id == user_id)
        .order_by(role_grants.c.role)
    )
    return [RoleGrant(r.role, r.partner_id, r.name, r.purpose) for r in conn.execute(query)]
