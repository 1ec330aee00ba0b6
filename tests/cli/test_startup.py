"""The command line starts without the data stack: commands load when they run, and --help lists them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from totalplace.cli import LAZY_COMMANDS, cli, load_command
from totalplace.place import Place
from totalplace.store import migrate

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


#: What a command that only reads the store must not load: the data stack, and Alembic when no migration runs.
NOT_FOR_A_STORE_COMMAND = ("pandas", "pyarrow", "duckdb", "alembic", "altair", "sklearn")


def _heavy_loaded_by(run: str, env: dict[str, str] | None = None) -> str:
    code = _LOADED.format(run=run, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
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


def test_a_store_command_loads_no_data_stack_and_no_alembic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pool list`` opens the store (a place at the newest migration) and answers without them."""
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    Place.init(tmp_path / "place", name="Startshire").close()
    env = {**os.environ, "TOTALPLACE_PLACE": str(tmp_path / "place")}
    run = "from totalplace.cli import cli\ncli(['pool', 'list', '--json'], standalone_mode=False)"
    loaded = _heavy_loaded_by(run, env).split(",")
    assert "sqlalchemy" in loaded  # it did open the store
    assert [name for name in NOT_FOR_A_STORE_COMMAND if name in loaded] == []


#: What no command that lists or shows what the store holds may load (issue 16: each such command starts in
#: under 0.8 s; these libraries alone take longer). Commands that read data batches (estate list, measures
#: list, spend map) open DuckDB over parquet and are not among them.
NOT_FOR_LISTING = (
    "pandas",
    "pyarrow",
    "altair",
    "vl_convert",
    "duckdb",
    "sklearn",
    "weasyprint",
    "scipy",
    "shapely",
)

#: Commands that read only the store, each with whether it exits 0 on a new, empty place.
STORE_COMMANDS = (
    ("pool list", True),
    ("partner list", True),
    ("user list", True),
    ("versions list", True),
    ("audit log", True),
    ("segment list", True),
    ("outcomes framework show", False),  # no framework yet: a NotFoundError, after opening the store
    ("outcomes letters --no-draft", True),
    ("datasets list", True),
    ("geography list", True),
    ("cba list", True),
    ("spend rules list", True),
    ("access", True),
    ("pool show better-care-fund", False),  # no such fund: refused after opening the store
    ("segment show nothing", False),
    ("datasets show 1", False),
    ("sharing list", True),
    ("sharing show nothing", False),
    ("optout show", True),
    ("keys list", True),
)

_RUN_AND_REPORT = """
import sys
from totalplace.cli import cli
try:
    code = cli({args!r}, standalone_mode=False) or 0  # click returns the exit code of ctx.exit here
except SystemExit as stop:
    code = stop.code or 0
except Exception:
    code = 1
heavy = {heavy!r}
print("loaded:" + ",".join(name for name in heavy if name in sys.modules))
print("code:" + str(code))
"""


@pytest.fixture(scope="module")
def empty_place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new place at the newest migration, with nothing in it."""
    folder = tmp_path_factory.mktemp("startup") / "place"
    env = {k: v for k, v in os.environ.items() if k != "TOTALPLACE_DATABASE_URL"}
    code = (
        "from pathlib import Path\nfrom totalplace.place import Place\n"
        f"Place.init(Path({str(folder)!r}), name='Startshire').close()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return folder


@pytest.mark.parametrize(("command", "exits_0"), STORE_COMMANDS, ids=[c for c, _ in STORE_COMMANDS])
def test_a_store_listing_loads_no_data_stack(empty_place: Path, command: str, exits_0: bool) -> None:
    """Each command that lists or shows what the store holds opens it without the data or chart stack."""
    env = {k: v for k, v in os.environ.items() if k != "TOTALPLACE_DATABASE_URL"}
    env["TOTALPLACE_PLACE"] = str(empty_place)
    code = _RUN_AND_REPORT.format(args=[*command.split(), "--json"], heavy=(*NOT_FOR_LISTING, "sqlalchemy"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    lines = dict(
        line.split(":", 1) for line in done.stdout.splitlines() if line.startswith(("loaded:", "code:"))
    )
    loaded = lines["loaded"].split(",")
    assert "sqlalchemy" in loaded, done.stderr  # it did open the store
    assert [name for name in NOT_FOR_LISTING if name in loaded] == []
    assert (lines["code"] == "0") is exits_0, done.stdout + done.stderr


def test_a_store_command_prints_its_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    Place.init(tmp_path / "place", name="Startshire").close()
    env = {**os.environ, "TOTALPLACE_PLACE": str(tmp_path / "place")}
    code = "from totalplace.cli import cli\ncli(['pool', 'list', '--json'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert json.loads(done.stdout) == []


def test_the_head_read_without_alembic_is_alembics() -> None:
    """Opening a place compares the store with the scripts' head read by a regex; it must be Alembic's."""
    assert migrate.known_head() == migrate.head_revision()


def test_a_store_behind_the_scripts_is_still_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick check only skips Alembic when the store is exactly at the head."""
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    place = Place.init(tmp_path / "place", name="Startshire")
    with place.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE {migrate.VERSION_TABLE} SET version_num = 'not-a-revision'")
    assert migrate.stored_revisions(place.engine) == {"not-a-revision"}
    with pytest.raises(Exception, match="not-a-revision"):
        migrate.upgrade(place.engine)  # Alembic was asked, and refuses a revision it does not know
    place.close()


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
