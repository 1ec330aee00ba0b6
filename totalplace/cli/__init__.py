"""The ``totalplace`` command: thin commands that parse arguments, call the library and print the result."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from totalplace import settings
from totalplace.cli.common import with_output, with_place
from totalplace.cli.output import Output, console, report_error
from totalplace.errors import TotalplaceError

if TYPE_CHECKING:
    from totalplace.place import Place

#: Every command but ``serve`` and ``demo``: the module that defines it, its name there, and the first
#: paragraph of its help. ``totalplace --help`` lists them from here and a command's module is imported only
#: when it runs, so the command line starts without loading pandas, Arrow, SQLAlchemy or DuckDB.
#: tests/cli/test_startup.py holds this table to the commands themselves.
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "place_cmds",
        "init_cmd",
        "Create a new place in DIRECTORY (its store, its data folder and place.toml).",
    ),
    "access": (
        "access_cmds",
        "access_cmd",
        "Who may do what: each action, and how far each role reaches (deny by default).",
    ),
    "partner": ("place_cmds", "partner_group", "The agencies taking part in the place."),
    "user": ("place_cmds", "user_group", "People who can log in to the web app, and their roles."),
    "import": (
        "data_cmds",
        "import_group",
        "Import a partner's data file (refused whole, with every problem listed, if any row is bad).",
    ),
    "geography": (
        "data_cmds",
        "geography_group",
        "The place's small areas: codes, names, parents, populations, boundaries.",
    ),
    "datasets": ("data_cmds", "datasets_group", "Import batches and their provenance."),
    "query": (
        "data_cmds",
        "query_cmd",
        "Run ONE read-only SELECT over the place's views: one per kind of data (spend, geography, ...), "
        "catalog and areas.",
    ),
    "spend": (
        "spend_cmds",
        "spend_group",
        "The place spending map: who spends what, on what, where, per head, and on prevention.",
    ),
    "pool": (
        "pool_cmds",
        "pool_group",
        "Pooled funds: agreements, the ledger, the risk share and the year-end settlement.",
    ),
    "cba": (
        "cba_cmds",
        "cba_group",
        "Cost-benefit analysis by agency (the HM Treasury-endorsed GMCA method), with uncertainty and the "
        "wrong-pocket settlement.",
    ),
    "census": (
        "segment_cmds",
        "census_group",
        "Census topic tables by output area: import them and derive classification variables.",
    ),
    "segment": (
        "segment_cmds",
        "segment_group",
        "Geodemographic segmentation: build a classification, assign to a published one, name clusters.",
    ),
    "estate": (
        "estate_cmds",
        "estate_group",
        "The public estate: partners' buildings and service points, access to services, candidates to share.",
    ),
    "measures": (
        "map_cmds",
        "measures_group",
        "Figures by small area from any file with area codes (deprivation deciles, an indicator...).",
    ),
    "map": (
        "map_cmds",
        "map_cmd",
        "A measure by area (see `totalplace measures list`); --svg writes it as a choropleth.",
    ),
    "outcomes": (
        "outcome_cmds",
        "outcomes_group",
        "Shared outcomes: the framework, indicator observations, benchmarking with confidence intervals.",
    ),
    "sharing": (
        "sharing_cmds",
        "sharing_group",
        "Information-sharing agreements: who shares what about people, for which purpose, on which legal "
        "basis.",
    ),
    "people": (
        "people_cmds",
        "people_group",
        "People linked from partners' records: 360° profiles of people and households, counts by area.",
    ),
    "link": (
        "link_cmds",
        "link_group",
        "Link partners' records about people into people and households with Splink.",
    ),
    "audit": (
        "audit_cmds",
        "audit_group",
        "The append-only audit trail: keyed (HMAC), hash-chained and anchored beside the place.",
    ),
    "versions": (
        "version_cmds",
        "versions_group",
        "Every version of the place's models, libraries, rules, drafts and names: show, compare, restore.",
    ),
    "check": (
        "place_cmds",
        "check_cmd",
        "Check the place whole: database integrity, the audit chain, the catalog against its files.",
    ),
    "keys": (
        "records_cmds",
        "keys_group",
        "Pseudonym keys: one per purpose, kept outside the store; each rotation is recorded.",
    ),
    "optout": (
        "records_cmds",
        "optout_group",
        "The national data opt-out: the list of NHS numbers that may be used, kept as pseudonyms.",
    ),
    "settings": (
        "place_cmds",
        "settings_cmd",
        "List the TOTALPLACE_* settings, their values and what they do.",
    ),
    "operator": (
        "operator_cmds",
        "operator_group",
        "Deliberate actions for the place's operator; each is recorded in the audit log before it runs.",
    ),
}


def load_command(name: str) -> click.Command:
    """The command ``name`` of :data:`LAZY_COMMANDS`, importing the module that defines it."""
    module, attr, _ = LAZY_COMMANDS[name]
    command = getattr(importlib.import_module(f"totalplace.cli.{module}"), attr)
    assert isinstance(command, click.Command)
    return command


class _Commands(click.Group):
    """The command group: a library error becomes a coded message and exit code 1 (2 for a refused import).

    Commands load when they run (:data:`LAZY_COMMANDS`); the list in ``--help`` needs none of them.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            # A command not loaded yet is summarised by a stand-in with its help, shortened as click would.
            command = self.commands.get(name) or click.Command(name, help=LAZY_COMMANDS[name][2])
            rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
@click.option(
    "--people",
    type=click.Choice(["linked", "records", "none"]),
    default="linked",
    show_default=True,
    help="The residents' records: imported and linked into people, only imported, or none (faster).",
)
@with_output
def demo_cmd(out: Output, directory: Path, seed: int, force: bool, people: str) -> None:
    """Build the synthetic demo place (about 250,000 residents, six partners) in DIRECTORY."""
    from totalplace.demo import build_demo

    with out.progress("building the demo place") as say:
        summary = build_demo(
            directory,
            seed=seed,
            force=force,
            progress=say,
            people="linked" if people == "linked" else "records" if people == "records" else "none",
        )
    out.emit(summary.to_dict(), lambda: console.print(summary.describe()))


def main() -> None:
    """Entry point of the ``totalplace`` command."""
    cli()
