"""Shared fixtures: places on SQLite and PostgreSQL, and the shared real data folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from totalplace.cli import cli
from totalplace.place import Place
from totalplace.store.partners import add_partner

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def required(kind: str) -> bool:
    """True when CI demands that tests of ``kind`` run rather than skip (TOTALPLACE_REQUIRE_<KIND>=1)."""
    return os.environ.get(f"TOTALPLACE_REQUIRE_{kind.upper()}") == "1"


def skip_or_fail(kind: str, reason: str) -> None:
    """Skip, or fail when CI requires this kind of test."""
    if required(kind):
        pytest.fail(f"{reason} (TOTALPLACE_REQUIRE_{kind.upper()}=1)")
    pytest.skip(reason)


@pytest.fixture
def shared_data() -> Path:
    """The published files of ../shared/data."""
    if not SHARED_DATA.is_dir():
        skip_or_fail("shared", f"{SHARED_DATA} is absent")
    return SHARED_DATA.resolve()


def _postgres_database() -> Iterator[str]:
    admin_url = os.environ.get("TOTALPLACE_TEST_POSTGRES_URL")
    if not admin_url:
        skip_or_fail("postgres", "TOTALPLACE_TEST_POSTGRES_URL is not set")
        return
    name = f"tp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str | None]:
    """None for the embedded SQLite store, or the URL of a fresh PostgreSQL database (set in the env)."""
    if request.param == "sqlite":
        monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
        yield None
        return
    for url in _postgres_database():
        monkeypatch.setenv("TOTALPLACE_DATABASE_URL", url)
        yield url


def make_place(directory: Path) -> Place:
    """A place with one partner, "Council", on whatever store the environment names."""
    place = Place.init(directory, name="Testshire", code="E06000001", actor="test")
    with place.begin() as conn:
        add_partner(conn, name="Council", kind="local_authority", code=None, actor="test")
    return place


@pytest.fixture
def place(tmp_path: Path, database_url: str | None) -> Iterator[Place]:
    """A fresh place on SQLite and on PostgreSQL."""
    p = make_place(tmp_path / "place")
    yield p
    p.close()


@pytest.fixture
def sqlite_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    """A fresh place on SQLite only (for tests about files, not the database)."""
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    p = make_place(tmp_path / "place")
    yield p
    p.close()


Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run the CLI in-process on a place at tmp_path/place (SQLite)."""
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    monkeypatch.setenv("TOTALPLACE_PLACE", str(tmp_path / "place"))
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=stdin, catch_exceptions=False)

    return invoke
