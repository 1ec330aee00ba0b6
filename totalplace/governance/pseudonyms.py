"""Keyed pseudonyms: HMAC-SHA256 of an identifier under a key held for one purpose.

Every purpose data about people is shared for has its own key (and the national data opt-out list its own,
``optout``), so the same NHS number gives unlinkable pseudonyms under two purposes: records shared for
planning cannot be joined to those shared for direct care by their pseudonyms (ICO, "Anonymisation,
pseudonymisation and privacy enhancing technologies guidance", 2022, chapter 3: keyed hashing with the key
kept apart). A key is a file ``keys/pseudonym-<purpose>.key`` beside the place (0600 in a 0700 folder,
:mod:`totalplace.governance.keys`), or the setting ``TOTALPLACE_PSEUDONYM_KEY_<PURPOSE>`` in hex.

The store keeps each key's generations by fingerprint (never the key): a key changed by hand is refused
(TP921), a rotation (:func:`rotate`) is recorded and audited, and every batch names the generation it was
pseudonymised with. A batch keeps its generation: records pseudonymised under two generations no longer
agree, so after a rotation the partners' extracts are imported again and linkage runs again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from totalplace import durable, settings
from totalplace.errors import (
    InvalidInputError,
    PeopleReasonRequiredError,
    PseudonymKeyChangedError,
    PseudonymPurposeError,
)
from totalplace.governance.keys import KEY_BYTES, create_key, key_path, load_key, parse_key
from totalplace.store import people_records as store

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place
    from totalplace.store.people_records import KeyGeneration

#: The purposes with a pseudonym key: those of sharing agreements, and the opt-out list's own.
PURPOSES: Final[tuple[str, ...]] = ("direct_care", "planning", "evaluation", "payment_by_results", "optout")
OPTOUT: Final = "optout"


def pseudonym(key: bytes, key_name: str, value: str) -> str:
    """The pseudonym of ``value`` as the match key ``key_name``: hex HMAC-SHA256 of ``"key_name:value"``.

    >>> pseudonym(b"k" * 32, "nhs_number", "9434765919")[:16]
    '8d6d2cf8cdfb9907'
    """
    return hmac.new(key, f"{key_name}:{value}".encode(), hashlib.sha256).hexdigest()


def fingerprint(key: bytes) -> str:
    """What the store records of a key: the first 16 hex digits of HMAC(key, "fingerprint")."""
    return hmac.new(key, b"fingerprint", hashlib.sha256).hexdigest()[:16]


def key_name(purpose: str) -> str:
    """The name of ``purpose``'s key file (``pseudonym-<purpose>``)."""
    check_purpose(purpose)
    return f"pseudonym-{purpose}"


def check_purpose(purpose: str) -> None:
    """Refuse a purpose that has no pseudonym key."""
    if purpose not in PURPOSES:
        raise PseudonymPurposeError(
            f"no pseudonym key for {purpose!r}", hint=f"purposes with a key are: {', '.join(PURPOSES)}"
        )


@dataclass(frozen=True)
class PurposeKey:
    """A purpose's key in force and its recorded generation; pseudonymises values for that purpose."""

    purpose: str
    generation: int
    fingerprint: str
    key: bytes = field(repr=False)

    def of(self, key_name: str, value: str | None) -> str | None:
        """The pseudonym of ``value`` as ``key_name``, or None for a missing value."""
        return None if value is None else pseudonym(self.key, key_name, value)


def _from_setting(purpose: str) -> bytes | None:
    name = f"pseudonym_key_{purpose}"
    text = settings.get_str(name)
    return None if text is None else parse_key(text, f"TOTALPLACE_{name.upper()}")


def _raw_key(place: Place, purpose: str) -> bytes:
    """The key as the setting or the key file holds it (the file is made at first use)."""
    return _from_setting(purpose) or create_key(place.dir, key_name(purpose))


