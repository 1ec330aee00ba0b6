"""The information-sharing agreement commands: list, show, add and vary (each change a version, audited)."""

from __future__ import annotations

from pathlib import Path

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, print_tables
from totalplace.place import Place

# The engine loads on first use: it brings pydantic models and the cited legal bases.

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
_REASON = click.option(
    "--reason", required=True, help="Why: kept with the new version in the agreement's history."
)


@click.group("sharing")
def sharing_group() -> None:
    """Information-sharing agreements: who shares what about people, for which purpose, on which legal
    basis. Each is YAML (docs/people.md); every change is a version (`versions show sharing:NAME`)."""


@sharing_group.command("list")
@with_place
def sharing_list(place: Place, out: Output) -> None:
    """Every agreement: its purpose, parties, review date, status and whether the opt-out applies."""
    from totalplace.engines.people.sharing import list_agreements
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.sharing import agreements_view

    view = agreements_view(list_agreements(place, OPERATOR), can_add=True)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@sharing_group.command("show")
@click.argument("name")
@click.option("--version", "number", type=click.IntRange(1), default=None, help="An earlier version.")
@with_place
def sharing_show(place: Place, out: Output, name: str, number: int | None) -> None:
    """One agreement whole: parties, legal basis with citations, flows and fields, retention, DPIA,
    review, the opt-out and the decisions."""
    from totalplace.engines.people.sharing import get_agreement
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.sharing import agreement_view

    detail = get_agreement(place, OPERATOR, name, number)
    view = agreement_view(detail, can_vary=True, history=f"versions show sharing:{name}")
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@sharing_group.command("add")
@click.argument("file", type=_FILE)
@_REASON
@with_place
def sharing_add(place: Place, out: Output, file: Path, reason: str) -> None:
    """Check a new agreement (its parties are partners of the place, its legal keys are cited ones) and
    keep it as version 1."""
    from totalplace.engines.people.sharing import add_agreement
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.sharing import kept_view

    view = kept_view(add_agreement(place, OPERATOR, file.read_bytes(), file.name, reason), "added")
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@sharing_group.command("vary")
@click.argument("file", type=_FILE)
@_REASON
@with_place
def sharing_vary(place: Place, out: Output, file: Path, reason: str) -> None:
    """Keep FILE as the next version of the agreement it names (the name in FILE says which)."""
    from totalplace.engines.people.agreement import load_agreement
    from totalplace.engines.people.sharing import vary_agreement
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.sharing import kept_view

    body = file.read_bytes()
    name = load_agreement(body, file.name).name
    view = kept_view(vary_agreement(place, OPERATOR, name, body, file.name, reason), "varied")
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))
