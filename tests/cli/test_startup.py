"""The command line starts without the data stack: commands load when they run, and --help lists them all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from totalplace.cli import LAZY_COMMANDS, cli, load_command

#: Libraries a command may need but starting the command line must not load.
HEAVY = (
    "pandas",
    "pyarrow",
    "numpy",
    "sqlalchemy",
    "alembic",
    "duckdb",
    "sqlglot",
    "altair",
    "vl_convert",
    "sklearn",
    "scipy",
    "pyspark",
    "fastapi",
    "weasyprint",
    "shapely",
    "pyproj",
)

_LOADED = """
import sys
{run}
heavy = {heavy!r}
print("loaded:" + ",".join(sorted(name for name in heavy if name in sys.modules)))
"""


def _heavy_loaded_by(run: str) -> str:
    code = _LOADED.format(run=run, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()[-1].removeprefix("loaded:")


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    assert _heavy_loaded_by("import totalplace.cli") == ""


def test_help_loads_no_heavy_library() -> None:
    run = "from totalplace.cli import cli\ncli(['--help'], standalone_mode=False)"
    assert _heavy_loaded_by(run) == ""


def test_a_command_loads_what_it_needs() -> None:
    """The check above can fail: running a command that opens a place does load the data stack."""
    run = "from totalplace.cli import cli\ntry:\n    cli(['pool', 'list'], standalone_mode=False)\nexcept BaseException:\n    pass"
    assert "sqlalchemy" in _heavy_loaded_by(run).split(",")


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_the_lazy_table_matches_each_command(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    stand_in = click.Command(name, help=LAZY_COMMANDS[name][2])
    for limit in (45, 60, 200):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_every_command_module_is_listed() -> None:
    modules = {path.stem for path in (Path(__file__).parents[2] / "totalplace" / "cli").glob("*_cmds.py")}
    assert modules == {module for module, _, _ in LAZY_COMMANDS.values()}


def test_help_lists_every_command() -> None:
    shown = cli.list_commands(click.Context(cli))
    assert set(shown) == {*LAZY_COMMANDS, "serve", "demo"}
