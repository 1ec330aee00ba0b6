"""The Place: a directory holding place.toml, the transactional store and data/ (DESIGN.md §4)."""

from __future__ import annotations

import re
import secrets
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w
from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from totalplace import settings
from totalplace.durable import write_atomically as write_atomically  # engines import it from here
from totalplace.errors import (
    ConfigurationError,
    InvalidInputError,
    PlaceExistsError,
    PlaceNotFoundError,
    StoreError,
    StoreInUseError,
)
from totalplace.store import audit, audit_anchor, audit_keys, migrate
from totalplace.store.clock import utc_now
from totalplace.store.engine import make_engine, sqlite_url

if TYPE_CHECKING:
    from totalplace.backends.base import AnalyticsBackend

PLACE_FILE = "place.toml"
SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret
FORMAT_VERSION = 1
FIRST_AUDIT_KEY = 1
_GSS_CODE = re.compile(r"^[EWSN]\d{8}$")


@dataclass(frozen=True)
class PlaceConfig:
    """What place.toml holds."""

    name: str
    code: str | None
    created_at: str
    store: str
    format_version: int


class Place:
    """An open place: its configuration, its store and the paths of its data."""

    def __init__(self, directory: Path, config: PlaceConfig, engine: Engine) -> None:
        self.dir = directory
        self.config = config
        self.engine = engine
        self.audit = audit_keys.bind(engine, directory)

    # -- creating and opening -------------------------------------------------------------------------------
    @classmethod
    def init(cls, directory: Path, *, name: str, code: str | None = None, actor: str = "system") -> Place:
        """Create a new place in ``directory`` (which may exist but must not hold a place)."""
        directory = directory.resolve()
        if (directory / PLACE_FILE).exists():
            raise PlaceExistsError(f"{directory} already holds a place", hint="open it with --place instead")
        if not name.strip():
            raise InvalidInputError("a place needs a name", hint='give --name "Trafford"')
        if code is not None and not _GSS_CODE.match(code):
            raise InvalidInputError(
                f"{code!r} is not a GSS area code", hint="codes look like E08000009 (a letter and 8 digits)"
            )
        url = settings.get_str("database_url")
        config = PlaceConfig(name.strip(), code, utc_now(), "postgresql" if url else "sqlite", FORMAT_VERSION)
        refuse_used_database()  # before anything is made
        (directory / "data" / "batches").mkdir(parents=True, exist_ok=True)
        engine = make_engine(url or sqlite_url(directory))
        try:
            migrate.upgrade(engine)
            refuse_used_store(engine)
            place = cls(directory, config, engine)
            place.audit.keyring.create(FIRST_AUDIT_KEY)
            audit_anchor.create(place.audit.anchor_path)
            with place.begin() as conn:
                audit.start_keyed(conn, FIRST_AUDIT_KEY)
                audit.append(
                    conn,
                    actor=actor,
                    action="place.init",
                    object_type="place",
                    object_id=config.name,
                    detail={"code": code, "store": config.store, "audit_key": FIRST_AUDIT_KEY},
                )
        except BaseException:
            engine.dispose()
            raise
        write_atomically(directory / SECRET_FILE, secrets.token_hex(32).encode("ascii"), mode=0o600)
        write_atomically(directory / PLACE_FILE, tomli_w.dumps(_config_dict(config)).encode("utf-8"))
        return place

    @classmethod
    def open(cls, directory: Path | str | None = None) -> Place:
        """Open a place, upgrading its store to the current schema and tidying interrupted imports."""
        if directory is None:
            directory = settings.get_str("place")
        if directory is None:
            raise PlaceNotFoundError(
                "no place given",
                hint="pass --place DIR, set TOTALPLACE_PLACE, or create one with `totalplace init`",
            )
        path = Path(directory).resolve()
        config_file = path / PLACE_FILE
        if not config_file.exists():
            raise PlaceNotFoundError(
                f"{path} is not a place (no {PLACE_FILE})",
                hint="create one with `totalplace init DIR --name NAME`",
            )
        config = _read_config(config_file)
        if config.store == "postgresql":
            url = settings.get_str("database_url")
            if not url:
                raise ConfigurationError(
                    f"the place {config.name} keeps its store in PostgreSQL",
                    hint="set TOTALPLACE_DATABASE_URL to its postgresql:// URL",
                )
        else:
            url = sqlite_url(path)
        engine = make_engine(url)
        migrate.upgrade(engine)
        place = cls(path, config, engine)
        from totalplace.datasets.recovery import sweep_interrupted_imports

        sweep_interrupted_imports(place)
        from totalplace.store.version_import import import_loose

        import_loose(place)  # a place made before versioning: its loose files become version 1
        return place

    # -- use ------------------------------------------------------------------------------------------------
    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: everything in it commits together or not at all.

        A failure of the database itself (a lost connection, a full disk, a serialisation failure) rolls the
        whole transaction back and is reported as a coded StoreError rather than a driver traceback.
        Once it has committed, the newest audit record it appended is written to the audit anchor beside
        the place (never before: a rolled-back transaction is not anchored). Code that commits any other way
        leaves the anchor behind the store, which ``audit verify`` notes and the next change here catches up.
        """
        try:
            with self.engine.begin() as conn:
                yield conn
                committed_head = audit.committing(conn)
        except SQLAlchemyError as exc:
            raise StoreError(
                "the store could not complete the change, so none of it was made: "
                f"{type(getattr(exc, 'orig', None) or exc).__name__}",
                hint="try again; if it keeps failing, run `totalplace check`",
            ) from exc
        if committed_head is not None:
            audit.anchor(committed_head)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading."""
        with self.engine.connect() as conn:
            yield conn

    @property
    def batches_dir(self) -> Path:
        """Where accepted import batches live as parquet files."""
        return self.dir / "data" / "batches"

    def secret_key(self) -> str:
        """The key that signs this place's web sessions."""
        configured = settings.get_str("secret_key")
        if configured:
            return configured
        return (self.dir / SECRET_FILE).read_text("ascii").strip()

    def analytics(self, backend: str | None = None) -> AnalyticsBackend:
        """The analytics backend over this place's catalog and batches (DuckDB unless told otherwise)."""
        from totalplace.backends import open_backend

        return open_backend(self, backend or settings.get_str("backend") or "duckdb")

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    def __enter__(self) -> Place:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def refuse_used_store(engine: Engine) -> None:
    """Refuse a database that already holds a place's records (another place, or a half-made one)."""
    held = _records_held(engine)
    if held:
        if engine.dialect.name == "sqlite":
            where = f"the SQLite file {engine.url.database}"
            hint = "it is left from a place whose creation was interrupted: remove that folder and try again"
        else:
            where = f"the PostgreSQL database {engine.url.database!r} on {engine.url.host or 'localhost'}"
            hint = (
                "point TOTALPLACE_DATABASE_URL at a new, empty database (e.g. `createdb NAME`), or open the "
                "place that uses it with --place"
            )
        raise StoreInUseError(
            f"{where} already holds a place ({held} audit records); a new place needs an empty database",
            hint=hint,
        )


