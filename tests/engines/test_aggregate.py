"""The place's own records counted into observations by area, period by period, and benchmarked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines.segment_support import add_oas, oa_code
from totalplace.engines.outcomes.aggregate import aggregate_records
from totalplace.engines.outcomes.benchmark import benchmark
from totalplace.errors import ImportRejectedError, InvalidInputError
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place


def _records(tmp_path: Path, name: str, rows: list[tuple[str, str, int]]) -> Path:
    path = tmp_path / name
    path.write_text(
        "case,oa,type,people\n" + "".join(f"c{i},{a},{t},{n}\n" for i, (a, t, n) in enumerate(rows))
    )
    return path


def test_records_become_observations_period_by_period(sqlite_place: Place, tmp_path: Path) -> None:
    add_oas(sqlite_place, tmp_path, 4)  # populations 300, 301, 302, 303
    first = _records(
        tmp_path,
        "2023.csv",
        [(oa_code(0), "burglary", 1), (oa_code(0), "burglary", 1), (oa_code(2), "theft", 1)],
    )
    result, info = aggregate_records(
        sqlite_place,
        first,
        principal=OPERATOR,
        indicator="CR1",
        title="Burglaries",
        period="2023/24",
        level="oa",
        area_column="oa",
        where=("type", "burglary"),
    )
    assert info.records == 2 and info.total == 2 and result.batch.row_count == 5  # four areas and the place
    second = _records(tmp_path, "2024.csv", [(oa_code(1), "burglary", 1)])
    aggregate_records(
        sqlite_place,
        second,
        principal=OPERATOR,
        indicator="CR1",
        title="Burglaries",
        period="2024/25",
        level="oa",
        area_column="oa",
        where=("type", "burglary"),
    )
    rows = benchmark(sqlite_place, areas=[oa_code(0), "E06000001"]).rows()
    got = {(r.area_code, r.period): (r.count, r.denominator) for r in rows}
    assert got[(oa_code(0), "2023/24")] == (2, 300) and got[(oa_code(0), "2024/25")] == (0, 300)
    assert got[("E06000001", "2023/24")] == (2, 1206), (
        "both periods are kept; neither batch replaces the other"
    )
    summed = aggregate_records(
        sqlite_place,
        first,
        principal=OPERATOR,
        indicator="PE1",
        title="People",
        period="2023/24",
        level="oa",
        area_column="oa",
        count_column="people",
    )[1]
    assert summed.total == 3


def test_unknown_areas_and_bad_counts_are_refused(sqlite_place: Place, tmp_path: Path) -> None:
    add_oas(sqlite_place, tmp_path, 2)
    bad = _records(tmp_path, "bad.csv", [(oa_code(0), "x", 1), ("E00999999", "x", 1)])
    bad.write_text(bad.read_text().replace(",x,1\n", ",x,lots\n", 1))
    with pytest.raises(ImportRejectedError) as refused:
        aggregate_records(
            sqlite_place,
            bad,
            principal=OPERATOR,
            indicator="A",
            title="A",
            period="2024",
            level="oa",
            area_column="oa",
            count_column="people",
        )
    assert {(p.code, p.row) for p in refused.value.problems} == {("TP540", 2), ("TP541", 3)}
    with pytest.raises(InvalidInputError):
        aggregate_records(
            sqlite_place,
            bad,
            principal=OPERATOR,
            indicator="A",
            title="A",
            period="soon",
            level="oa",
            area_column="oa",
        )
    with pytest.raises(ImportRejectedError):
        aggregate_records(
            sqlite_place,
            bad,
            principal=OPERATOR,
            indicator="A",
            title="A",
            period="2024",
            level="oa",
            area_column="lsoa",
        )
