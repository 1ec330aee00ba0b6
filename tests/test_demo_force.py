"""`demo --force` deletes nothing until it knows it can build (issue 19, 8)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import totalplace.demo as demo
from tests.conftest import _postgres_database, make_place
from totalplace.errors import StoreInUseError
from totalplace.place import Place
from totalplace.store import audit


def _intact(directory: Path, name: str) -> None:
    with Place.open(directory) as place, place.read() as conn:
        assert place.config.name == name
        assert audit.verify(conn).ok


def _no_leftovers(parent: Path) -> None:
    assert [p.name for p in parent.iterdir() if p.name.startswith(".")] == []


@pytest.fixture
def postgres_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for url in _postgres_database():
        monkeypatch.setenv("TOTALPLACE_DATABASE_URL", url)
        yield url


def test_a_failing_build_leaves_the_old_place_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    make_place(tmp_path / "demo").close()

    def fail(_rng: object) -> None:
        raise RuntimeError("the build failed half-way")

    monkeypatch.setattr(demo, "_features", fail)
    with pytest.raises(RuntimeError):
        demo.build_demo(tmp_path / "demo", force=True)
    _intact(tmp_path / "demo", "Testshire")
    _no_leftovers(tmp_path)


def test_a_finished_build_is_swapped_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    make_place(tmp_path / "demo").close()
    (tmp_path / "demo" / "old-file").write_text("from the old place")

    def build(directory: Path, _seed: int, _progress: object, _people: object) -> demo.DemoSummary:
        Place.init(directory, name="Rebuilt").close()
        return demo.DemoSummary(directory)

    monkeypatch.setattr(demo, "_build", build)
    summary = demo.build_demo(tmp_path / "demo", force=True)
    assert summary.directory == (tmp_path / "demo").resolve()
    assert not (tmp_path / "demo" / "old-file").exists()
    _intact(tmp_path / "demo", "Rebuilt")
    _no_leftovers(tmp_path)


def test_a_database_holding_a_place_is_refused_before_anything_is_deleted(
    tmp_path: Path, postgres_url: str
) -> None:
    make_place(tmp_path / "demo").close()
    with pytest.raises(StoreInUseError) as refused:
        demo.build_demo(tmp_path / "demo", force=True)
    assert refused.value.code == "TP306"
    assert postgres_url.rsplit("/", 1)[1] in refused.value.message
    _intact(tmp_path / "demo", "Testshire")
    with pytest.raises(StoreInUseError):
        demo.build_demo(tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere").exists()
    with pytest.raises(StoreInUseError):
        Place.init(tmp_path / "another", name="Another")
    assert not (tmp_path / "another").exists()
    _no_leftovers(tmp_path)
