"""The people commands: a person's or household's 360° profile, and people by small area.

The command line acts as the place's trusted operator (``OPERATOR``): the policy lets it through, and every
view is still audited under its name, with the purpose and (to see who someone is) the reason given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, print_tables

if TYPE_CHECKING:
    from totalplace.place import Place
    from totalplace.reports.command import CommandView

_PURPOSES = ("direct_care", "planning", "evaluation", "payment_by_results")
_PURPOSE = click.option(
    "--purpose",
    type=click.Choice(_PURPOSES),
    default="planning",
    show_default=True,
    help="The purpose the people were linked for (ids differ between purposes).",
)


def _print(out: Output, view: CommandView) -> None:
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@click.group("people")
def people_group() -> None:
    """People linked from partners' records: 360° profiles of people and households, counts by area."""


def _profile(
    place: Place, out: Output, household: bool, subject_id: str, purpose: str, reason: str | None
) -> None:
    from totalplace.engines.people.profile_access import show_profile
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.profile import profile_command

    profile = show_profile(
        place,
        OPERATOR,
        "household" if household else "person",
        subject_id,
        purpose=purpose,
        reveal=reason is not None,
        reason=reason,
    )
    _print(out, profile_command(profile))


@people_group.command("profile")
@click.argument("person_id")
@_PURPOSE
@click.option("--reveal", is_flag=True, help="Show who the person is (direct care only; needs --reason).")
@click.option("--reason", default=None, help="Why you need to see who this is (kept in the audit trail).")
@click.option("--household", is_flag=True, help="PERSON_ID is a household id (H and seven digits).")
@with_place
def profile_cmd(
    place: Place, out: Output, person_id: str, purpose: str, reveal: bool, reason: str | None, household: bool
) -> None:
    """A person's (or household's) records from every partner in one chronology, each with its partner,
    agreement and how sure the link is. Pseudonymised unless --reveal (for direct care, with --reason)."""
    if reason is not None and not reveal:
        raise click.UsageError("--reason goes with --reveal")
    _profile(
        place,
        out,
        household,
        person_id,
        purpose,
        (reason or "") if reveal else None,
    )


@people_group.command("areas")
@_PURPOSE
@click.option(
    "--by", type=click.Choice(["source", "partner"]), default="source", show_default=True, help="Columns."
)
@with_place
def areas_cmd(place: Place, out: Output, purpose: str, by: str) -> None:
    """People by small area (LSOA) and source or partner, small counts suppressed and the rest rounded."""
    from totalplace.engines.people.profile_access import show_areas
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.profile import areas_command

    counts = show_areas(place, OPERATOR, purpose=purpose, by="partner" if by == "partner" else "source")
    _print(out, areas_command(counts))
