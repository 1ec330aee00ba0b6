"""Generated records about people, with realistic duplicates and errors, for linkage at scale.

Deterministic for a seed. People live in households (a shared family name, postcode and address; now and then
twins, sharing a date of birth too). Each person appears in one or more partners' extracts; each extra record
may carry the errors real extracts do: a typo in a name, day and month swapped, a wrong year, a house move (a
new postcode and address), a mistyped postcode, a missing NHS number or date of birth. Names follow a long
tail (the commonest given name about 1% of people, the commonest family name about 0.3%, as in England), so
blocks stay the size real data gives. The true person is kept in the column ``entity``.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Final

import pyarrow as pa

from totalplace.engines.people.linkage_files import TEST_KEY, records_table
from totalplace.engines.people.matchkeys import match_keys

SOURCES: Final = (
    "children_social_care",
    "adult_social_care",
    "housing",
    "school_attendance",
    "police_incidents",
)
_CONSONANTS: Final = "bcdfghjklmnprstvwy"
_VOWELS: Final = "aeiou"
_EPOCH: Final = dt.date(1930, 1, 1)


@dataclass(frozen=True)
class Person:
    """One generated person's true identifiers."""

    entity: int
    given: str
    family: str
    dob: dt.date
    postcode: str
    address: str
    nhs: str


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(syllables)) + rng.choice(
        ("", "n", "s", "r", "th", "l")
    )


def _pool(rng: random.Random, size: int, syllables: tuple[int, ...]) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < size:
        words[_word(rng, rng.choice(syllables))] = None
    return list(words)


def _weights(size: int, offset: int) -> list[float]:
    # A long tail like real name frequencies: weight 1 / (rank + offset).
    return [1 / (rank + offset) for rank in range(1, size + 1)]


class _World:
    """The name, street and postcode pools every person is drawn from."""

    def __init__(self, rng: random.Random, people: int) -> None:
        self.rng = rng
        self.given = _pool(rng, 1500, (2, 3))
        self.family = _pool(rng, 20000, (2, 3, 4))
        self.given_w = list(accumulate(_weights(len(self.given), 20)))
        self.family_w = list(accumulate(_weights(len(self.family), 50)))
        kinds = ("road", "street", "close", "lane")
        self.streets = [f"{_word(rng, 2)} {rng.choice(kinds)}" for _ in range(20000)]
        letters = string.ascii_uppercase
        self.postcodes = [
            f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(1, 40)} "
            f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
            for _ in range(max(people // 15, 100))
        ]

    def home(self) -> tuple[str, str]:
        return self.rng.choice(self.postcodes), f"{self.rng.randint(1, 200)} {self.rng.choice(self.streets)}"

    def name(self, pool: list[str], weights: list[float]) -> str:
        return self.rng.choices(pool, cum_weights=weights)[0]


def people(count: int, seed: int = 0) -> Iterator[Person]:
    """``count`` people in households of one to five."""
    rng = random.Random(seed)  # noqa: S311 - made-up people, not secrets
    world = _World(rng, count)
    made = 0
    while made < count:
        family = world.name(world.family, world.family_w)
        postcode, address = world.home()
        twin_dob = None
        for _ in range(min(rng.choice((1, 1, 2, 2, 3, 4, 5)), count - made)):
            dob = twin_dob or _EPOCH + dt.timedelta(days=rng.randrange(90 * 365))
            twin_dob = dob if rng.random() < 0.02 else None
            nhs = "".join(rng.choice(string.digits) for _ in range(10))
            given = world.name(world.given, world.given_w)
            yield Person(made, given, family, dob, postcode, address, nhs)
            made += 1


def _typo(rng: random.Random, word: str) -> str:
    at = rng.randrange(len(word))
    kind = rng.random()
    if kind < 0.4:
        return word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :]
    if kind < 0.7 and len(word) > 3:
        return word[:at] + word[at + 1 :]
    return word[:at] + rng.choice(string.ascii_lowercase) + word[at:]


def _with_errors(rng: random.Random, world_home: tuple[str, str], person: Person) -> Person:
    out = person
    if rng.random() < 0.15:
        out = replace(out, given=_typo(rng, out.given))
    if rng.random() < 0.12:
        out = replace(out, family=_typo(rng, out.family))
    if rng.random() < 0.04 and out.dob.day <= 12:
        out = replace(out, dob=dt.date(out.dob.year, out.dob.day, out.dob.month))
    if rng.random() < 0.03:
        year = out.dob.year + rng.choice((-1, 1))
        out = replace(out, dob=dt.date(year, out.dob.month, min(out.dob.day, 28)))
    if rng.random() < 0.12:
        out = replace(out, postcode=world_home[0], address=world_home[1])
    elif rng.random() < 0.04:
        code = out.postcode
        out = replace(out, postcode=code[:-1] + rng.choice(string.ascii_uppercase))
    return out


def records(count: int, seed: int = 0, *, key: bytes | None = TEST_KEY) -> pa.Table:
    """About ``count`` records (a fifth of people appear more than once), pseudonymised under ``key``."""
    rng = random.Random(seed + 1)  # noqa: S311
    moves = random.Random(seed + 2)  # noqa: S311
    letters = string.ascii_uppercase
    rows: list[tuple[str, str, str, dict[str, str | None]]] = []
    for person in people(int(count / 1.25), seed):
        extra = 0
        while rng.random() < 0.2:
            extra += 1
        for copy in range(1 + extra):
            seen = person
            if copy:
                area = moves.choice(letters) + moves.choice(letters)
                home = (f"{area}1 1AA", f"{moves.randint(1, 99)} new road")
                seen = _with_errors(rng, home, person)
            source = rng.choice(SOURCES)
            keys = match_keys(
                nhs_number=seen.nhs if rng.random() < 0.6 else None,
                given_name=seen.given,
                family_name=seen.family,
                date_of_birth=seen.dob if rng.random() > 0.03 else None,
                postcode=seen.postcode if rng.random() > 0.03 else None,
                address=seen.address,
                local_id=f"{source[:3]}{person.entity}",
            )
            rows.append((f"g{len(rows):08d}", source, str(person.entity), keys))
    return records_table(rows, key)
