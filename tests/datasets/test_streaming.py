"""Large plain CSV files are imported block by block, and store exactly what the row-by-row path would."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.datasets.test_fastpath import CLEAN, HEADER, TRICKY
from totalplace.datasets import importer, streaming
from totalplace.datasets.importer import ImportRequest, import_file, parse_file
from totalplace.datasets.limits import ImportLimits
from totalplace.errors import ImportRejectedError
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.catalog import list_batches

FILL = "01/04/2024,Filler Ltd,1.00,f\n"
# Every case that has the plain header, with 300 ordinary rows put in after it: several blocks of 1 KB.
CASES = {
    name: text.replace(HEADER, HEADER + FILL * 300, 1)
    for name, text in {**CLEAN, **TRICKY}.items()
    if HEADER in text
}
STREAM = replace(ImportLimits.from_settings(), stream_from_bytes=1)


@pytest.fixture(autouse=True)
def streamed(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Small blocks, and a record of whether each import was streamed to the end."""
    monkeypatch.setattr(streaming, "BLOCK", 1024)
    outcomes: list[bool] = []
    real = streaming.stream_clean_spend

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        outcomes.append(result is not None)
        return result

    monkeypatch.setattr(importer, "stream_clean_spend", spy)
    return outcomes


def _exact(data: bytes) -> Any:
    try:
        return parse_file(data, "f.csv", ImportRequest("spend", "Council"), STREAM, fast=False).arrow
    except ImportRejectedError as error:
        return [p.to_dict() for p in error.problems]


@pytest.mark.parametrize("name", sorted(CASES))
def test_streamed_import_stores_what_the_exact_path_would(
    name: str, sqlite_place: Place, tmp_path: Path, streamed: list[bool]
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(CASES[name].encode("utf-8"))
    expected = _exact(path.read_bytes())
    if isinstance(expected, list):  # the exact path refuses it: so must the streamed import, the same way
        with pytest.raises(ImportRejectedError) as caught:
            import_file(
                sqlite_place, path, ImportRequest("spend", "Council"), principal=OPERATOR, limits=STREAM
            )
        assert [p.to_dict() for p in caught.value.problems] == expected
        assert list(sqlite_place.batches_dir.iterdir()) == []  # nothing half-written is left
        return
    result = import_file(
        sqlite_place, path, ImportRequest("spend", "Council"), principal=OPERATOR, limits=STREAM
    )
    stored = pq.read_table(sqlite_place.batches_dir / result.batch.parquet_path)
    assert stored.equals(expected)
    assert result.batch.row_count == stored.num_rows
    assert result.batch.totals == {"amount_pence": sum(stored.column("amount_pence").to_pylist())}
    assert streamed == [
        name in CLEAN
    ]  # clean files stream to the end; tricky ones fall back to the exact path
    again = import_file(
        sqlite_place, path, ImportRequest("spend", "Council"), principal=OPERATOR, limits=STREAM
    )
    assert again.status == "unchanged"


def test_a_bad_cell_in_a_late_block_is_reported_with_its_row(sqlite_place: Place, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text(HEADER + FILL * 500 + "01/04/2024,Acme,twelve,x\n" + FILL * 10)
    with pytest.raises(ImportRejectedError) as caught:
        import_file(sqlite_place, path, ImportRequest("spend", "Council"), principal=OPERATOR, limits=STREAM)
    problem = caught.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (502, "Amount", "twelve")
    assert list(sqlite_place.batches_dir.iterdir()) == []
    with sqlite_place.read() as conn:
        assert list_batches(conn) == []


def test_the_scan_sees_blank_lines_and_quotes_across_chunk_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "CHUNK", 4)
    path = tmp_path / "f.csv"
    path.write_bytes(b'abc\n\ndef"')  # the blank line straddles the first chunk's end
    found = streaming.scan(path)
    assert found.last_blank_line == 3 and found.has_quote and found.size == 9


@pytest.mark.parametrize("stream_from", [1, 1 << 30])
def test_the_row_limit_holds_on_every_path(stream_from: int, sqlite_place: Place, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(HEADER + FILL * 50)
    limits = replace(STREAM, stream_from_bytes=stream_from, max_rows=10)
    with pytest.raises(ImportRejectedError) as caught:
        import_file(sqlite_place, path, ImportRequest("spend", "Council"), principal=OPERATOR, limits=limits)
    assert caught.value.problems[0].code == "TP517"
    assert list(sqlite_place.batches_dir.iterdir()) == []
