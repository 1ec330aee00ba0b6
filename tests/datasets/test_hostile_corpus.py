"""Over a hundred hostile files through every importer: each is refused with a code or accepted, never a
traceback, and a refusal leaves the store exactly as it was (catalog, batch files, audit chain, areas,
ledger, pools, frameworks, models, libraries).

The big files (a 400,000-row workbook, a polygon of 2,000,000 points, a 60 MB line) are made once per session;
their time and memory are measured by ``benchmarks/hostile.py``, not asserted here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_place
from tests.datasets.hostile import BIG_BUILDERS
from tests.datasets.hostile_corpus import Hostile, all_cases, suffix_for
from tests.datasets.hostile_runners import RUNNERS, snapshot
from totalplace.errors import TotalplaceError
from totalplace.place import Place
from totalplace.store.partners import add_partner

CASES = all_cases()
BIG = {
    "xlsx_400k": ("spend", ".xlsx", None),
    "polygon_2m": ("geography", ".geojson", "TP557"),
    "one_line_csv": ("spend", ".csv", "TP516"),
}


@pytest.fixture(scope="module")
def corpus_place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    """One place for the whole corpus (a refusal changes nothing, so the cases cannot disturb each other)."""
    place = make_place(tmp_path_factory.mktemp("corpus") / "place")
    with place.begin() as conn:
        add_partner(conn, name="NHS", kind="nhs", code=None, actor="test")
    yield place
    place.close()


@pytest.fixture(scope="session")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The big hostile files, built once per session."""
    folder = tmp_path_factory.mktemp("big")
    made = {}
    for name, build in BIG_BUILDERS.items():
        made[name] = folder / f"{name}{BIG[name][1]}"
        build(made[name])
    return made


def test_the_corpus_covers_every_importer_with_over_a_hundred_files() -> None:
    assert len(CASES) >= 100
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.importer for c in CASES} == set(RUNNERS)


def _codes(error: TotalplaceError) -> set[str]:
    return {error.code} | {p.code for p in getattr(error, "problems", [])}


def _attempt(place: Place, importer: str, path: Path) -> TotalplaceError | None:
    """The coded refusal of ``path`` by ``importer``, or None if it was accepted (anything else fails)."""
    try:
        RUNNERS[importer](place, path)
    except TotalplaceError as error:
        return error
    return None


def _run(place: Place, folder: Path, case: Hostile) -> set[str] | None:
    """The codes of the refusal, or None if the file was accepted; any other exception fails the test."""
    path = folder / f"{case.name}{suffix_for(case)}"
    path.write_bytes(case.data)
    before = snapshot(place)
    error = _attempt(place, case.importer, path)
    if error is None:
        return None
    assert snapshot(place) == before, "a refused file changed the store"
    assert error.code.startswith("TP") and str(error)
    return _codes(error)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_file_is_refused_with_a_code_or_accepted(
    corpus_place: Place, tmp_path: Path, case: Hostile
) -> None:
    codes = _run(corpus_place, tmp_path, case)
    if case.code is not None:
        assert codes is not None, f"{case.name} was accepted; expected {case.code}"
        assert case.code in codes, codes


@pytest.mark.parametrize("name", sorted(BIG))
def test_big_hostile_file_is_refused_or_imported(
    corpus_place: Place, big_files: dict[str, Path], name: str
) -> None:
    importer, _, code = BIG[name]
    before = snapshot(corpus_place)
    error = _attempt(corpus_place, importer, big_files[name])
    if code is None:
        assert error is None, error
    else:
        assert error is not None and code in _codes(error)
        assert snapshot(corpus_place) == before
