"""The demo's synthetic residents and their partners' extracts: deterministic, the right size, valid NHS
numbers, the truth kept apart, and the errors put in at the rates stated."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import time
from collections import Counter
from pathlib import Path

import pytest

from totalplace.demo.extracts import (
    ERROR_RATES,
    OPT_OUT_FILE,
    TRUTH_DIR,
    TRUTH_PEOPLE,
    TRUTH_RECORDS,
    Written,
    generate,
)
from totalplace.demo.sources import BY_SOURCE, NHS, SOURCES


def valid_nhs_number(text: str) -> bool:
    """The modulus-11 check, written out independently of the generator's vectorised one."""
    digits = [int(c) for c in text.replace(" ", "")]
    if len(digits) != 10:
        return False
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    return generate(tmp_path_factory.mktemp("extracts"), seed=7)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_same_seed_gives_the_same_bytes(written: Written, tmp_path: Path) -> None:
    started = time.process_time()  # the CPU time of this process, whatever else the machine runs
    again = generate(tmp_path, seed=7)
    assert time.process_time() - started < 10
    for a, b in zip(written.extracts, again.extracts, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()
    assert written.truth_records.read_bytes() == again.truth_records.read_bytes()
    other = generate(tmp_path / "other", seed=8)
    assert other.extracts[0].path.read_bytes() != written.extracts[0].path.read_bytes()


def test_about_sixty_thousand_records_across_six_partners(written: Written) -> None:
    assert 50_000 <= written.records <= 70_000
    partners = {e.partner for e in written.extracts}
    assert len(partners) == 6
    files = {e.path for e in written.extracts}
    assert len(files) == 2 * len(SOURCES)  # one extract per source and agreement
    assert sum(len(_rows(p)) for p in files) == 2 * written.records
    planning = next(e for e in written.extracts if e.agreement == "northbridge-population-health-planning")
    care = next(e for e in written.extracts if e.source == planning.source and e is not planning)
    assert planning.path.read_bytes() != care.path.read_bytes()  # the importer keeps one batch per bytes
    assert sorted(_rows(planning.path), key=str) == sorted(_rows(care.path), key=str)
    assert {e.agreement for e in written.extracts} == {
        "northbridge-population-health-planning",
        "northbridge-early-help-direct-care",
    }


def test_each_extract_has_its_partners_headings(written: Written) -> None:
    for extract in written.extracts:
        header = extract.path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == [heading for _, heading in extract.columns]
    assert BY_SOURCE["nhs_urgent_contacts"].heading("nhs_number") == "NHS Number"
    assert BY_SOURCE["police_incidents"].heading("event_date") == "Occurred Date"


def test_nhs_numbers_are_valid_and_in_the_test_range(written: Written) -> None:
    people = _rows(written.truth_people)
    assert all(valid_nhs_number(p["nhs_number"]) and p["nhs_number"].startswith("999") for p in people)
    assert len({p["nhs_number"] for p in people}) == len(people)
    for extract in written.extracts:
        heading = dict(extract.columns).get("nhs_number")
        if heading:
            numbers = [r[heading] for r in _rows(extract.path) if r[heading]]
            assert numbers and all(valid_nhs_number(n) for n in numbers)
    assert not valid_nhs_number("9990000001")


def test_the_truth_is_apart_and_names_every_record(written: Written) -> None:
    folder = written.extracts[0].path.parent
    assert written.truth_records.parent == folder / TRUTH_DIR
    assert {p.name for p in (folder / TRUTH_DIR).iterdir()} == {TRUTH_RECORDS, TRUTH_PEOPLE}
    truth = _rows(written.truth_records)
    assert len(truth) == 2 * written.records
    by_file = Counter(t["file"] for t in truth)
    for extract in {e.path: e for e in written.extracts}.values():
        assert by_file[extract.path.name] == len(_rows(extract.path))
        digest = hashlib.sha256(extract.path.read_bytes()).hexdigest()[:12]
        mine = [t for t in truth if t["file"] == extract.path.name]
        assert {t["file_sha12"] for t in mine} == {digest}
        # The record id the importer gives: the file's SHA-256 prefix and the line (the header is line 1).
        assert mine[0]["record_id"] == f"{digest}:2" and mine[-1]["record_id"] == f"{digest}:{len(mine) + 1}"
        # No extract carries the true ids.
        assert "T0000001" not in extract.path.read_text(encoding="utf-8")


def test_families_and_twins(written: Written) -> None:
    people = _rows(written.truth_people)
    households = Counter(p["household_id"] for p in people)
    assert max(households.values()) >= 4
    twins = Counter(
        (p["household_id"], p["date_of_birth"], p["family_name"])
        for p in people
        if dt.date.fromisoformat(p["date_of_birth"]) > dt.date(2007, 4, 1)
    )
    assert sum(1 for n in twins.values() if n == 2) >= 30


def test_opt_out_response_leaves_out_about_three_percent(written: Written) -> None:
    lines = (written.opt_out.parent / OPT_OUT_FILE).read_text(encoding="ascii").splitlines()
    assert all(line.endswith(",") and valid_nhs_number(line[:-1]) for line in lines)
    people = _rows(written.truth_people)
    opted = {p["nhs_number"] for p in people if p["opted_out"] == "yes"}
    assert 0.02 < len(opted) / len(people) < 0.04
    assert not opted & {line[:-1] for line in lines}
    assert len(lines) + len(opted) == len(people)


def _error_rate(truth: list[dict[str, str]], error: str, among: set[str] | None = None) -> float:
    rows = [t for t in truth if among is None or t["source"] in among]
    return sum(1 for t in rows if error in t["errors"].split(";")) / len(rows)


def test_errors_are_present_at_their_stated_rates(written: Written) -> None:
    truth = _rows(written.truth_records)
    for error in ("typo_given", "typo_family"):
        assert _error_rate(truth, error) == pytest.approx(ERROR_RATES[error], abs=0.004)
    nhs_sources = {s.source for s in SOURCES if s.partner == NHS}
    missing = _error_rate(truth, "missing_nhs_number", nhs_sources)
    assert missing == pytest.approx(ERROR_RATES["missing_nhs_number"], abs=0.005)
    assert _error_rate(truth, "missing_postcode") == pytest.approx(ERROR_RATES["missing_postcode"], abs=0.003)
    # Errors that need a condition (a day of 12 or less, a nickname, a former surname) are rarer overall.
    for error in ("swapped_day_month", "nickname", "former_surname", "old_address", "second_local_id"):
        assert 0 < _error_rate(truth, error) < ERROR_RATES.get(error, 1.0)


def test_an_error_is_what_it_says(written: Written) -> None:
    people = {p["person_id"]: p for p in _rows(written.truth_people)}
    truth = _rows(written.truth_records)
    extract = next(e for e in written.extracts if e.source == "nhs_urgent_contacts")
    rows = _rows(extract.path)
    mine = [t for t in truth if t["file"] == extract.path.name]
    for t, row in zip(mine, rows, strict=True):
        person, errors = people[t["person_id"]], t["errors"].split(";")
        swapped = "swapped_day_month" in errors
        assert (row["Date of Birth"] != person["date_of_birth"]) == swapped
        assert (row["NHS Number"] == "") == ("missing_nhs_number" in errors)
        if not errors[0]:
            assert row["Given Name"] == person["given_name"] and row["Postcode"] == person["postcode"]
