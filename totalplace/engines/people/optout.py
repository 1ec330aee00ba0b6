"""The national data opt-out: the list of NHS numbers that may be used, and applying it at import.

NHS England's "check for national data opt-outs" service answers a file of NHS numbers with the ones that
may be used (those of people who have not opted out), one a line followed by a comma. The place keeps each
response as the pseudonyms of those numbers under a key of its own (``optout``), with the date of the check
and an expiry (by default the date plus ``validity_days`` of
parameters/governance/national_data_opt_out.yaml); the numbers themselves are never stored, and nothing
about the opt-out is written on a person's record.

Records an agreement covers by the opt-out (purposes beyond direct care, ``national_data_opt_out: true``)
that come from an NHS body (a partner of kind ``nhs``) are checked at import, before anything is written:
a record whose NHS number is not on the list is excluded, and so is one with no NHS number, which cannot be
checked. Only the counts excluded are reported, never which records (:func:`apply_opt_out`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from totalplace.datasets import identifiers
from totalplace.datasets import problems as codes
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import read_path
from totalplace.datasets.values import CellError
from totalplace.errors import ImportRejectedError, InvalidInputError, OptOutListMissingError, RowProblem
from totalplace.governance.pseudonyms import OPTOUT, PurposeKey, purpose_key
from totalplace.parameters import load_parameter
from totalplace.store import people_records as store

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from totalplace.governance.roles import Principal
    from totalplace.place import Place

_LINE: Final = re.compile(r"^\s*([0-9][0-9 \-]*[0-9])\s*,\s*$")
# The partner kind whose flows are NHS-sourced (store.partners.PARTNER_KINDS).
NHS_KIND: Final = "nhs"


def validity_days() -> int:
    """Days a check stays in use by default (the cited parameter, a local choice marked unverified)."""
    return int(load_parameter("governance/national_data_opt_out.yaml").body["validity_days"])


def read_response(data: bytes, name: str) -> list[str]:
    """The NHS numbers of a response file, each checked; ImportRejectedError naming each bad line (the line's
    value is never repeated)."""
    text = data.decode("utf-8-sig", errors="replace")
    numbers: list[str] = []
    problems: list[RowProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            message = "not one NHS number followed by a comma"
            problems.append(RowProblem(codes.BAD_OPT_OUT_LINE, name, number, "nhs_number", "", message))
            continue
        try:
            numbers.append(identifiers.nhs_number(match.group(1)))
        except CellError as exc:
            problems.append(RowProblem(codes.BAD_NHS_NUMBER, name, number, "nhs_number", "", str(exc)))
    if problems:
        raise ImportRejectedError(name, problems[:1000])
    if not numbers:
        raise ImportRejectedError(
            name, [RowProblem(codes.FILE_EMPTY, name, 0, "", "", "the file lists no NHS numbers")]
        )
    return numbers


@dataclass(frozen=True)
class OptOutStatus:
    """The opt-out list in force: its date, expiry and size (never its numbers), and whether it is current."""

    held: bool
    list_date: str | None = None
    expires: str | None = None
    entries: int = 0
    current: bool = False
    days_left: int = 0
    imported_at: str | None = None
    imported_by: str | None = None
    key_generation: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def _status(conn: Connection, today: dt.date) -> OptOutStatus:
    """The latest list's status: current while unexpired and made under the opt-out key in force."""
    found = store.latest_optout_list(conn)
    if found is None:
        return OptOutStatus(held=False)
    left = (dt.date.fromisoformat(found.expires) - today).days
    key = store.latest_generation(conn, OPTOUT)
    return OptOutStatus(
        True,
        found.list_date,
        found.expires,
        found.entries,
        left >= 0 and key is not None and key.generation == found.key_generation,
        max(left, 0),
        found.imported_at,
        found.imported_by,
        found.key_generation,
    )


