"""Checking a person's identifiers as partners' extracts give them: NHS number, postcode, date of birth.

Each check returns the value in one standard form or raises :class:`~totalplace.datasets.values.CellError`
with a code of TP570-TP579. The messages never repeat the value: a mistyped NHS number or postcode may still
be a real person's, and refusals are printed, logged and shown on pages.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from totalplace.datasets import problems as codes
from totalplace.datasets.values import EARLIEST, CellError, parse_date

_NHS_SEPARATORS: Final = re.compile(r"[\s-]+")
# NHS Data Dictionary, "NHS Number": the first nine digits weighted 10 down to 2; the check digit is 11 minus
# the remainder of their sum divided by 11 (11 becomes 0, and 10 means the number is not valid).
_NHS_WEIGHTS: Final = (10, 9, 8, 7, 6, 5, 4, 3, 2)

# The postcode format of BS 7666 as the Royal Mail Postcode Address File uses it: an outward code (area,
# district, and for some London districts a letter) and an inward code (sector digit and unit letters, which
# never use C, I, K, M, O or V), plus the one non-geographic exception GIR 0AA (UK Government Data Standards
# Catalogue, "Postcode", GDSC 0001).
_OUTWARD: Final = (
    r"(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_POSTCODE: Final = re.compile(rf"^(?:GIR ?0AA|{_OUTWARD} ?[0-9][ABD-HJLNP-UW-Z]{{2}})$")


def nhs_number(text: str) -> str:
    """The ten digits of a valid NHS number (spaces and hyphens allowed between them).

    >>> nhs_number("943 476 5919")
    '9434765919'
    >>> nhs_number("943-476-5918")
    Traceback (most recent call last):
    ...
    totalplace.datasets.values.CellError: not a valid NHS number: its check digit does not match
    """
    digits = _NHS_SEPARATORS.sub("", text.strip())
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise CellError("not an NHS number: it should be 10 digits", codes.BAD_NHS_NUMBER)
    total = sum(int(d) * w for d, w in zip(digits[:9], _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10 or check != int(digits[9]):
        raise CellError("not a valid NHS number: its check digit does not match", codes.BAD_NHS_NUMBER)
    return digits


def postcode(text: str) -> str:
    """A UK postcode in its standard form, upper case with one space before the inward code.

    >>> postcode("sw1a1aa")
    'SW1A 1AA'
    """
    compact = "".join(text.split()).upper()
    if not _POSTCODE.match(compact):
        raise CellError("not a UK postcode (e.g. M1 1AE, SW1A 1AA)", codes.BAD_POSTCODE)
    return f"{compact[:-3]} {compact[-3:]}"


def date_of_birth(text: str, today: dt.date) -> dt.date:
    """A date of birth that exists, is not after ``today`` and not before 1900 (dd/mm/yyyy or ISO)."""
    try:
        born = parse_date(text)
    except CellError as exc:
        if "outside" in str(exc):  # a real date, but before 1900 or after 2100
            raise CellError(
                f"a date of birth must be between {EARLIEST.year} and today", codes.BAD_BIRTH_DATE
            ) from None
        raise CellError("not a real date of birth; write it as dd/mm/yyyy", codes.BAD_BIRTH_DATE) from None
    if born > today:
        raise CellError("a date of birth cannot be in the future", codes.BAD_BIRTH_DATE)
    if born < EARLIEST:
        raise CellError(f"a date of birth before {EARLIEST.year} is not accepted", codes.BAD_BIRTH_DATE)
    return born
