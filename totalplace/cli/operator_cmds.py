"""Commands for the operator of a place: deliberate, confirmed and audited actions beyond the usual ones."""

from __future__ import annotations

from pathlib import Path

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, table
from totalplace.place import Place


@click.group("operator")
def operator_group() -> None:
    """Deliberate actions for the place's operator; each is recorded in the audit log before it runs."""


@operator_group.command("sql")
@click.argument("sql")
@click.option(
    "--allow",
    "allow",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="A folder (outside the place) the SQL may read and write; repeat for more.",
)
@click.option("--confirm", is_flag=True, help="Required: you mean to run this, and it is recorded.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1), help="Most rows to print.")
@with_place
def operator_sql(
    place: Place, out: Output, sql: str, allow: tuple[Path, ...], confirm: bool, limit: int
) -> None:
    """Run SQL beyond a read-only query: several statements, COPY out to an --allow folder, reading a file
    there. Recorded in the audit log before it runs. It can never write in the place's own folder, and
    reads only the place's batches and the --allow folders."""
    from totalplace.backends.adhoc import run_operator_sql

    run = run_operator_sql(place, sql, allow=list(allow), confirmed=confirm, actor="cli")
    result = run.table
    rows = [] if result is None else result.slice(0, limit).to_pylist()
    columns = [] if result is None else result.column_names
    count = 0 if result is None else result.num_rows

    def render() -> None:
        if result is None:
            console.print(f"Done (audit record {run.audit_seq}).")
        else:
            table(f"{count:,} rows (audit record {run.audit_seq})", columns, [list(r.values()) for r in rows])

    out.emit({"columns": columns, "rows": rows, "row_count": count, "audit_seq": run.audit_seq}, render)
