from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tests.conftest import make_place
from totalplace.errors import ConfigurationError, InvalidInputError, PlaceExistsError, PlaceNotFoundError
from totalplace.place import Place
from totalplace.store import migrate
from totalplace.store.schema import metadata


def test_init_creates_a_place_that_opens(tmp_path: Path, database_url: str | None) -> None:
    place = make_place(tmp_path / "p")
    assert (tmp_path / "p" / "place.toml").exists()
    assert (tmp_path / "p" / "data" / "batches").is_dir()
    assert ((tmp_path / "p" / "secret.key").stat().st_mode & 0o777) == 0o600
    place.close()
    with Place.open(tmp_path / "p") as again:
        assert again.config.name == "Testshire"
        assert again.config.store == ("postgresql" if database_url else "sqlite")
        assert migrate.current_revision(again.engine) == migrate.head_revision()


def test_schema_matches_migrations(place: Place) -> None:
    with place.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_opening_an_older_place_upgrades_it(place: Place) -> None:
    config = migrate._config(place.engine)
    command.downgrade(config, "base")
    assert "partners" not in inspect(place.engine).get_table_names()
    with Place.open(place.dir) as upgraded:
        assert "partners" in inspect(upgraded.engine).get_table_names()
        assert migrate.current_revision(upgraded.engine) == migrate.head_revision()


def test_sqlite_runs_in_wal_with_full_sync(sqlite_place: Place) -> None:
    with sqlite_place.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_init_refuses_an_existing_place_and_bad_codes(sqlite_place: Place, tmp_path: Path) -> None:
    with pytest.raises(PlaceExistsError):
        Place.init(sqlite_place.dir, name="Again")
    with pytest.raises(InvalidInputError):
        Place.init(tmp_path / "x", name="X", code="Trafford")
    with pytest.raises(InvalidInputError):
        Place.init(tmp_path / "y", name="  ")


def test_open_explains_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOTALPLACE_PLACE", raising=False)
    with pytest.raises(PlaceNotFoundError) as missing:
        Place.open(None)
    assert "--place" in str(missing.value)
    with pytest.raises(PlaceNotFoundError):
        Place.open(tmp_path)
    (tmp_path / "place.toml").write_text("not [toml")
    with pytest.raises(ConfigurationError):
        Place.open(tmp_path)


def test_a_postgres_place_needs_its_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "place.toml").write_text(
        '[place]\nname = "P"\ncreated_at = "2026-01-01"\nstore = "postgresql"\nformat_version = 1\n'
    )
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError) as error:
        Place.open(tmp_path)
    assert "TOTALPLACE_DATABASE_URL" in str(error.value)
