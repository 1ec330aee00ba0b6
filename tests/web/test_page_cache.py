"""The page cache (one computation per key, bounded), the data version it is keyed by, and kept charts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from totalplace.place import Place
from totalplace.reports.charts import bar_chart
from totalplace.store import audit
from totalplace.store.partners import add_partner
from totalplace.web.cache import PageCache
from totalplace.web.versions import catalog_signature, data_seq, files_signature


def test_a_value_asked_for_by_many_threads_at_once_is_computed_once() -> None:
    cache = PageCache()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        started.set()
        release.wait(timeout=30)
        return "page"

    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(cache.get, "key", compute)
        assert started.wait(timeout=30)
        waiting = [pool.submit(cache.get, "key", compute) for _ in range(5)]
        release.set()
        assert {f.result() for f in [first, *waiting]} == {"page"}
    assert len(calls) == 1 and cache.misses == 1 and cache.hits == 5


def test_a_failed_computation_is_not_kept_and_the_cache_stays_bounded() -> None:
    cache = PageCache(entries=3, body_bytes=10)

    def fail() -> str:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        cache.get("k", fail)
    assert cache.get("k", lambda: "now") == "now"
    for i in range(5):
        cache.get(i, lambda i=i: i)  # type: ignore[misc]
    assert len(cache) == 3 and cache.get(0, lambda: "again") == "again"  # the oldest went first
    cache.get("body", lambda: b"0123456789A")  # alone bigger than the bound: not kept, nothing pushed out
    assert len(cache) == 3 and cache.get("body", lambda: b"new") == b"new"


def test_a_switched_off_cache_computes_every_time() -> None:
    cache = PageCache(enabled=False)
    assert [cache.get("k", lambda n=n: n) for n in range(3)] == [0, 1, 2]  # type: ignore[misc]


def test_the_data_version_moves_with_changes_not_with_logins_and_reads(sqlite_place: Place) -> None:
    with sqlite_place.read() as conn:
        before, catalog = data_seq(conn), catalog_signature(conn)
    with sqlite_place.begin() as conn:
        for action in ("login", "login.failed", "audit.read", "batch.export", "logout"):
            audit.append(conn, actor="u", action=action, object_type="session", object_id="web")
    with sqlite_place.read() as conn:
        assert data_seq(conn) == before
    with sqlite_place.begin() as conn:
        add_partner(conn, name="Fire", kind="fire", code=None, actor="t")
    with sqlite_place.read() as conn:
        assert data_seq(conn) > before
        assert catalog_signature(conn) == catalog  # no batch and no area changed


def test_the_place_files_signature_sees_rules_and_models_not_the_store_or_keys(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "data" / "batches").mkdir(parents=True)
    (tmp_path / "keys").mkdir()
    rules = tmp_path / "rules" / "ours.yaml"
    rules.write_text("rules: []\n")
    first = files_signature(tmp_path)
    assert [name for name, _, _ in first] == ["rules/ours.yaml"]
    for noise in ("store.sqlite", "store.sqlite-wal", "secret.key", "audit.anchor", "keys/audit-1.key"):
        (tmp_path / noise).write_text("x")
    (tmp_path / "data" / "batches" / "1.parquet").write_text("x")
    assert files_signature(tmp_path) == first
    rules.write_text("rules: [changed]\n")
    assert files_signature(tmp_path) != first
    (tmp_path / "cba").mkdir()
    (tmp_path / "cba" / "model.yaml").write_text("name: m\n")
    assert "cba/model.yaml" in [name for name, _, _ in files_signature(tmp_path)]


def test_a_chart_is_drawn_once_for_the_same_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"scheme": "a", "pounds": 3}, {"scheme": "b", "pounds": 5}]
    drawn = bar_chart(rows, category="scheme", value="pounds", title="T", value_title="£")
    assert bar_chart(list(rows), category="scheme", value="pounds", title="T", value_title="£") is drawn
    other = bar_chart(rows[:1], category="scheme", value="pounds", title="T", value_title="£")
    assert other is not drawn and "<svg" in other.svg
    monkeypatch.setenv("TOTALPLACE_WEB_CACHE", "0")
    assert bar_chart(rows, category="scheme", value="pounds", title="T", value_title="£") is not drawn
