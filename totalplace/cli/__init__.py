"""The ``totalplace`` command: thin commands that parse arguments, call the library and print the result."""

from __future__ import annotations

from pathlib import Path

import click

from totalplace import settings
from totalplace.cli.audit_cmds import audit_group
from totalplace.cli.cba_cmds import cba_group
from totalplace.cli.common import with_output, with_place
from totalplace.cli.data_cmds import datasets_group, geography_group, import_group, query_cmd
from totalplace.cli.estate_cmds import estate_group
from totalplace.cli.map_cmds import map_cmd, measures_group
from totalplace.cli.operator_cmds import operator_group
from totalplace.cli.outcome_cmds import outcomes_group
from totalplace.cli.output import Output, console, report_error
from totalplace.cli.place_cmds import (
    check_cmd,
    init_cmd,
    partner_group,
    settings_cmd,
    user_group,
)
from totalplace.cli.pool_cmds import pool_group
from totalplace.cli.segment_cmds import census_group, segment_group
from totalplace.cli.spend_cmds import spend_group
from totalplace.errors import TotalplaceError
from totalplace.place import Place


class _Commands(click.Group):
    """The command group: a library error becomes a coded message and exit code 1 (2 for a refused import)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except TotalplaceError as error:
            ctx.exit(report_error(error, bool(ctx.meta.get("as_json"))))


@click.group(
    cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(package_name="totalplace")
def cli() -> None:
    """totalplace: all the public money spent in one place, side by side.

    Start with `totalplace init DIR --name NAME`, add partners, import their files, and run
    `totalplace serve` to open the web app. Every command takes --json for one JSON document,
    and --place DIR (or $TOTALPLACE_PLACE) to say which place.
    """


@cli.command("serve")
@click.option("--host", default=None, help="Address to listen on (default $TOTALPLACE_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default $TOTALPLACE_PORT, 8000).")
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Worker processes (default $TOTALPLACE_WORKERS; 0: one per CPU core, at most 8).",
)
@with_place
def serve_cmd(place: Place, out: Output, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the web app for a place, from several worker processes."""
    from totalplace.web.factory import describe, resolve_workers, serve

    host = host or settings.get_str("host") or "127.0.0.1"
    port = port or settings.get_int("port")
    count = resolve_workers(workers)
    console.print(
        f"Serving {place.config.name} at http://{host}:{port}/ with {describe(place, count)}  (Ctrl-C stops)"
    )
    serve(place, host=host, port=port, workers=count)


@cli.command("demo")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default="demo-place")
@click.option("--seed", default=20091, show_default=True, help="The same seed always builds the same place.")
@click.option("--force", is_flag=True, help="Replace a demo place already in DIRECTORY.")
@with_output
def demo_cmd(out: Output, directory: Path, seed: int, force: bool) -> None:
    """Build the synthetic demo place (about 250,000 residents, six partners) in DIRECTORY."""
    from totalplace.demo import build_demo

    with out.progress("building the demo place") as say:
        summary = build_demo(directory, seed=seed, force=force, progress=say)
    out.emit(summary.to_dict(), lambda: console.print(summary.describe()))


for command in (
    init_cmd,
    partner_group,
    user_group,
    import_group,
    geography_group,
    datasets_group,
    query_cmd,
    spend_group,
    pool_group,
    cba_group,
    census_group,
    segment_group,
    estate_group,
    measures_group,
    map_cmd,
    outcomes_group,
    audit_group,
    check_cmd,
    settings_cmd,
    operator_group,
):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``totalplace`` command."""
    cli()
