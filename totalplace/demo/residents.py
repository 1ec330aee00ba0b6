"""The demo's synthetic residents: households at addresses in Northbridge's small areas, and their people.

Deterministic from a seed (numpy's PCG64). Households are single adults, couples, families with children
(some with twins: the same date of birth and surname), lone parents and older couples. Each household lives
at an address with a postcode in one of the demo's LSOAs; some moved during the years the extracts cover
(:data:`MOVED_SHARE`), so partners hold the old address or the new one depending on when they saw them. Some
married women are known to some partners by a former surname. Everyone has an NHS number in the range NHS
England keeps for testing (``999 000 0000`` to ``999 999 9999``, never issued to a patient) with a valid
modulus-11 check digit. The partners' extracts are made from these people by :mod:`totalplace.demo.extracts`.

Names come from the made-up lists in :mod:`totalplace.demo.names`; postcodes use the area letters ``NB``,
which no real postcode has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from totalplace.demo import names

REFERENCE: Final = dt.date(2025, 3, 31)  # the end of the demo's year: ages and events are up to this day
WINDOW_START: Final = dt.date(2021, 4, 1)  # the first day the extracts cover (four financial years)
HOUSEHOLDS: Final = 10_500
WARDS: Final = 20
LSOAS_PER_WARD: Final = (8, 7)  # as the demo's geography: alternate wards have 8 and 7 LSOAs, 150 in all
POSTCODES_PER_LSOA: Final = 6
MOVED_SHARE: Final = (
    0.08  # households that moved within the window (old and new address in different extracts)
)
TWIN_SHARE: Final = 0.03  # families whose two youngest children are twins
FORMER_SURNAME_SHARE: Final = 0.25  # married women some partners still know by a former surname
# Household kinds and their shares: (kind, adults, children).
KINDS: Final[tuple[tuple[str, float], ...]] = (
    ("single", 0.28),
    ("couple", 0.20),
    ("family", 0.27),
    ("lone_parent", 0.13),
    ("older_couple", 0.12),
)
_INWARD_LETTERS: Final = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's inward code uses (no C I K M O V)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Address:
    """One address: its LSOA, postcode, first line and UPRN."""

    lsoa: str
    postcode: str
    line: str
    uprn: str


@dataclass(frozen=True)
class Household:
    """A household: its true id, kind, address now and (if it moved within the window) before, and when."""

    id: str
    kind: str
    address: Address
    previous: Address | None
    moved_on: dt.date | None
    need: float  # how much the household meets services (mean 1): families in need meet many partners


@dataclass(frozen=True)
class Person:
    """A resident as they truly are (the ground truth, never imported into a place)."""

    id: str
    household: int  # index into Population.households
    given: str
    family: str
    former_family: str | None
    sex: str
    dob: dt.date
    nhs_number: str
    role: str  # "adult" or "child"

    def age(self, on: dt.date = REFERENCE) -> int:
        """Age in whole years on ``on``."""
        return on.year - self.dob.year - ((on.month, on.day) < (self.dob.month, self.dob.day))


@dataclass(frozen=True)
class Population:
    """The demo's residents and their households."""

    people: tuple[Person, ...]
    households: tuple[Household, ...]


def lsoa_codes() -> list[str]:
    """The demo's 150 LSOA codes in ward order, as ``totalplace.demo`` makes them."""
    return [f"E01{999000 + n:06d}" for n in range(1, 151)]


def _lsoa_wards() -> list[int]:
    """The ward number (1-20) of each LSOA, in the order of :func:`lsoa_codes`."""
    return [w + 1 for w in range(WARDS) for _ in range(LSOAS_PER_WARD[w % 2])]


def nhs_check_digits(nine: IntArray) -> IntArray:
    """The modulus-11 check digit of each row of nine digits (10 marks a number that cannot be issued).

    >>> int(nhs_check_digits(np.array([[9, 4, 3, 4, 7, 6, 5, 9, 1]]))[0])
    9
    """
    weights = np.arange(10, 1, -1)
    remainder = (nine * weights).sum(axis=1) % 11
    check = 11 - remainder
    return np.where(check == 11, 0, check).astype(np.int64)


