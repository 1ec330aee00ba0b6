"""Opening the store's database: SQLite (WAL, full sync) by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from totalplace.errors import ConfigurationError

SQLITE_FILE = "store.sqlite"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings the store relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take control so that every write transaction
        # starts with BEGIN IMMEDIATE and writers queue instead of failing mid-way.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql"):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        try:
            return create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise ConfigurationError(
                "PostgreSQL needs the psycopg driver", hint="install totalplace[postgres]"
            ) from exc
    raise ConfigurationError(f"unsupported database URL {url!r}", hint="use sqlite:/// or postgresql://")


def sqlite_url(place_dir: Path) -> str:
    """The URL of a place's embedded SQLite store."""
    return f"sqlite:///{place_dir / SQLITE_FILE}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")