def refuse_used_database() -> None:
    """Refuse now, before anything is built or deleted, if TOTALPLACE_DATABASE_URL names a database in use."""
    url = settings.get_str("database_url")
    if not url:
        return
    engine = make_engine(url)
    try:
        refuse_used_store(engine)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"the database named by TOTALPLACE_DATABASE_URL cannot be reached: {type(exc).__name__}",
            hint="check the URL, and that the server is running",
        ) from exc
    finally:
        engine.dispose()


def _records_held(engine: Engine) -> int:
    """How many audit records the database holds (0 when it has no store tables yet)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("audit_head"):
            return 0
        return audit.head_seq(conn)


def _config_dict(config: PlaceConfig) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": config.name,
        "created_at": config.created_at,
        "store": config.store,
        "format_version": config.format_version,
    }
    if config.code:
        out["code"] = config.code
    return {"place": out}


def _read_config(path: Path) -> PlaceConfig:
    try:
        data = tomllib.loads(path.read_text("utf-8"))["place"]
        return PlaceConfig(
            name=str(data["name"]),
            code=data.get("code"),
            created_at=str(data["created_at"]),
            store=str(data.get("store", "sqlite")),
            format_version=int(data.get("format_version", 1)),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{path} is damaged: {exc}", hint="restore it from a backup") from exc