def nhs_numbers(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` distinct NHS numbers from the test range 999 000 0000 to 999 999 9999, each valid."""
    tails = rng.permutation(1_000_000)[: count * 2]  # distinct, in a random order
    digits = np.column_stack([np.full(len(tails), 9)] * 3 + [(tails // 10**p) % 10 for p in range(5, -1, -1)])
    check = nhs_check_digits(digits.astype(np.int64))
    kept = (check != 10).nonzero()[0][:count]  # a number whose check digit would be 10 is never issued
    if len(kept) < count:
        raise ValueError(f"the test range holds too few NHS numbers for {count:,} people")
    values = 9_990_000_000 + tails[kept] * 10 + check[kept]
    return [str(v) for v in values.tolist()]


def _addresses(rng: np.random.Generator, count: int) -> list[Address]:
    """``count`` distinct addresses spread over the LSOAs, each with a postcode of its LSOA's ward."""
    codes, wards = lsoa_codes(), _lsoa_wards()
    lsoa = rng.integers(0, len(codes), size=count)
    postcode_no = rng.integers(0, POSTCODES_PER_LSOA, size=count)
    numbers = rng.integers(1, 240, size=count)
    streets = rng.integers(0, len(names.STREETS), size=count)
    kinds = rng.integers(0, len(names.STREET_KINDS), size=count)
    found = []
    for k in range(count):
        ward = wards[lsoa[k]]
        key = int(lsoa[k]) * POSTCODES_PER_LSOA + int(postcode_no[k])
        inward = f"{key % 9 + 1}{_INWARD_LETTERS[key % 20]}{_INWARD_LETTERS[(key // 20) % 20]}"
        # A street belongs to one postcode: its name is drawn per postcode, the house number per address.
        street = f"{names.STREETS[(key * 7 + int(streets[k]) % 3) % len(names.STREETS)]} "
        street += names.STREET_KINDS[(key + int(kinds[k]) % 2) % len(names.STREET_KINDS)]
        found.append(
            Address(codes[lsoa[k]], f"NB{ward} {inward}", f"{numbers[k]} {street}", f"{100090000000 + k}")
        )
    return found


def _dob(rng: np.random.Generator, low_age: int, high_age: int) -> dt.date:
    """A date of birth for someone aged ``low_age`` to ``high_age`` on :data:`REFERENCE`."""
    days = int(rng.integers(low_age * 365 + 1, high_age * 365 + 360))
    return REFERENCE - dt.timedelta(days=days)


class _Names:
    """Names drawn ahead in bulk (one numpy call each), handed out one at a time."""

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        self._female = rng.choice(
            len(names.GIVEN_FEMALE), size=size, p=names.zipf_weights(len(names.GIVEN_FEMALE))
        )
        self._male = rng.choice(len(names.GIVEN_MALE), size=size, p=names.zipf_weights(len(names.GIVEN_MALE)))
        self._family = rng.choice(len(names.FAMILY), size=size, p=names.zipf_weights(len(names.FAMILY)))
        self._at = {"F": 0, "M": 0, "family": 0}

    def _next(self, which: str) -> int:
        at = self._at[which]
        self._at[which] = at + 1
        return at

    def given(self, sex: str) -> str:
        """The next given name for someone of ``sex``."""
        if sex == "F":
            return names.GIVEN_FEMALE[int(self._female[self._next("F")])]
        return names.GIVEN_MALE[int(self._male[self._next("M")])]

    def family(self) -> str:
        """The next family name."""
        return names.FAMILY[int(self._family[self._next("family")])]


@dataclass(frozen=True)
class _Member:
    """A person before their NHS number is known."""

    given: str
    family: str
    former_family: str | None
    sex: str
    dob: dt.date
    role: str


def _adults(kind: str, rng: np.random.Generator, drawn: _Names) -> list[_Member]:
    """The adults of a household of ``kind``: one, or a couple sharing a surname (hers may
    once have differed)."""
    older = kind == "older_couple"
    low, high = (66, 92) if older else (19, 64) if kind != "family" else (24, 50)
    family = drawn.family()
    if kind in ("single", "lone_parent"):
        sex = "F" if kind == "lone_parent" and rng.random() < 0.85 else ("F" if rng.random() < 0.5 else "M")
        return [_Member(drawn.given(sex), family, None, sex, _dob(rng, low, high), "adult")]
    first = _dob(rng, low, high)
    partner_dob = min(
        REFERENCE - dt.timedelta(days=19 * 366), first + dt.timedelta(days=int(rng.normal(0, 900)))
    )
    former = drawn.family() if rng.random() < FORMER_SURNAME_SHARE else None
    return [
        _Member(drawn.given("M"), family, None, "M", first, "adult"),
        _Member(drawn.given("F"), family, former, "F", partner_dob, "adult"),
    ]


def _children(kind: str, mother: _Member, rng: np.random.Generator, drawn: _Names) -> list[_Member]:
    """A family's children (one to four), born after their mother was 17; the two youngest may be twins."""
    if kind not in ("family", "lone_parent"):
        return []
    count = int(rng.choice((1, 2, 3, 4), p=(0.35, 0.4, 0.18, 0.07)))
    earliest = max(mother.dob + dt.timedelta(days=17 * 366), REFERENCE - dt.timedelta(days=17 * 365))
    span = max(1, (REFERENCE - earliest).days - 30)
    births = sorted(earliest + dt.timedelta(days=int(d)) for d in rng.integers(0, span, size=count))
    if count >= 2 and rng.random() < TWIN_SHARE / 0.65:  # about 65% of families have two or more
        births[-1] = births[-2]
    # A lone parent's child sometimes carries the other parent's surname.
    family = drawn.family() if kind == "lone_parent" and rng.random() < 0.3 else mother.family
    found = []
    for born in births:
        sex = "F" if rng.random() < 0.49 else "M"
        found.append(_Member(drawn.given(sex), family, None, sex, born, "child"))
    return found


def _household(
    index: int, rng: np.random.Generator, kind: str, address: Address, moved: Address | None
) -> Household:
    """A household at ``address`` (and before at ``moved``, if it moved within the window)."""
    moved_on = None
    if moved is not None:
        moved_on = WINDOW_START + dt.timedelta(
            days=int(rng.integers(60, (REFERENCE - WINDOW_START).days - 60))
        )
    need = float(rng.gamma(0.8, 1.25))
    return Household(f"H{index + 1:06d}", kind, address, moved, moved_on, need)


def build_population(seed: int, households: int = HOUSEHOLDS) -> Population:
    """The demo's residents, the same for the same seed."""
    rng = np.random.default_rng(seed)
    drawn = _Names(rng, households * 4)
    shares = np.array([share for _, share in KINDS])
    kinds = rng.choice(len(KINDS), size=households, p=shares / shares.sum())
    addresses = _addresses(rng, households * 2)  # the second half are the old addresses of those who moved
    moved = rng.random(households) < MOVED_SHARE
    built: list[Household] = []
    members: list[tuple[int, _Member]] = []
    for h in range(households):
        kind = KINDS[int(kinds[h])][0]
        built.append(_household(h, rng, kind, addresses[h], addresses[households + h] if moved[h] else None))
        adults = _adults(kind, rng, drawn)
        mother = next((a for a in adults if a.sex == "F"), adults[0])
        members += [(h, m) for m in adults + _children(kind, mother, rng, drawn)]
    numbers = nhs_numbers(rng, len(members))
    people = tuple(
        Person(f"T{n + 1:07d}", h, m.given, m.family, m.former_family, m.sex, m.dob, numbers[n], m.role)
        for n, (h, m) in enumerate(members)
    )
    return Population(people, tuple(built))
