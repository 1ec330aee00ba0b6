"""The demo partners' extracts of records about the synthetic residents, with the mess real extracts have.

:func:`write_extracts` writes one CSV per source in the partner's own layout (:mod:`totalplace.demo.sources`),
the NHS opt-out response file, and, in a ``truth`` folder kept apart, which true person and household each
record is about and which errors were put into it. The truth is never imported into a place: tests and
``link evaluate`` read it to score the linkage.

Errors, each at the rate in :data:`ERROR_RATES` (of the records where it can happen): a typo in a name, a
nickname for a given name, day and month of birth swapped, a missing NHS number, a missing postcode, a
former surname, a second id for the same person in one partner's system; and every record about a household
that moved, dated before the move, carries the old address.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import hashlib
import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from totalplace.demo import names
from totalplace.demo.residents import REFERENCE, WINDOW_START, Household, Person, Population, build_population
from totalplace.demo.sources import (
    DIRECT_CARE_AGREEMENT,
    NHS,
    PLANNING_AGREEMENT,
    SOURCES,
    Source,
)

DEMO_RESIDENTS_SEED: Final = 20091
TRUTH_DIR: Final = "truth"
TRUTH_RECORDS: Final = "truth_records.csv"
TRUTH_PEOPLE: Final = "truth_people.csv"
OPT_OUT_FILE: Final = "nhs_opt_out_response.csv"
OPTED_OUT_SHARE: Final = 0.03
# The chance of each error in a record where it can happen (a nickname needs a name that has one, a swapped
# day and month a day of 12 or less that differs from the month, a former surname a woman who had one).
ERROR_RATES: Final[dict[str, float]] = {
    "typo_given": 0.015,
    "typo_family": 0.015,
    "nickname": 0.06,
    "swapped_day_month": 0.02,
    "missing_nhs_number": 0.03,  # of records from a source that sends NHS numbers
    "missing_postcode": 0.01,
    "former_surname": 0.5,
    "second_local_id": 0.02,  # of people in a source: some of their records carry a second id
}
_NEIGHBOURS: Final = "qwertyuiopasdfghjklzxcvbnm"
_DRAWS: Final = 10  # uniform draws per record for its errors and values


@dataclass(frozen=True)
class Extract:
    """One extract to import: who sends it, which source, where it is, under which agreement, and how its
    headings map to the standard fields (``columns``: field -> heading) and how it writes dates."""

    partner: str
    source: str
    path: Path
    agreement: str
    columns: tuple[tuple[str, str], ...]
    date_format: str


@dataclass(frozen=True)
class _Record:
    """One record before it is written: who it is truly about, and what the partner holds."""

    person: int
    event_date: dt.date
    event_type: str
    event_detail: str
    values: dict[str, str]
    errors: tuple[str, ...]


def _typo(name: str, u: float) -> str:
    """``name`` with one slip: a letter changed, dropped, doubled, or two letters swapped."""
    if len(name) < 3:
        return name + "e"
    at = 1 + int(u * 1000) % (len(name) - 2)
    kind = int(u * 4)
    if kind == 0:
        swap = _NEIGHBOURS[(_NEIGHBOURS.find(name[at].lower()) + 1) % len(_NEIGHBOURS)]
        return name[:at] + swap + name[at + 1 :]
    if kind == 1:
        return name[:at] + name[at + 1 :]
    if kind == 2:
        return name[:at] + name[at] + name[at:]
    return name[:at] + name[at + 1] + name[at] + name[at + 2 :]


def _names(person: Person, source: Source, u: list[float], errors: list[str]) -> tuple[str, str]:
    """The given and family names the partner holds for ``person``, with errors drawn from ``u``."""
    given, family = person.given, person.family
    if source.partner != NHS and person.given in names.NICKNAMES and u[0] < ERROR_RATES["nickname"]:
        given = names.NICKNAMES[person.given]
        errors.append("nickname")
    if person.former_family and u[1] < ERROR_RATES["former_surname"]:
        family = person.former_family
        errors.append("former_surname")
    if u[2] < ERROR_RATES["typo_given"]:
        given = _typo(given, u[3])
        errors.append("typo_given")
    if u[4] < ERROR_RATES["typo_family"]:
        family = _typo(family, u[3])
        errors.append("typo_family")
    return given, family


def _dob(person: Person, u: float, errors: list[str]) -> dt.date:
    """The date of birth the partner holds: sometimes with day and month swapped."""
    dob = person.dob
    if dob.day <= 12 and dob.day != dob.month and u < ERROR_RATES["swapped_day_month"]:
        errors.append("swapped_day_month")
        return dob.replace(day=dob.month, month=dob.day)
    return dob


def _nhs(person: Person, source: Source, u: float, errors: list[str]) -> str:
    """The NHS number the partner holds, or "" (NHS sources miss a few; others hold it sometimes)."""
    if source.nhs_share <= 0:
        return ""
    if source.partner != NHS and u >= source.nhs_share:
        return ""  # held only sometimes outside the NHS: not an error
    if source.partner == NHS and u < ERROR_RATES["missing_nhs_number"]:
        errors.append("missing_nhs_number")
        return ""
    number = person.nhs_number
    # The Council's systems write it as printed on a card; the NHS's as ten digits.
    return number if source.partner == NHS else f"{number[:3]} {number[3:6]} {number[6:]}"


def _address(household: Household, on: dt.date) -> tuple[str, str, str, str]:
    """(postcode, address, uprn, LSOA) where the household lived on ``on``: the old one before a move."""
    moved = household.moved_on is not None and household.previous is not None and on < household.moved_on
    where = household.previous if moved and household.previous is not None else household.address
    return where.postcode, f"{where.line}, Northbridge", where.uprn, where.lsoa


class _Ids:
    """Each partner system's own ids for people: stable, distinct, and unrelated to the true ids."""

    def __init__(self, rng: np.random.Generator, people: int) -> None:
        self._order = rng.permutation(people * 2)
        self._seconds: set[tuple[str, int]] = set()

    def of(self, prefix: str, person: int, second: bool) -> str:
        """The id ``prefix`` system gives ``person`` (``second``: the duplicate registration's)."""
        number = int(self._order[person + (len(self._order) // 2 if second else 0)])
        return f"{prefix}{number:07d}"


def _window(person: Person, source: Source) -> tuple[dt.date, dt.date] | None:
    """The days within the extracts' window on which ``person`` was of an age ``source`` sees."""
    low, high = source.ages
    start = max(WINDOW_START, _years_after(person.dob, low))
    end = min(REFERENCE, _years_after(person.dob, high + 1) - dt.timedelta(days=1))
    return (start, end) if start <= end else None


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@functools.cache
def _cumulative(source: Source) -> list[float]:
    """The running totals of the source's event weights, to draw an event by one uniform number."""
    return list(itertools.accumulate(e.weight for e in source.events))


def _event(source: Source, u: float, v: float) -> tuple[str, str]:
    """An event type by the source's weights (``u``) and one of its details (``v``)."""
    bounds = _cumulative(source)
    chosen = source.events[min(bisect.bisect_right(bounds, u * bounds[-1]), len(bounds) - 1)]
    detail = chosen.details[int(v * len(chosen.details))] if chosen.details else ""
    return chosen.type, detail


def _identity(person: Person, household: Household, source: Source, on: dt.date, u: list[float]) -> _Record:
    """A record of ``source`` about ``person`` dated ``on`` (its event filled in later), errors from ``u``."""
    errors: list[str] = []
    given, family = _names(person, source, u, errors)
    dob = _dob(person, u[5], errors)
    postcode, address, uprn, lsoa = _address(household, on)
    if household.moved_on is not None and on < household.moved_on:
        errors.append("old_address")
    if u[6] < ERROR_RATES["missing_postcode"]:
        postcode = lsoa = ""  # the partner derives the LSOA from the postcode
        errors.append("missing_postcode")
    values = {
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob.strftime(source.date_format),
        "sex": person.sex,
        "nhs_number": _nhs(person, source, u[7], errors),
        "postcode": postcode,
        "address": address,
        "uprn": uprn,
        "area_code": lsoa,
        "event_date": on.strftime(source.date_format),
    }
    return _Record(-1, on, "", "", values, tuple(errors))


def _chosen(source: Source, population: Population, rng: np.random.Generator) -> np.ndarray:
    """Which people appear in ``source``: of an age it sees, each with a chance scaled by household need."""
    people = population.people
    born = np.array([p.dob.toordinal() for p in people])
    need = np.array([population.households[p.household].need for p in people])
    low, high = source.ages
    oldest_then = (REFERENCE.toordinal() - born) / 365.25
    youngest_then = (WINDOW_START.toordinal() - born) / 365.25
    eligible = (oldest_then >= low) & (youngest_then < high + 1)
    chance = np.clip(source.share * need, 0, 0.9)
    return np.flatnonzero(eligible & (rng.random(len(people)) < chance))


def _records(source: Source, population: Population, rng: np.random.Generator, ids: _Ids) -> list[_Record]:
    """Every record of ``source``: its people, each with one or more events in the window."""
    chosen = _chosen(source, population, rng)
    counts = 1 + rng.poisson(source.mean - 1, size=len(chosen))
    seconds = rng.random(len(chosen)) < ERROR_RATES["second_local_id"]
    found: list[_Record] = []
    for who, count, second in zip(chosen.tolist(), counts.tolist(), seconds.tolist(), strict=True):
        person = population.people[who]
        window = _window(person, source)
        if window is None:
            continue
        household = population.households[person.household]
        for u in rng.random((count, _DRAWS)).tolist():
            on = window[0] + dt.timedelta(days=int(u[8] * ((window[1] - window[0]).days + 1)))
            record = _identity(person, household, source, on, u)
            kind, detail = _event(source, float(u[9]), float(u[3]))
            values = dict(record.values)
            errors = record.errors
            if source.id_prefix:
                twice = second and u[0] < 0.5
                values["local_id"] = ids.of(source.id_prefix, who, twice)
                errors += ("second_local_id",) if twice else ()
            values.update(event_type=kind, event_detail=detail)
            found.append(_Record(who, on, kind, detail, values, errors))
    return found


_POLICE_ROLES: Final = ("victim", "suspect", "witness", "reporting person")


def _abuse_records(
    source: Source, population: Population, rng: np.random.Generator, ids: _Ids
) -> list[_Record]:
    """Domestic abuse incidents between a household's two adults: one record for each, linked by id."""
    couples: dict[int, list[int]] = {}
    for n, p in enumerate(population.people):
        if p.role == "adult":
            couples.setdefault(p.household, []).append(n)
    pairs = [(h, members) for h, members in couples.items() if len(members) == 2]
    need = np.array([population.households[h].need for h, _ in pairs])
    chosen = np.flatnonzero(rng.random(len(pairs)) < np.clip(source.share * need, 0, 0.9))
    found: list[_Record] = []
    for k in chosen.tolist():
        household, (first, second) = population.households[pairs[k][0]], pairs[k][1]
        # Most victims recorded are women; the person harmed is the record's subject, the other is linked.
        victim, suspect = (second, first) if rng.random() < 0.8 else (first, second)
        for u in rng.random((1 + int(rng.poisson(source.mean - 1)), _DRAWS)).tolist():
            on = WINDOW_START + dt.timedelta(days=int(u[8] * (REFERENCE - WINDOW_START).days))
            kind, detail = _event(source, float(u[9]), float(u[3]))
            for who, role, other in ((victim, "victim", suspect), (suspect, "perpetrator", victim)):
                record = _identity(
                    population.people[who], household, source, on, u if who == victim else u[::-1]
                )
                values = dict(record.values, event_type=kind, event_detail=detail, relationship=role)
                values.update(local_id=ids.of("PN", who, False), related_local_id=ids.of("PN", other, False))
                found.append(_Record(who, on, kind, detail, values, record.errors))
    return found


def _source_records(
    source: Source, population: Population, rng: np.random.Generator, ids: _Ids
) -> list[_Record]:
    """Every record of ``source``, sorted as a partner's system lists them (by date, then id)."""
    if source.source == "domestic_abuse":
        found = _abuse_records(source, population, rng, ids)
    else:
        found = _records(source, population, rng, ids)
    if source.source == "police_incidents":
        roles = rng.integers(0, len(_POLICE_ROLES), size=len(found))
        found = [
            _Record(
                r.person,
                r.event_date,
                r.event_type,
                r.event_detail,
                {**r.values, "relationship": _POLICE_ROLES[k]},
                r.errors,
            )
            for r, k in zip(found, roles.tolist(), strict=True)
        ]
    return sorted(
        found, key=lambda r: (r.event_date, r.values.get("local_id", ""), r.values["family_name"], r.person)
    )


def _csv(source: Source, records: list[_Record]) -> bytes:
    """The extract as the partner writes it: its own headings, its own date format."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([heading for _, heading in source.columns])
    for record in records:
        writer.writerow([record.values.get(field, "") for field, _ in source.columns])
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Written:
    """What :func:`generate` made: the extracts, the files kept apart (truth and the opt-out response), and
    how many records there are (each is in two extracts, one per agreement)."""

    extracts: tuple[Extract, ...]
    truth_records: Path
    truth_people: Path
    opt_out: Path
    records: int


def _truth_rows(
    source: Source, records: list[_Record], body: bytes, population: Population, file: str
) -> list[list[str]]:
    """The truth of each record: its key (file and data row, from 1), its record id as the importer makes
    it (the file's SHA-256 prefix and the line), file line, true person and household, errors put in."""
    digest = hashlib.sha256(body).hexdigest()[:12]
    return [
        [
            f"{file}:{row}",
            f"{digest}:{row + 1}",
            source.partner,
            source.source,
            file,
            digest,
            str(row + 1),
            population.people[r.person].id,
            population.households[population.people[r.person].household].id,
            ";".join(r.errors),
        ]
        for row, r in enumerate(records, start=1)
    ]


def _write_table(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _write_truth(
    folder: Path, population: Population, truth: list[list[str]], opted_out: set[str]
) -> tuple[Path, Path]:
    """The ground truth, in its own folder: each record's true person and household, and each person."""
    folder.mkdir(parents=True, exist_ok=True)
    records = folder / TRUTH_RECORDS
    header = [
        "record_key",
        "record_id",
        "partner",
        "source",
        "file",
        "file_sha12",
        "line",
        "person_id",
        "household_id",
        "errors",
    ]
    _write_table(records, header, truth)
    people = folder / TRUTH_PEOPLE
    rows = []
    for p in population.people:
        h = population.households[p.household]
        rows.append(
            [p.id, h.id, p.given, p.family, p.former_family or "", p.sex, p.dob.isoformat(), p.nhs_number,
             "yes" if p.nhs_number in opted_out else "no", h.address.postcode, h.address.lsoa,
             h.previous.postcode if h.previous else "", h.moved_on.isoformat() if h.moved_on else "", h.kind]
        )  # fmt: skip
    _write_table(
        people,
        ["person_id", "household_id", "given_name", "family_name", "former_family_name", "sex",
         "date_of_birth", "nhs_number", "opted_out", "postcode", "lsoa", "previous_postcode",
         "moved_on", "household_kind"],
        rows,
    )  # fmt: skip
    return records, people


def _opt_out(path: Path, population: Population, rng: np.random.Generator) -> set[str]:
    """The "check for national data opt-outs" response: the NHS numbers that MAY be used, one a line
    followed by a comma, as the NHS service returns them. Returns the numbers left out (opted out)."""
    numbers = [p.nhs_number for p in population.people]
    out = rng.random(len(numbers)) < OPTED_OUT_SHARE
    path.write_text(
        "".join(f"{n},\n" for n, o in zip(numbers, out.tolist(), strict=True) if not o), encoding="ascii"
    )
    return {n for n, o in zip(numbers, out.tolist(), strict=True) if o}


def generate(directory: Path, seed: int = DEMO_RESIDENTS_SEED) -> Written:
    """Write every partner's extract, the opt-out response and (in ``truth/``) the ground truth."""
    directory.mkdir(parents=True, exist_ok=True)
    population = build_population(seed)
    rng = np.random.default_rng([seed, 1])
    ids = _Ids(rng, len(population.people))
    extracts: list[Extract] = []
    truth: list[list[str]] = []
    records = 0
    for source in SOURCES:
        dated = _source_records(source, population, rng, ids)
        records += len(dated)
        for agreement, rows in ((DIRECT_CARE_AGREEMENT, dated), (PLANNING_AGREEMENT, _by_id(dated))):
            path = directory / _file_name(source, agreement)
            body = _csv(source, rows)
            path.write_bytes(body)
            truth += _truth_rows(source, rows, body, population, path.name)
            extracts.append(
                Extract(source.partner, source.source, path, agreement, source.columns, source.date_format)
            )
    opted_out = _opt_out(directory / OPT_OUT_FILE, population, rng)
    records_path, people_path = _write_truth(directory / TRUTH_DIR, population, truth, opted_out)
    return Written(tuple(extracts), records_path, people_path, directory / OPT_OUT_FILE, records)


def _file_name(source: Source, agreement: str) -> str:
    """The direct-care extract keeps the source's file name; the planning one adds ``_planning``."""
    return source.file if agreement == DIRECT_CARE_AGREEMENT else source.file.replace(".csv", "_planning.csv")


def _by_id(records: list[_Record]) -> list[_Record]:
    """The same records as a second report of the partner's system lists them: by the person's id, then date.

    Each agreement gets its own extract (the importer keeps one batch per file's bytes, whatever agreement
    it comes under), as partners run one report per agreement.
    """

    def key(r: _Record) -> tuple[str, dt.date, int]:
        first = r.values.get("local_id") or r.values.get("nhs_number") or r.values["family_name"]
        return (first, r.event_date, r.person)

    return sorted(records, key=key)


def write_extracts(directory: Path, seed: int = DEMO_RESIDENTS_SEED) -> list[Extract]:
    """The partners' extracts written to ``directory`` (one per source and agreement it flows under), with the
    opt-out response (:data:`OPT_OUT_FILE`) beside them and the ground truth in ``directory/truth``."""
    return list(generate(directory, seed).extracts)
