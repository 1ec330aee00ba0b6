"""Match keys: the standardised forms of a person's identifiers that linkage compares.

Records shared for any purpose other than direct care keep no identifier in the clear: each match key is
replaced at import by its keyed pseudonym (:mod:`totalplace.engines.people.pseudonyms`), so linkage compares
pseudonyms for equality. A typo then breaks equality of the whole value, so beside each full value we keep
coarser keys that survive common errors — a phonetic code of each name, the name's first letters, the date of
birth with day and month in either order, the postcode's sector — the "hashed match keys" approach the ONS
used to link the 2021 Census without clear identifiers (ONS, "Linking 2021 Census to other data", 2023).
Fellegi-Sunter (Splink) then weighs agreement on each level separately.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Final

# Every match key a record can have; a missing identifier gives None, never an empty string, so two missing
# values never agree.
KEYS: Final[tuple[str, ...]] = (
    "nhs_number",
    "given_name",
    "given_phonetic",
    "given_initials",
    "family_name",
    "family_phonetic",
    "family_initials",
    "date_of_birth",
    "birth_year",
    "birth_day_month",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "uprn",
    "address",
    "local_id",
)

_LETTERS = re.compile(r"[^a-z]")
_SPACES = re.compile(r"\s+")
_ALNUM = re.compile(r"[^a-z0-9 ]")
# American Soundex letter groups (US National Archives, "The Soundex Indexing System", 2007).
_SOUNDEX: Final[dict[str, str]] = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def standard_name(name: str | None) -> str | None:
    """A name in lower-case ASCII letters only (accents, hyphens, apostrophes and spaces removed)."""
    if not name:
        return None
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _LETTERS.sub("", ascii_text.lower()) or None


def soundex(name: str | None) -> str | None:
    """The American Soundex code of a standardised name (letter and three digits), or None."""
    if not name:
        return None
    digits = []
    last = _SOUNDEX.get(name[0], "")
    for char in name[1:]:
        code = _SOUNDEX.get(char, "")
        if code and code != last:
            digits.append(code)
        if char not in "hw":  # h and w do not separate letters with the same code; vowels do
            last = code
    return (name[0].upper() + "".join(digits) + "000")[:4]


def standard_postcode(postcode: str | None) -> str | None:
    """A postcode upper-cased with one space before its inward code, or None if too short to be one."""
    if not postcode:
        return None
    compact = _SPACES.sub("", postcode).upper()
    if len(compact) < 5:
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def standard_address(address: str | None) -> str | None:
    """An address lower-cased with punctuation removed and spaces collapsed."""
    if not address:
        return None
    text = _SPACES.sub(" ", _ALNUM.sub(" ", address.lower())).strip()
    return text or None


def match_keys(
    *,
    nhs_number: str | None = None,
    given_name: str | None = None,
    family_name: str | None = None,
    date_of_birth: dt.date | None = None,
    postcode: str | None = None,
    uprn: str | None = None,
    address: str | None = None,
    local_id: str | None = None,
) -> dict[str, str | None]:
    """Every key of :data:`KEYS` for one record's identifiers (already checked by the importer)."""
    given, family = standard_name(given_name), standard_name(family_name)
    code = standard_postcode(postcode)
    return {
        "nhs_number": _SPACES.sub("", nhs_number) if nhs_number else None,
        "given_name": given,
        "given_phonetic": soundex(given),
        "given_initials": given[:2] if given else None,
        "family_name": family,
        "family_phonetic": soundex(family),
        "family_initials": family[:2] if family else None,
        "date_of_birth": date_of_birth.isoformat() if date_of_birth else None,
        "birth_year": str(date_of_birth.year) if date_of_birth else None,
        # Day and month in ascending order, so a date written the other way round still agrees.
        "birth_day_month": _day_month(date_of_birth),
        "postcode": code,
        "postcode_sector": code[:-2] if code else None,
        "postcode_district": code.split(" ")[0] if code else None,
        "uprn": uprn.strip() if uprn and uprn.strip() else None,
        "address": standard_address(address),
        "local_id": local_id.strip() if local_id and local_id.strip() else None,
    }


def _day_month(date: dt.date | None) -> str | None:
    if date is None:
        return None
    low, high = sorted((date.day, date.month))
    return f"{low:02d}-{high:02d}"
