"""Commands that set up a place: init, partners, users, integrity checks (the audit trail: audit_cmds)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from totalplace import settings
from totalplace.cli.common import with_output, with_place
from totalplace.cli.output import Output, console, table
from totalplace.governance.passwords import hash_password
from totalplace.governance.roles import PURPOSES, ROLES, check_role
from totalplace.integrity import check_place
from totalplace.place import Place
from totalplace.store.partners import PARTNER_KINDS, add_partner, list_partners, partner_by_name
from totalplace.store.users import (
    add_user,
    grant_role,
    grants_of,
    list_users,
    set_active,
    set_password,
    user_by_name,
)


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--name", required=True, help='The place\'s name, e.g. "Trafford".')
@click.option("--code", default=None, help="GSS code of its local authority, e.g. E08000009.")
@with_output
def init_cmd(out: Output, directory: Path, name: str, code: str | None) -> None:
    """Create a new place in DIRECTORY (its store, its data folder and place.toml)."""
    with Place.init(directory, name=name, code=code, actor="cli") as place:
        data = {
            "place": str(place.dir),
            "name": place.config.name,
            "code": place.config.code,
            "store": place.config.store,
        }
    out.emit(
        data,
        lambda: console.print(
            f"Created the place [bold]{name}[/] in {data['place']} ({data['store']} store).\n"
            f"Next: add partners with `totalplace partner add NAME --kind KIND --place {directory}`."
        ),
    )


@click.group("partner")
def partner_group() -> None:
    """The agencies taking part in the place."""


@partner_group.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(PARTNER_KINDS), required=True, help="What kind of agency it is.")
@click.option("--code", default=None, help="The agency's own code (ODS code, GSS code, charity number).")
@with_place
def partner_add(place: Place, out: Output, name: str, kind: str, code: str | None) -> None:
    """Add a partner agency."""
    with place.begin() as conn:
        partner = add_partner(conn, name=name, kind=kind, code=code, actor="cli")
    out.emit(partner.__dict__, lambda: console.print(f"Added partner {partner.name} ({partner.kind})."))


@partner_group.command("list")
@with_place
def partner_list(place: Place, out: Output) -> None:
    """List the partners."""
    with place.read() as conn:
        partners = list_partners(conn)
    out.emit(
        [p.__dict__ for p in partners],
        lambda: table(
            "Partners", ("id", "name", "kind", "code"), [(p.id, p.name, p.kind, p.code) for p in partners]
        ),
    )


@click.group("user")
def user_group() -> None:
    """People who can log in to the web app, and their roles."""


@user_group.command("add")
@click.argument("username")
@click.option("--display-name", default="", help="The person's full name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--admin", is_flag=True, help="May do everything (the first user should be one).")
@click.option("--role", type=click.Choice(list(ROLES)), default=None, help="A role to grant at once.")
@click.option("--partner", default=None, help="The partner the role is for (default: the whole place).")
@click.option("--purpose", type=click.Choice(list(PURPOSES)), default="planning", show_default=True)
@with_place
def user_add(
    place: Place,
    out: Output,
    username: str,
    display_name: str,
    password_stdin: bool,
    admin: bool,
    role: str | None,
    partner: str | None,
    purpose: str,
) -> None:
    """Add a user. The password is asked for (or read from stdin with --password-stdin)."""
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else click.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    with place.begin() as conn:
        user = add_user(
            conn,
            username=username,
            display_name=display_name,
            password_hash=hash_password(password),
            is_admin=admin,
            actor="cli",
        )
        if role:
            check_role(role, purpose)
            pid = partner_by_name(conn, partner).id if partner else None
            grant_role(conn, user_id=user.id, role=role, partner_id=pid, purpose=purpose, actor="cli")
    out.emit(
        {"username": user.username, "is_admin": user.is_admin, "role": role},
        lambda: console.print(f"Added user {user.username}{' (admin)' if admin else ''}."),
    )


@user_group.command("grant")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--partner", default=None, help="The partner the role is for (default: the whole place).")
@click.option("--purpose", type=click.Choice(list(PURPOSES)), default="planning", show_default=True)
@with_place
def user_grant(
    place: Place, out: Output, username: str, role: str, partner: str | None, purpose: str
) -> None:
    """Grant a user a role for a partner and purpose."""
    with place.begin() as conn:
        user = user_by_name(conn, username)
        pid = partner_by_name(conn, partner).id if partner else None
        grant_role(conn, user_id=user.id, role=role, partner_id=pid, purpose=purpose, actor="cli")
    out.emit(
        {"username": username, "role": role, "partner": partner, "purpose": purpose},
        lambda: console.print(f"{username} is now {role} for {partner or 'the whole place'} ({purpose})."),
    )


@user_group.command("list")
@with_place
def user_list(place: Place, out: Output) -> None:
    """List users and their roles."""
    with place.read() as conn:
        rows = [(u, grants_of(conn, u.id)) for u in list_users(conn)]
    data = [
        {
            "username": u.username,
            "display_name": u.display_name,
            "is_admin": u.is_admin,
            "roles": [g.__dict__ for g in grants],
        }
        for u, grants in rows
    ]
    out.emit(
        data,
        lambda: table(
            "Users",
            ("user", "name", "admin", "roles"),
            [
                (
                    u.username,
                    u.display_name,
                    "yes" if u.is_admin else "",
                    "; ".join(f"{g.role} ({g.partner_name or 'place'}, {g.purpose})" for g in grants),
                )
                for u, grants in rows
            ],
        ),
    )


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("New password", hide_input=True, confirmation_prompt=True))


@user_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@with_place
def user_passwd(place: Place, out: Output, username: str, password_stdin: bool) -> None:
    """Set a user's password. Every web session of theirs ends; their failed logins are forgotten."""
    password_hash = hash_password(_read_password(password_stdin))
    with place.begin() as conn:
        ended = set_password(conn, username=username, password_hash=password_hash, actor="cli")
    out.emit(
        {"username": username, "sessions_ended": ended},
        lambda: console.print(f"Changed the password of {username}; {ended} web session(s) ended."),
    )


