"""Money in integer pence. Never a float.

>>> Money.parse("£1,234.50")
Money(pence=123450)
>>> Money.parse("(1,234.50)").pence
-123450
>>> [m.pence for m in Money.parse("10.00").allocate([1, 1, 1])]
[334, 333, 333]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

from totalplace.errors import InvalidInputError

_CURRENCY_NOISE: Final = re.compile(r"[£$€\s\u00a0]|GBP", re.IGNORECASE)
_PLAIN_NUMBER: Final = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS: Final = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
# The shapes nearly every published amount takes: "1234.5", "-12", "£1,234.50", "(1,234.50)", "-£3.20".
_COMMON: Final = re.compile(r"^(\()?(-)?£?(-)?(\d{1,3}(?:,\d{3})+|\d{1,15})(?:\.(\d{1,2}))?(\))?$")

# The largest amount, either way, that one amount of money entering the system may hold (an imported line, a
# cell, a movement, an agreement's contribution or budget): £10,000,000,000.00, 10^12 pence.
# Why this figure: all UK public spending is about £1.3 trillion a year (HM Treasury, Public Expenditure
# Statistical Analyses 2024, total managed expenditure 2023-24: £1,227bn), so no one payment, grant or
# posting of one place comes near £10bn; a larger figure is a mistake or an attack. And it keeps every total
# exact in 64 bits: a batch holds at most ``max_import_rows`` lines (5,000,000 by default; the setting may
# not pass MAX_ROWS_FOR_64_BITS), and 5,000,000 x 10^12 = 5 x 10^18 < 2^63 - 1 (about 9.22 x 10^18).
MAX_AMOUNT_PENCE: Final = 10**12
INT64_MAX: Final = 2**63 - 1
# The most lines whose amounts, each within MAX_AMOUNT_PENCE, are sure to sum within 64 bits: 9,223,372.
MAX_ROWS_FOR_64_BITS: Final = INT64_MAX // MAX_AMOUNT_PENCE
_LONGEST_AMOUNT_TEXT: Final = 64


class MoneyParseError(InvalidInputError):
    """Text that is not an amount of money."""

    code = "TP107"


class MoneyOutOfRangeError(MoneyParseError):
    """An amount beyond :data:`MAX_AMOUNT_PENCE` either way, refused where it enters so no total overflows."""

    code = "TP113"


def check_amount(pence: int, raw: object = None) -> int:
    """``pence`` itself, or :class:`MoneyOutOfRangeError` if it is beyond the limit either way."""
    if abs(pence) > MAX_AMOUNT_PENCE:
        shown = raw if raw is not None else Money(pence)
        raise MoneyOutOfRangeError(
            f"{str(shown)[:40]!r} is beyond the largest amount accepted, {Money(MAX_AMOUNT_PENCE)}",
            hint="check the figure (a misplaced decimal point or a pasted reference number); "
            "no single amount may pass £10bn either way",
        )
    return pence


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An exact amount of money in pence (GBP). Arithmetic stays in integers."""

    pence: int

    def __post_init__(self) -> None:
        # bool is an int subclass; a float is never money (it cannot hold 0.10 exactly).
        if isinstance(self.pence, bool) or not isinstance(self.pence, int):
            raise TypeError(f"Money needs integer pence, not {type(self.pence).__name__}")

    @classmethod
    def zero(cls) -> Money:
        """No money."""
        return cls(0)

    @classmethod
    def from_pounds(cls, pounds: int | str | Decimal) -> Money:
        """Money from pounds given as an int, a string or a Decimal (never a float)."""
        if isinstance(pounds, float):
            raise TypeError("a float cannot be money; pass a string or Decimal")
        if isinstance(pounds, str):
            return cls.parse(pounds)
        return cls(check_amount(_decimal_to_pence(Decimal(pounds), str(pounds)), pounds))

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse an amount as finance systems write it.

        Accepts "£1,234.50", "1234.5", "-1234.5", "(1,234.50)" (a negative), "1,234", "1234.50 CR" (a
        credit), and a trailing minus "1234.50-". Raises :class:`MoneyParseError` on anything else,
        including more than two decimal places that are not zeros.

        >>> Money.parse("1,234").pence
        123400
        >>> Money.parse("1234.50 CR"), Money.parse("1234.5-"), Money.parse("-£3.20")
        (Money(pence=-123450), Money(pence=-123450), Money(pence=-320))
        >>> Money.parse("12.345")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        totalplace.money.MoneyParseError: '12.345' has fractions of a penny (amounts must have at most two...)
        """
        if isinstance(text, float):
            raise TypeError("a float cannot be money; pass the text as written in the file")
        if len(text) > _LONGEST_AMOUNT_TEXT:
            raise MoneyParseError(f"{text[:40]!r}... is not an amount of money (too long)")
        pence = _common_pence(text)
        return cls(check_amount(_general_pence(text) if pence is None else pence, text))

    def allocate(self, weights: list[int] | list[Fraction] | list[Decimal] | list[Money]) -> list[Money]:
        """Split this amount in proportion to ``weights`` by the largest-remainder method.

        The parts always sum to the whole, and each differs from its exact share by less than a penny.
        Ties in remainder go to the earlier weight, so the result is deterministic.
        """
        exact = [Fraction(w.pence) if isinstance(w, Money) else Fraction(w) for w in weights]
        sign = -1 if self.pence < 0 else 1
        return [Money(sign * p) for p in largest_remainder(abs(self.pence), exact)]

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.pence + other.pence)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.pence - other.pence)

    def __neg__(self) -> Money:
        return Money(-self.pence)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an integer; use allocate() to split")
        return Money(self.pence * factor)

    __rmul__ = __mul__

    def __str__(self) -> str:
        """The amount as people read it: ``str(Money(-123450))`` is ``'-£1,234.50'``."""
        sign = "-" if self.pence < 0 else ""
        pounds, pence = divmod(abs(self.pence), 100)
        return f"{sign}£{pounds:,}.{pence:02d}"

    def to_decimal(self) -> Decimal:
        """The amount in pounds as an exact Decimal."""
        return Decimal(self.pence) / 100


def format_pounds(value: object, places: int = 0) -> str:
    """An amount of pounds (Decimal, or its text; a simulated float) for people: ``-£1,234`` or, with
    ``places=2``, ``-£1,234.50``, rounded half to even from its exact decimal value.

    >>> format_pounds(Decimal("-1234.5")), format_pounds("1234.5"), format_pounds("2.675", places=2)
    ('-£1,234', '£1,234', '£2.68')
    """
    amount = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.{places}f}"


def largest_remainder(whole: int, weights: list[Fraction]) -> list[int]:
    """Split a whole number in proportion to ``weights``: the parts sum to ``whole``, ties to the earlier.

    >>> largest_remainder(100, [Fraction(1), Fraction(1), Fraction(1)])
    [34, 33, 33]
    >>> largest_remainder(10, [Fraction(1, 3), Fraction(2, 3)])
    [3, 7]
    """
    if not weights:
        raise InvalidInputError("cannot allocate over no weights")
    if any(w < 0 for w in weights):
        raise InvalidInputError("allocation weights must not be negative")
    total = sum(weights, Fraction(0))
    if total == 0:
        raise InvalidInputError("allocation weights must not all be zero")
    shares = [whole * w / total for w in weights]
    floors = [s.numerator // s.denominator for s in shares]
    short = whole - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:short]:
        floors[i] += 1
    return floors


def sum_money(amounts: list[Money]) -> Money:
    """The exact total of a list of amounts."""
    return Money(sum(m.pence for m in amounts))


def _decimal_to_pence(value: Decimal, raw: str) -> int:
    if not value.is_finite():
        raise MoneyParseError(f"{str(raw)[:40]!r} is not an amount of money")  # NaN and infinities never are
    if value.adjusted() > 20:  # far past the limit: said before quantize runs out of digits on 1e400
        check_amount(MAX_AMOUNT_PENCE + 1, raw)
    if value.adjusted() < -20:
        raise MoneyParseError(f"{str(raw)[:40]!r} has fractions of a penny")
    try:
        pence = (value * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    except InvalidOperation as exc:
        raise MoneyParseError(f"{raw!r} is not an amount of money") from exc
    if pence != value * 100:
        raise MoneyParseError(
            f"{raw!r} has fractions of a penny", hint="amounts must have at most two decimal places"
        )
    return int(pence)


def _common_pence(text: str) -> int | None:
    """The pence of an amount in one of the usual shapes (most lines of every file), or None otherwise."""
    common = _COMMON.match(text)
    # Brackets must pair, and at most one sign marker (brackets or a minus); anything else takes the
    # general rules.
    if not common or bool(common[1]) != bool(common[6]) or sum(map(bool, common.group(1, 2, 3))) > 1:
        return None
    pence = int(common[4].replace(",", "")) * 100 + int(((common[5] or "") + "00")[:2])
    return -pence if common[1] or common[2] or common[3] else pence


def _general_pence(raw: str) -> int:
    """The pence of any other amount: currency words and symbols, credit and debit marks, trailing minus."""
    negative, s = _sign_marks(raw, _CURRENCY_NOISE.sub("", raw))
    s = _CURRENCY_NOISE.sub("", s)
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not _PLAIN_NUMBER.match(s):
        raise MoneyParseError(f"{raw!r} is not an amount of money", hint='write it like "1234.50"')
    pence = _decimal_to_pence(Decimal(s), raw)
    return -pence if negative else pence


def _sign_marks(raw: str, s: str) -> tuple[bool, str]:
    """Whether brackets, "CR" or a trailing minus make ``s`` negative ("DR" does not), and ``s`` without
    them."""
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
        if s.startswith(("-", "+")):
            raise MoneyParseError(f"{raw!r} is negative twice", hint="use brackets or a minus sign, not both")
    upper = s.upper()
    if upper.endswith("CR"):
        negative, s = not negative, s[:-2]
    elif upper.endswith("DR"):
        s = s[:-2]
    if s.endswith("-") and len(s) > 1:
        negative, s = not negative, s[:-1]
    return negative, s
