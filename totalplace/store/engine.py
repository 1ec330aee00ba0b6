"""Opening the store's database: SQLite (WAL, full sync) by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from totalplace.errors import ConfigurationError

SQLITE_FILE = "store.sqlite"
READ_POOL_SIZE = 40


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


def make_read_engine(engine: Engine) -> Engine | None:
    """A second engine over ``engine``'s SQLite file for reading only, or None when ``engine`` is not SQLite.

    The store's own engine starts every transaction, reads included, with BEGIN IMMEDIATE, which takes the
    file's write lock: concurrent readers then queue behind each other (and sleep in SQLite's busy handler)
    although WAL lets them run side by side. This engine begins with a plain (deferred) BEGIN, so a read sees
    one snapshot and never waits for a writer, and its connections are ``query_only`` so nothing can be
    written through it. PostgreSQL readers take no such lock; they keep using ``engine``.
    """
    if engine.dialect.name != "sqlite":
        return None
    # As many pooled connections as the web app has threads, so busy moments do not open and close extra
    # ones (SQLite connections are cheap to keep: a file handle and a page cache each).
    reader = create_engine(
        engine.url,
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=READ_POOL_SIZE,
        max_overflow=READ_POOL_SIZE,
    )
    event.listen(reader, "connect", _sqlite_read_pragmas)
    event.listen(reader, "begin", _sqlite_read_begin)
    return reader


def _sqlite_read_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_read_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")
