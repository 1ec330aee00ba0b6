"""The same SQL gives the same answer on DuckDB and on Spark (local mode)."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import date

import pytest

from tests.conftest import skip_or_fail
from tests.datasets.files import GOOD_ROWS, HEADER, csv_bytes
from totalplace.backends.safe_sql import SqlValue
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.errors import BackendError, QueryRefusedError
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

QUERY = """
select c.partner, p.supplier, count(*) as lines, sum(p.amount_pence) as pence
from spend p join catalog c on c.batch_id = p.batch_id
where c.status = 'active'
group by c.partner, p.supplier
order by pence desc, p.supplier
"""


def _fill(place: Place) -> None:
    import_file(
        place,
        csv_bytes(HEADER + "\n" + GOOD_ROWS),
        ImportRequest("spend", "Council"),
        principal=OPERATOR,
        source_name="a.csv",
    )
    import_file(
        place,
        csv_bytes(HEADER + "\n" + GOOD_ROWS + "01/05/2024,Acme Care Ltd,5.00,More\n"),
        ImportRequest("spend", "Council"),
        principal=OPERATOR,
        source_name="b.csv",
    )


def test_duckdb_views(sqlite_place: Place) -> None:
    with sqlite_place.analytics("duckdb") as engine:
        assert engine.query("select count(*) as n from spend").to_pylist() == [{"n": 0}]
        assert engine.query("select count(*) as n from areas").to_pylist() == [{"n": 0}]
    _fill(sqlite_place)
    with sqlite_place.analytics("duckdb") as engine:
        rows = engine.query(QUERY).to_pylist()
        assert rows[0] == {"partner": "Council", "supplier": "Acme Care Ltd", "lines": 3, "pence": 247400}
        with pytest.raises(BackendError):
            engine.query("select nonsense from nowhere")


def test_unknown_backend(sqlite_place: Place) -> None:
    with pytest.raises(BackendError):
        sqlite_place.analytics("oracle")


@pytest.mark.spark
def test_spark_gives_the_same_answer(sqlite_place: Place) -> None:
    if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
        skip_or_fail("spark", "pyspark or Java is not installed")
    _fill(sqlite_place)
    with sqlite_place.analytics("duckdb") as duck:
        expected = duck.query(QUERY).to_pylist()
    bound = (
        "select count(*) as n, sum(amount_pence) as pence from spend where supplier = $who and date >= $day"
    )
    values: dict[str, SqlValue] = {"who": "Acme Care Ltd", "day": date(2024, 4, 1)}
    with sqlite_place.analytics("duckdb") as duck:
        expected_bound = duck.query(bound, values).to_pylist()
    with sqlite_place.analytics("spark") as spark:
        assert spark.query(QUERY).to_pylist() == expected
        assert spark.query("select count(*) as n from areas").to_pylist() == [{"n": 0}]
        # values bound by Spark itself (:who), never pasted: a quote in one is just a character
        assert spark.query(bound, values).to_pylist() == expected_bound
        assert spark.query(bound, {**values, "who": "x' OR '1'='1"}).to_pylist()[0]["n"] == 0
        with pytest.raises(QueryRefusedError):
            spark.query("select 1; select 2")
        with pytest.raises(BackendError):  # SQL over a file path is off
            spark.query(f'select * from parquet."{sqlite_place.batches_dir}"')