def purpose_key(place: Place, purpose: str, *, actor: str) -> PurposeKey:
    """``purpose``'s key in force with its generation; the first use records generation 1 (audited).

    Refuses (TP921) a key that is not the recorded generation's: pseudonyms made with it would not agree
    with the place's, and nobody recorded why it changed.
    """
    check_purpose(purpose)
    _finish_rotation(place, purpose)
    key = _raw_key(place, purpose)
    mark = fingerprint(key)
    with place.read() as conn:
        latest = store.latest_generation(conn, purpose)
    if latest is None:
        with place.begin() as conn:
            latest = store.first_generation(conn, purpose=purpose, fingerprint=mark, actor=actor)
    if latest.fingerprint != mark:
        raise PseudonymKeyChangedError(
            f"the {purpose} pseudonym key is not generation {latest.generation}'s, which the place recorded "
            f"(fingerprint {latest.fingerprint}, this key's {mark})",
            hint="put the recorded key back, or record the new one with `totalplace keys rotate`",
        )
    return PurposeKey(purpose, latest.generation, mark, key)


def _next_name(purpose: str) -> str:
    return f"{key_name(purpose)}-next"


def _finish_rotation(place: Place, purpose: str) -> None:
    """Put a rotated key file in place if a rotation was recorded but stopped before the file was moved."""
    pending = key_path(place.dir, _next_name(purpose))
    if not pending.exists():
        return
    mark = fingerprint(load_key(place.dir, _next_name(purpose)))
    with place.read() as conn:
        latest = store.latest_generation(conn, purpose)
    if latest is not None and latest.fingerprint == mark:
        os.replace(pending, key_path(place.dir, key_name(purpose)))
        durable.fsync_dir(pending.parent)
    else:
        pending.unlink()  # a rotation that was never recorded: its key was never used


@dataclass(frozen=True)
class Rotation:
    """What a rotation did, and what it means for the records already held."""

    purpose: str
    generation: int
    fingerprint: str
    previous: int | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def rotate(place: Place, principal: Principal, purpose: str, *, reason: str) -> Rotation:
    """Start a new generation of ``purpose``'s key, for a principal who may manage keys; audited.

    With a key file, a new random key replaces it. With the setting, the new key must already be in the
    setting: it is recorded, as the setting cannot be written from here.
    """
    principal.require("keys.manage")
    check_purpose(purpose)
    if not reason.strip():
        raise PeopleReasonRequiredError("a key rotation needs a reason", hint="say why the key is rotated")
    _finish_rotation(place, purpose)
    with place.read() as conn:
        previous = store.latest_generation(conn, purpose)
    from_setting = _from_setting(purpose)
    if from_setting is not None:
        new_key = from_setting
        if previous is not None and previous.fingerprint == fingerprint(new_key):
            raise InvalidInputError(
                f"TOTALPLACE_PSEUDONYM_KEY_{purpose.upper()} still holds the key of generation "
                f"{previous.generation}",
                hint="set it to a new key of 64 hex digits first, then rotate",
            )
    else:
        new_key = secrets.token_bytes(KEY_BYTES)
    generation = _record_rotation(place, principal, purpose, new_key, reason, file=from_setting is None)
    then = (
        "the opt-out list in force was kept under the old key: import a current response of the opt-out check"
        if purpose == OPTOUT
        else "batches already imported keep the generation they were pseudonymised with and no longer agree "
        "with new ones, so import the partners' extracts again and run the linkage again"
    )
    return Rotation(
        purpose,
        generation.generation,
        generation.fingerprint,
        previous.generation if previous else None,
        f"the {purpose} key is now generation {generation.generation}; {then}",
    )


def _record_rotation(
    place: Place, principal: Principal, purpose: str, new_key: bytes, reason: str, *, file: bool
) -> KeyGeneration:
    """Record the new generation; with a key file, write it beside the old one first and move it in after
    the record commits (a crash in between is finished by :func:`_finish_rotation`)."""
    pending = key_path(place.dir, _next_name(purpose))
    if file:
        pending.unlink(missing_ok=True)
        pending.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        durable.create_exclusively(pending, new_key.hex().encode("ascii") + b"\n", mode=0o600)
    with place.begin() as conn:
        generation = store.record_generation(
            conn, purpose=purpose, fingerprint=fingerprint(new_key), actor=principal.username, reason=reason
        )
    if file:
        _finish_rotation(place, purpose)
    return generation


def generations(place: Place, principal: Principal) -> list[KeyGeneration]:
    """Every recorded generation of every purpose's key (fingerprints only), for who may read agreements."""
    principal.require_any("sharing.read")
    with place.read() as conn:
        return store.key_generations(conn)