def import_optout(
    place: Place,
    principal: Principal,
    source: Path | bytes,
    *,
    list_date: dt.date,
    expires: dt.date | None = None,
    today: dt.date | None = None,
    source_name: str | None = None,
) -> OptOutStatus:
    """Keep a response of the opt-out check, dated ``list_date``, as pseudonyms; audited (optout.manage)."""
    principal.require("optout.manage")
    today = today or dt.date.today()
    expires = expires or list_date + dt.timedelta(days=validity_days())
    if list_date > today:
        raise InvalidInputError(
            "the date of the check cannot be in the future", hint="give the date it was made"
        )
    if expires <= list_date:
        raise InvalidInputError(
            "the list must expire after the date of the check", hint="give a later expiry"
        )
    name = source_name or (source.name if isinstance(source, Path) else "opt-out response")
    data = read_path(source, ImportLimits.from_settings()) if isinstance(source, Path) else source
    numbers = read_response(data, name)
    key = purpose_key(place, OPTOUT, actor=principal.username)
    with place.begin() as conn:
        store.insert_optout_list(
            conn,
            list_date=list_date.isoformat(),
            expires=expires.isoformat(),
            sha256=hashlib.sha256(data).hexdigest(),
            key_generation=key.generation,
            pseudonyms=(key.of("nhs_number", n) or "" for n in numbers),
            actor=principal.username,
        )
        return _status(conn, today)


def optout_status(place: Place, principal: Principal, today: dt.date | None = None) -> OptOutStatus:
    """The list in force (date, expiry, count), for who may read agreements and the opt-out lists' dates."""
    principal.require_any("sharing.read")
    with place.read() as conn:
        return _status(conn, today or dt.date.today())


@dataclass(frozen=True)
class OptOutList:
    """A current list, ready to check NHS numbers against."""

    list_id: int
    list_date: str
    expires: str
    key: PurposeKey
    allowed: frozenset[str]

    def may_use(self, nhs_number: str | None) -> bool:
        """Whether a record with this (checked, 10-digit) NHS number may be used; None cannot be checked."""
        return nhs_number is not None and self.key.of("nhs_number", nhs_number) in self.allowed


def current_list(place: Place, today: dt.date, *, actor: str) -> OptOutList:
    """The unexpired list made under the opt-out key in force, or OptOutListMissingError (TP922)."""
    with place.read() as conn:
        found = store.latest_optout_list(conn)
    hint = (
        "import a current response of the check for national data opt-outs, then import these records again"
    )
    if found is None:
        raise OptOutListMissingError("no national data opt-out list has been imported", hint=hint)
    if dt.date.fromisoformat(found.expires) < today:
        raise OptOutListMissingError(f"the national data opt-out list expired on {found.expires}", hint=hint)
    key = purpose_key(place, OPTOUT, actor=actor)
    if key.generation != found.key_generation:
        raise OptOutListMissingError(
            "the opt-out key was rotated after the list in force was imported, so it cannot be read",
            hint=hint,
        )
    with place.read() as conn:
        allowed = store.optout_pseudonyms(conn, found.id)
    return OptOutList(found.id, found.list_date, found.expires, key, allowed)


@dataclass(frozen=True)
class OptOutOutcome:
    """What the opt-out did to one extract: applied or not and why, and how many records it excluded."""

    applied: bool
    reason: str
    list_date: str | None = None
    list_expires: str | None = None
    excluded_not_on_list: int = 0
    excluded_without_nhs_number: int = 0
    exemption: str | None = None

    @property
    def excluded(self) -> int:
        """Records excluded in all."""
        return self.excluded_not_on_list + self.excluded_without_nhs_number

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (counts only, never which records)."""
        return {**self.__dict__, "excluded": self.excluded}


def apply_opt_out(listed: OptOutList, nhs_numbers: list[str | None]) -> tuple[list[bool], OptOutOutcome]:
    """Which records to keep (True) and the counts excluded, for an extract the opt-out covers."""
    keep = [listed.may_use(n) for n in nhs_numbers]
    missing = sum(1 for n in nhs_numbers if n is None)
    outcome = OptOutOutcome(
        True,
        "the agreement applies the national data opt-out and the records come from an NHS body",
        listed.list_date,
        listed.expires,
        excluded_not_on_list=keep.count(False) - missing,
        excluded_without_nhs_number=missing,
    )
    return keep, outcome
