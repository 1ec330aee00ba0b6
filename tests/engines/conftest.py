"""Engine tests written once and run on each analytics backend: DuckDB, and Spark in local mode (as Splink does).

A test that takes ``backend_name`` runs twice, and ``place.analytics()`` opens that backend in it, so the
engine under test is called exactly as a user calls it. The Spark run is marked ``spark``: it is skipped when
pyspark or Java is missing, and fails instead under ``TOTALPLACE_REQUIRE_SPARK=1`` (as CI runs it). Spark
starts once per test session (the backend keeps one session per process), so the added time is the queries
themselves; a module builds its place once (:func:`module_place`) and shares it between both runs.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator

import pytest

from tests.conftest import make_place, skip_or_fail
from totalplace.place import Place

#: The analytics backends every engine test taking ``backend_name`` runs on.
BACKENDS = ("duckdb", pytest.param("spark", marks=pytest.mark.spark))


def require_spark() -> None:
    """Skip (or, when CI requires Spark, fail) unless pyspark and Java are installed."""
    if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
        skip_or_fail("spark", "pyspark or Java is not installed")


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The backend this run of the test uses: ``place.analytics()`` opens it (TOTALPLACE_BACKEND)."""
    name = str(request.param)
    if name == "spark":
        require_spark()
    monkeypatch.setenv("TOTALPLACE_BACKEND", name)
    return name


@pytest.fixture(scope="module")
def module_place(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    """A place on SQLite (with the partner "Council") shared by one module's tests: fill it once in a module
    fixture, and let the tests only read it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
        patch.delenv("TOTALPLACE_BACKEND", raising=False)
        place = make_place(tmp_path_factory.mktemp("shared") / "place")
    yield place
    place.close()
