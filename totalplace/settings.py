"""One registry of settings, each read from a ``TOTALPLACE_*`` environment variable.

Every setting has a name, a type, a default and help text. ``docs/settings.md`` is generated from this list
(``totalplace settings --markdown``) and a test fails if the two disagree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from totalplace.errors import ConfigurationError

SettingType = Literal["str", "int", "path"]


@dataclass(frozen=True)
class Setting:
    """One setting: the variable ``TOTALPLACE_<NAME>`` overrides the default."""

    name: str
    type: SettingType
    default: str | int | None
    help: str

    @property
    def env_var(self) -> str:
        """The environment variable that sets it."""
        return f"TOTALPLACE_{self.name.upper()}"


SETTINGS: Final[tuple[Setting, ...]] = (
    Setting("place", "path", None, "Place directory used when a command is given no --place."),
    Setting(
        "database_url",
        "str",
        None,
        "SQLAlchemy URL of a PostgreSQL store (postgresql+psycopg://user:pass@host/db). "
        "Unset: the place's embedded SQLite file.",
    ),
    Setting(
        "secret_key",
        "str",
        None,
        "Key that signs the login form's CSRF cookie (sessions themselves are held in the store). "
        "Unset: a random key kept in the place directory (secret.key).",
    ),
    Setting(
        "audit_key",
        "str",
        None,
        "The audit chain's HMAC key(s) as hex, `HEX` or `1:HEX,2:HEX` by key number, kept outside the place. "
        "Unset: the files keys/audit-N.key in the place directory.",
    ),
    *(
        Setting(
            f"pseudonym_key_{purpose}",
            "str",
            None,
            f"The {purpose.replace('_', ' ')} pseudonym key as hex (64 digits), kept outside the place. "
            f"Unset: the file keys/pseudonym-{purpose}.key in the place directory, made at first use.",
        )
        for purpose in ("direct_care", "planning", "evaluation", "payment_by_results", "optout")
    ),
    Setting("backend", "str", "duckdb", "Analytics backend: duckdb (in-process) or spark (needs the extra)."),
    Setting(
        "analytics_memory",
        "str",
        "1GB",
        "Most memory the DuckDB backend uses before spilling to the place's data/tmp folder (e.g. 1GB, 8GB).",
    ),
    Setting("spark_master", "str", "local[2]", "Spark master URL when the backend is spark."),
    Setting(
        "max_import_bytes",
        "int",
        512 * 1024 * 1024,
        "Largest file accepted for import (and largest web upload), in bytes.",
    ),
    Setting(
        "stream_import_bytes",
        "int",
        64 * 1024 * 1024,
        "Plain CSV spend files at least this large are imported block by block, in bounded memory.",
    ),
    Setting(
        "max_unzipped_bytes",
        "int",
        1024 * 1024 * 1024,
        "Largest total size of the contents of an imported ZIP or XLSX once unpacked, in bytes.",
    ),
    Setting(
        "max_zip_ratio", "int", 100, "Largest ratio of unpacked to packed size in a ZIP or XLSX (zip bombs)."
    ),
    Setting(
        "max_import_rows",
        "int",
        5_000_000,
        "Most data rows accepted in one imported file (at most 9,223,372, so that a file's total of amounts "
        "of up to £10bn each always fits 64 bits).",
    ),
    Setting(
        "max_xlsx_sheet_bytes",
        "int",
        48 * 1024 * 1024,
        "Largest first sheet of an XLSX workbook once unpacked, in bytes (about 500,000 rows as Excel writes "
        "them); it bounds the memory reading a workbook takes. Larger tables import as CSV, read in blocks.",
    ),
    Setting(
        "max_geojson_vertices",
        "int",
        1_000_000,
        "Most coordinate positions accepted in one GeoJSON file (counted before it is parsed; a place's "
        "output-area boundaries hold tens of thousands).",
    ),
    Setting("max_import_columns", "int", 500, "Most columns accepted in one imported file."),
    Setting("max_problems", "int", 1000, "Most row problems listed for one refused file."),
    Setting("host", "str", "127.0.0.1", "Address `totalplace serve` listens on."),
    Setting("port", "int", 8000, "Port `totalplace serve` listens on."),
    Setting(
        "session_hours",
        "int",
        8,
        "Hours a web login lasts at most, however busy (absolute expiry); then the user logs in again.",
    ),
    Setting(
        "session_idle_minutes",
        "int",
        60,
        "Minutes without a request after which a web login ends (idle expiry).",
    ),
    Setting(
        "cookie_secure",
        "str",
        "auto",
        "Mark the session cookies Secure: auto (when the request came over https), always, or never.",
    ),
    Setting(
        "login_free_failures",
        "int",
        5,
        "Wrong passwords in a row for one user name before further attempts are refused for a while.",
    ),
    Setting(
        "login_address_free_failures",
        "int",
        20,
        "Wrong passwords in a row from one client address (any user names) before it is refused for a while.",
    ),
    Setting(
        "login_delay_seconds",
        "int",
        30,
        "How long logins are refused after the free failures; the wait doubles with each further failure.",
    ),
    Setting("login_max_delay_seconds", "int", 900, "Longest wait between login attempts once throttled."),
    Setting(
        "login_forget_hours",
        "int",
        24,
        "Hours without a failed login after which a user name or address starts again with a clean slate.",
    ),
    Setting(
        "max_form_bytes",
        "int",
        2 * 1024 * 1024,
        "Largest body of a web form or request that is not a file upload, in bytes.",
    ),
    Setting(
        "workers",
        "int",
        0,
        "Processes `totalplace serve` runs, each answering requests on its own core. "
        "0: one per CPU core, at most 8.",
    ),
    Setting(
        "web_cache",
        "int",
        1,
        "1: the web app keeps pages, spending maps and charts until the data they come from changes, and "
        "each worker reuses one analytics connection. 0: each request computes afresh (slow; to diagnose).",
    ),
)

_BY_NAME: Final[Mapping[str, Setting]] = {s.name: s for s in SETTINGS}


def _lookup(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigurationError(f"no setting called {name!r}") from None


def get_str(name: str) -> str | None:
    """The value of a text or path setting, or None when unset and without default."""
    setting = _lookup(name)
    raw = os.environ.get(setting.env_var)
    if raw is not None and raw != "":
        return raw
    return None if setting.default is None else str(setting.default)


def get_int(name: str) -> int:
    """The value of a whole-number setting."""
    setting = _lookup(name)
    raw = os.environ.get(setting.env_var)
    if raw is None or raw == "":
        if not isinstance(setting.default, int):
            raise ConfigurationError(f"setting {name} has no default; set {setting.env_var}")
        return setting.default
    try:
        return int(raw.replace("_", ""))
    except ValueError:
        raise ConfigurationError(
            f"{setting.env_var}={raw!r} is not a whole number", hint=f"{setting.help}"
        ) from None


def as_markdown() -> str:
    """The settings as a Markdown table (the body of docs/settings.md)."""
    lines = [
        "# Settings",
        "",
        "Each setting is read from its environment variable. Generated by `totalplace settings --markdown`.",
        "",
        "| variable | default | what it does |",
        "| --- | --- | --- |",
    ]
    for s in SETTINGS:
        default = "" if s.default is None else f"`{s.default}`"
        lines.append(f"| `{s.env_var}` | {default} | {s.help} |")
    return "\n".join(lines) + "\n"
