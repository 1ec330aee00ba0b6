"""Commands for records about people: importing an extract under its agreement, pseudonym keys, the opt-out.

Heavy libraries are imported inside each command (tests/cli/test_startup.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, table

if TYPE_CHECKING:
    from totalplace.datasets.records import RecordsResult
    from totalplace.place import Place

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _show_records(out: Output, result: RecordsResult) -> None:
    shown = result.to_dict()

    def render() -> None:
        batch = result.batch
        if result.status == "unchanged":
            console.print(f"[yellow]unchanged[/]: these bytes were imported before as batch {batch.id}")
            return
        read = shown["records_read"]
        console.print(
            f"[green]imported[/] {batch.source_name} as batch {batch.id}: "
            f"{result.records_kept:,} of {read:,} records, pseudonymised for {result.provenance.purpose} "
            f"(key generation {result.provenance.key_generation})"
        )
        if shown["dropped"]:
            console.print(f"  dropped: {', '.join(shown['dropped'])} (not in the agreement's flow)")
        for warning in result.warnings:
            console.print(f"  [yellow]warning[/]: {warning}")
        opt = shown["opt_out"]
        if opt.get("applied"):
            console.print(
                f"  national data opt-out (list of {opt['list_date']}): excluded {opt['excluded']:,} records "
                f"({opt['excluded_not_on_list']:,} not on the list, "
                f"{opt['excluded_without_nhs_number']:,} without an NHS number)"
            )
        else:
            exemption = f"; exemption relied on: {opt['exemption']}" if opt.get("exemption") else ""
            console.print(f"  national data opt-out not applied: {opt.get('reason')}{exemption}")

    out.emit(shown, render)


@click.command("records")
@click.argument("file", type=_FILE)
@click.option("--partner", required=True, help="The partner whose extract this is.")
@click.option("--agreement", required=True, help="The sharing agreement the records come through.")
@click.option("--source", required=True, help="The kind of records, as the agreement's flow names it.")
@click.option(
    "--mapping", type=_FILE, default=None, help="YAML naming the file's headers: {columns: {field: header}}."
)
@with_place
def import_records_cmd(
    place: Place, out: Output, file: Path, partner: str, agreement: str, source: str, mapping: Path | None
) -> None:
    """Import a partner's extract of records about people under a sharing agreement.

    Identifiers become pseudonyms for the agreement's purpose; columns the agreement does not list are
    dropped and reported; the national data opt-out is applied where the agreement says. If any row is bad
    nothing is imported, every problem is listed, and the exit code is 2.
    """
    from totalplace.datasets.mapping import load_column_mapping
    from totalplace.datasets.records import import_records
    from totalplace.governance.roles import OPERATOR

    columns = load_column_mapping(mapping) if mapping else None
    with out.progress(f"importing {file.name}"):
        result = import_records(
            place, OPERATOR, file, partner=partner, agreement=agreement, source=source, mapping=columns
        )
    _show_records(out, result)


@click.group("keys")
def keys_group() -> None:
    """Pseudonym keys: one per purpose, kept outside the store; each rotation is recorded."""


@keys_group.command("rotate")
@click.option(
    "--purpose", required=True, help="direct_care, planning, evaluation, payment_by_results, optout."
)
@click.option("--reason", required=True, help="Why the key is rotated (kept in the audit trail).")
@with_place
def keys_rotate(place: Place, out: Output, purpose: str, reason: str) -> None:
    """Start a new generation of a purpose's pseudonym key.

    Batches already imported keep the generation they were pseudonymised with; import the partners' extracts
    again and run the linkage again.
    """
    from totalplace.governance.pseudonyms import rotate
    from totalplace.governance.roles import OPERATOR

    done = rotate(place, OPERATOR, purpose, reason=reason)
    out.emit(done.to_dict(), lambda: console.print(done.message))


@keys_group.command("list")
@with_place
def keys_list(place: Place, out: Output) -> None:
    """Every recorded generation of every purpose's key (fingerprints, never keys)."""
    from totalplace.governance.pseudonyms import generations
    from totalplace.governance.roles import OPERATOR

    found = generations(place, OPERATOR)
    out.emit(
        [g.to_dict() for g in found],
        lambda: table(
            "Pseudonym keys",
            ["purpose", "generation", "fingerprint", "created", "by", "reason"],
            [
                [g.purpose, g.generation, g.fingerprint, g.created_at[:19], g.created_by, g.reason]
                for g in found
            ],
        ),
    )


@click.group("optout")
def optout_group() -> None:
    """The national data opt-out: the list of NHS numbers that may be used, kept as pseudonyms."""


@optout_group.command("import")
@click.argument("file", type=_FILE)
@click.option("--date", "list_date", type=_DATE, required=True, help="The date of the check (YYYY-MM-DD).")
@click.option(
    "--expires", type=_DATE, default=None, help="When the list expires (default: the date + 30 days)."
)
@with_place
def optout_import(
    place: Place, out: Output, file: Path, list_date: dt.datetime, expires: dt.datetime | None
) -> None:
    """Import a response file of the "check for national data opt-outs" service as it comes.

    The file lists one NHS number a line, each followed by a comma: the numbers that may be used. They are
    kept as pseudonyms under the opt-out key, never in the clear.
    """
    from totalplace.engines.people.optout import import_optout
    from totalplace.governance.roles import OPERATOR

    status = import_optout(
        place, OPERATOR, file, list_date=list_date.date(), expires=expires.date() if expires else None
    )
    out.emit(status.to_dict(), lambda: _print_status(status.to_dict()))


def _print_status(status: dict[str, object]) -> None:
    if not status["held"]:
        console.print("no national data opt-out list has been imported")
        return
    state = "[green]current[/]" if status["current"] else "[red]expired[/]"
    console.print(
        f"opt-out list of {status['list_date']}: {status['entries']:,} NHS numbers that may be used; "
        f"expires {status['expires']} ({state})"
    )


@optout_group.command("show")
@with_place
def optout_show(place: Place, out: Output) -> None:
    """The opt-out list in force: its date, expiry and count (never the numbers)."""
    from totalplace.engines.people.optout import optout_status
    from totalplace.governance.roles import OPERATOR

    status = optout_status(place, OPERATOR)
    out.emit(status.to_dict(), lambda: _print_status(status.to_dict()))
