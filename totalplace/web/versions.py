"""What a cached page depends on, as small values that change exactly when that data changes.

- **The data version**: every change to the store is written with an audit record in the same transaction
  (DESIGN.md §7), and audit sequence numbers only grow, so the newest record of a change names the store's
  state. Records of reads and sessions (a login, the audit page being read, an export) change no data and
  are skipped, so that logging in does not throw every page away.
- **The place's files**: a place's models, unit-cost library, deflators, own rules and settlement drafts
  are versioned objects in the store (:mod:`totalplace.store.versions`), each version written with an audit
  record, so the data version covers them. Files beside the store can still change without a database
  write (those of a place made before versioning until it is next opened, anything a page may read from the
  folder), so their names, sizes and modification times stay part of the version (the store file, the
  batches, keys, secrets and the audit anchor are not: the first two are covered by the audit records, the
  rest are not data a page shows).
- **The day**: pool forecasts and default years run to today.
- **The catalog**: the active batches and the areas, the only inputs of the analytics views. Batches never
  change once imported (they are superseded), so a map computed over one set of batches stays right until
  that set or the rules change, whatever else happens in the store.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, select

from totalplace.store.areas import list_areas
from totalplace.store.catalog import list_batches
from totalplace.store.schema import audit_log

# Audit actions that record a read or a session, not a change of data. Anything else counts as a change
# (an action added later and not listed here only makes caches refresh more often, never serve stale data).
NOT_CHANGES = frozenset(
    {
        "login",
        "login.failed",
        "login.throttled",
        "login.unblock",
        "logout",
        "session.end",
        "session.end_all",
        "audit.read",
        "audit.verify",
        "batch.export",
    }
)

# Beside the data a page shows, and changing on their own: not part of the files' signature.
_SKIPPED_DIRS = frozenset({"data", "keys", "__pycache__"})
_SKIPPED_FILES = frozenset({"secret.key", "audit.anchor", "place.toml.lock"})
_STORE_PREFIX = "store.sqlite"


@dataclass(frozen=True)
class DataVersion:
    """The state of everything a page reads: equal versions give equal pages (for the same user)."""

    seq: int
    files: tuple[tuple[str, int, int], ...]
    day: date


# Built once: the statement runs on every request. Newest first by the primary key, so the database reads
# back from the end of the log only past records of reads and sessions.
_NEWEST_CHANGE = (
    select(audit_log.c.seq)
    .where(audit_log.c.action.not_in(sorted(NOT_CHANGES)))
    .order_by(audit_log.c.seq.desc())
    .limit(1)
)


def data_seq(conn: Connection) -> int:
    """The sequence number of the newest audit record of a change to data (0 for none)."""
    row = conn.execute(_NEWEST_CHANGE).first()
    return 0 if row is None else int(row.seq)


def files_signature(place_dir: Path, *, depth: int = 4) -> tuple[tuple[str, int, int], ...]:
    """(relative path, mtime in ns, size) of each file of the place outside the store and the batches."""
    found: list[tuple[str, int, int]] = []

    def walk(folder: Path, prefix: str, level: int) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if level < depth and name not in _SKIPPED_DIRS and not name.startswith("."):
                        walk(Path(entry.path), f"{prefix}{name}/", level + 1)
                elif not (name in _SKIPPED_FILES or name.startswith((".", _STORE_PREFIX))):
                    info = entry.stat(follow_symlinks=False)
                    found.append((prefix + name, info.st_mtime_ns, info.st_size))
            except OSError:  # removed while we looked: the next request sees the new state
                continue

    walk(place_dir, "", 0)
    return tuple(sorted(found))


def catalog_signature(conn: Connection) -> str:
    """A digest of the batches (id, kind, status) and the areas (every column): what analytics views read."""
    digest = hashlib.sha256()
    for batch in sorted(list_batches(conn), key=lambda b: b.id):
        digest.update(f"b|{batch.id}|{batch.kind}|{batch.status}\n".encode())
    for area in list_areas(conn):
        digest.update(
            f"a|{area.code}|{area.name}|{area.level}|{area.parent_code}|{area.population}\n".encode()
        )
    return digest.hexdigest()
