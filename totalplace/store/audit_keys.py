"""The audit chain's keys and where each place's audit anchor lives, bound to the place's database engine.

``audit.append`` receives only a connection, yet a keyed record needs the place's key and its commit must be
anchored in the place's anchor file. ``Place.init`` and ``Place.open`` therefore bind an :class:`AuditContext`
to their engine; an append looks it up by ``conn.engine``, and notes the newest record of its transaction so
that ``Place.begin`` can anchor it once the transaction has committed (a rolled-back transaction is never
anchored, and no anchor line can name a record the store does not hold). A connection event cannot do this:
SQLAlchemy Core's ``commit`` event fires before the database commits, so it cannot tell a commit that failed.

Keys are numbered: ``keys/audit-1.key``, ``keys/audit-2.key`` after a rotation (or ``TOTALPLACE_AUDIT_KEY``
holding ``HEX`` for key 1, or ``1:HEX,2:HEX``). Each record names the algorithm and key number that sealed it
(``sha256`` for the plain records written before a place's chain was keyed, ``hmac-sha256:N`` after).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, event

from totalplace import settings
from totalplace.errors import KeyInvalidError, KeyMissingError
from totalplace.governance import keys

ALG_PLAIN = "sha256"
ALG_HMAC = "hmac-sha256"
KEY_PREFIX = "audit-"
ANCHOR_FILE = "audit.anchor"
_ENV = "TOTALPLACE_AUDIT_KEY"


def alg_name(key_id: int | None) -> str:
    """The algorithm text stored with a record: ``sha256`` (unkeyed) or ``hmac-sha256:N``."""
    return ALG_PLAIN if key_id is None else f"{ALG_HMAC}:{key_id}"


def key_id_of(alg: str) -> int | None:
    """The key number an algorithm text names (None for plain SHA-256); ValueError if it is not one."""
    if alg == ALG_PLAIN:
        return None
    name, _, number = alg.partition(":")
    if name != ALG_HMAC or not number.isdigit() or int(number) < 1:
        raise ValueError(f"unknown audit algorithm {alg!r}")
    return int(number)


class AuditKeyring:
    """The audit keys of one place by number, read when first needed and then kept."""

    def __init__(self, place_dir: Path) -> None:
        self.place_dir = place_dir
        self._keys: dict[int, bytes] = {}
        self._from_setting: dict[int, bytes] | None = None
        configured = settings.get_str("audit_key")
        if configured:
            self._from_setting = _parse_setting(configured)

    @property
    def from_setting(self) -> bool:
        """True when the keys come from TOTALPLACE_AUDIT_KEY rather than key files."""
        return self._from_setting is not None

    def key(self, key_id: int) -> bytes:
        """Key number ``key_id``; a coded KeyMissingError if it is nowhere to be found."""
        if key_id in self._keys:
            return self._keys[key_id]
        if self._from_setting is not None:
            if key_id not in self._from_setting:
                raise KeyMissingError(
                    f"{_ENV} holds no audit key number {key_id}",
                    hint=f"add it as {key_id}:HEX to {_ENV} (keys are listed as 1:HEX,2:HEX), "
                    "or unset the variable to use the place's keys folder",
                )
            key = self._from_setting[key_id]
        else:
            key = keys.load_key(self.place_dir, f"{KEY_PREFIX}{key_id}")
        self._keys[key_id] = key
        return key

    def known_ids(self) -> list[int]:
        """The numbers of the keys that exist (in the setting, or as files), lowest first."""
        if self._from_setting is not None:
            return sorted(self._from_setting)
        names = keys.key_names(self.place_dir, KEY_PREFIX)
        return sorted(int(n.removeprefix(KEY_PREFIX)) for n in names if n.removeprefix(KEY_PREFIX).isdigit())

    def create(self, key_id: int) -> bytes:
        """Make key number ``key_id`` (a file), or check that the setting already holds it."""
        if self._from_setting is not None:
            return self.key(key_id)
        key = keys.create_key(self.place_dir, f"{KEY_PREFIX}{key_id}")
        self._keys[key_id] = key
        return key


def _parse_setting(text: str) -> dict[int, bytes]:
    entries = [e.strip() for e in text.split(",") if e.strip()]
    if len(entries) == 1 and ":" not in entries[0]:
        return {1: keys.parse_key(entries[0], _ENV)}
    out: dict[int, bytes] = {}
    for entry in entries:
        number, sep, hex_text = entry.partition(":")
        if not sep or not number.strip().isdigit() or int(number) < 1:
            raise KeyInvalidError(
                f"{_ENV} is not a list of numbered keys", hint="write it as HEX, or as 1:HEX,2:HEX"
            )
        out[int(number)] = keys.parse_key(hex_text, f"{_ENV} key {int(number)}")
    return out


@dataclass
class AuditContext:
    """One place's audit keys and anchor file."""

    place_dir: Path
    keyring: AuditKeyring = field(init=False)

    def __post_init__(self) -> None:
        self.keyring = AuditKeyring(self.place_dir)

    @property
    def anchor_path(self) -> Path:
        """The append-only file the committed heads are written to."""
        return self.place_dir / ANCHOR_FILE


@dataclass(frozen=True)
class PendingHead:
    """The newest record a transaction appended, to anchor once it commits."""

    context: AuditContext
    seq: int
    hash: str
    key_id: int


_contexts: weakref.WeakKeyDictionary[Engine, AuditContext] = weakref.WeakKeyDictionary()
_pending: weakref.WeakKeyDictionary[Connection, PendingHead] = weakref.WeakKeyDictionary()


def bind(engine: Engine, place_dir: Path) -> AuditContext:
    """Tie a place's keys and anchor to the engine of its store."""
    context = AuditContext(place_dir)
    if engine not in _contexts:
        # A rolled-back transaction must never be anchored, whoever opened it.
        event.listen(engine, "rollback", discard_pending)
    _contexts[engine] = context
    return context


def share(engine: Engine, other: Engine) -> None:
    """Let ``other``, a second engine over the same store (a read-only one), use ``engine``'s keys."""
    context = _contexts.get(engine)
    if context is not None:
        _contexts[other] = context


def context_of(conn: Connection) -> AuditContext | None:
    """The audit context bound to this connection's engine, if any."""
    return _contexts.get(conn.engine)


def note_pending(conn: Connection, head: PendingHead) -> None:
    """Remember the newest keyed record appended in this connection's transaction."""
    _pending[conn] = head


def take_pending(conn: Connection) -> PendingHead | None:
    """The head to anchor after this transaction commits (and forget it)."""
    return _pending.pop(conn, None)


def discard_pending(conn: Connection) -> None:
    """Forget what a transaction appended (it rolled back)."""
    _pending.pop(conn, None)