@user_group.command("disable")
@click.argument("username")
@with_place
def user_disable(place: Place, out: Output, username: str) -> None:
    """Stop a user logging in. Every web session of theirs ends at once."""
    with place.begin() as conn:
        ended = set_active(conn, username=username, active=False, actor="cli")
    out.emit(
        {"username": username, "active": False, "sessions_ended": ended},
        lambda: console.print(f"{username} can no longer log in; {ended} web session(s) ended."),
    )


@user_group.command("enable")
@click.argument("username")
@with_place
def user_enable(place: Place, out: Output, username: str) -> None:
    """Let a disabled user log in again."""
    with place.begin() as conn:
        set_active(conn, username=username, active=True, actor="cli")
    out.emit({"username": username, "active": True}, lambda: console.print(f"{username} can log in again."))


@user_group.command("logout")
@click.argument("username")
@with_place
def user_logout(place: Place, out: Output, username: str) -> None:
    """Log a user out everywhere: every web session of theirs ends (e.g. a lost laptop)."""
    from totalplace.store.sessions import end_user_sessions

    with place.begin() as conn:
        user = user_by_name(conn, username)
        ended = end_user_sessions(conn, user.id, actor="cli", reason="log out everywhere")
    out.emit(
        {"username": user.username, "sessions_ended": ended},
        lambda: console.print(f"{user.username} is logged out everywhere; {ended} web session(s) ended."),
    )


@user_group.command("unblock")
@click.argument("username")
@with_place
def user_unblock(place: Place, out: Output, username: str) -> None:
    """Forget a user name's wrong passwords, so its next login is not made to wait."""
    from totalplace.store import audit
    from totalplace.store.login_throttle import ThrottleKey, clear

    with place.begin() as conn:
        cleared = clear(conn, ThrottleKey.of("user", username))
        audit.append(
            conn,
            actor="cli",
            action="login.unblock",
            object_type="session",
            object_id=username.strip().lower()[:80],
            detail={"had_failures": cleared},
        )
    out.emit(
        {"username": username, "had_failures": cleared},
        lambda: console.print(
            f"{username} may try again now." if cleared else f"{username} had no failed logins to forget."
        ),
    )


@click.command("check")
@with_place
def check_cmd(place: Place, out: Output) -> None:
    """Check the place whole: database integrity, the audit chain, the catalog against its files."""
    report = check_place(place)
    out.emit(
        report.to_dict(),
        lambda: console.print(
            "[green]The place is consistent.[/]"
            if report.ok
            else "[red]Problems:[/]\n  " + "\n  ".join(report.problems)
        ),
    )
    if not report.ok:
        sys.exit(1)


@click.command("settings")
@click.option("--markdown", is_flag=True, help="Print docs/settings.md.")
@with_output
def settings_cmd(out: Output, markdown: bool) -> None:
    """List the TOTALPLACE_* settings, their values and what they do."""
    if markdown:
        click.echo(settings.as_markdown(), nl=False)
        return
    data = [{"variable": s.env_var, "default": s.default, "help": s.help} for s in settings.SETTINGS]
    out.emit(
        data,
        lambda: table(
            "Settings",
            ("variable", "default", "what it does"),
            [(s.env_var, s.default, s.help) for s in settings.SETTINGS],
        ),
    )
