"""``totalplace versions``: list the place's versioned objects, show, compare and restore their versions."""

from __future__ import annotations

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, table
from totalplace.place import Place

_REF = "KIND:NAME"


@click.group("versions")
def versions_group() -> None:
    """Every version of the place's models, libraries, rules, drafts and names: show, compare, restore.

    Each change of a model, the unit-cost library, the deflators, the place's rules, a settlement draft, a
    segmentation's names or the outcomes framework is a version with who, when and why; a restore adds one.
    """


@versions_group.command("list")
@click.argument("kind", required=False)
@with_place
def versions_list(place: Place, out: Output, kind: str | None) -> None:
    """The versioned objects (of KIND: model, unit_costs, deflators, rules, settlement_draft,
    segment_names, framework), each with its number of versions and its newest."""
    from totalplace.governance.roles import OPERATOR
    from totalplace.history import list_objects

    found = list_objects(place, OPERATOR, kind)
    rows = [
        (o.kind, o.name, o.versions, o.latest.created_at[:19], o.latest.created_by, o.latest.reason[:60])
        for o in found
    ]
    out.emit(
        {"objects": [o.to_dict() for o in found]},
        lambda: table("Versioned objects", ("kind", "name", "versions", "newest", "by", "why"), rows),
    )


@versions_group.command("show")
@click.argument("ref", metavar=_REF)
@click.option("--version", "number", type=click.IntRange(1), default=None, help="Default: the one in force.")
@with_place
def versions_show(place: Place, out: Output, ref: str, number: int | None) -> None:
    """Print a version's body as kept (the one in force by default), e.g. to give to `pool vary`."""
    from totalplace.governance.roles import OPERATOR
    from totalplace.history import show
    from totalplace.store.versions import parse_ref

    found = show(place, OPERATOR, *parse_ref(ref), number)
    out.emit(found.to_dict(), lambda: click.echo(found.body, nl=not found.body.endswith("\n")))


@versions_group.command("compare")
@click.argument("ref", metavar=_REF)
@click.argument("a", type=click.IntRange(1))
@click.argument("b", type=click.IntRange(1))
@with_place
def versions_compare(place: Place, out: Output, ref: str, a: int, b: int) -> None:
    """The unified diff from version A to version B of an object."""
    from totalplace.governance.roles import OPERATOR
    from totalplace.history import compare
    from totalplace.store.versions import parse_ref

    found = compare(place, OPERATOR, *parse_ref(ref), a, b)
    out.emit(found.to_dict(), lambda: click.echo(found.diff or "the two versions are the same\n", nl=False))


@versions_group.command("restore")
@click.argument("ref", metavar=_REF)
@click.argument("number", type=click.IntRange(1))
@click.option("--reason", required=True, help="Why this version is brought back (kept in the history).")
@with_place
def versions_restore(place: Place, out: Output, ref: str, number: int, reason: str) -> None:
    """Bring version NUMBER back as the object's newest version (checked as a new one would be)."""
    from totalplace.governance.roles import OPERATOR
    from totalplace.history import restore
    from totalplace.store.versions import parse_ref

    kept = restore(place, OPERATOR, *parse_ref(ref), number, reason)
    out.emit(
        kept.to_dict(body=False),
        lambda: console.print(f"{kept.ref}: version {kept.version} restores version {number}"),
    )
