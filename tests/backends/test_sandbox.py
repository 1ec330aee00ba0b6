"""The check of ad-hoc SQL: one read-only SELECT over the place's views, everything else refused by code."""

from __future__ import annotations

import pytest

from totalplace.backends.sandbox import PLACE_VIEWS, check_query, one_query
from totalplace.errors import QueryFunctionRefusedError, QueryRefusedError, QueryTableRefusedError

VIEWS = (*PLACE_VIEWS, "spend", "geography")

REFUSED = {
    "TP410": [
        "copy (select 1) to 'x.csv'",
        "copy spend to 'x.csv'",
        "attach 'x.db' as x",
        "detach x",
        "select 1; select 2",
        "select 1; copy (select 1) to 'x.csv'",
        "pragma database_list",
        "set threads = 1",
        "set enable_external_access = true",
        "reset lock_configuration",
        "install httpfs",
        "load httpfs",
        "create table t as select 1",
        "insert into spend values (1)",
        "drop view spend",
        "export database 'x'",
        "call pragma_version()",
        "describe spend",
        "select * into t from spend",
        "",
        "select (",
    ],
    "TP411": [
        "select * from read_csv('/etc/passwd')",
        "select * from read_csv_auto('/etc/passwd')",
        "select content from read_text('secret.key')",
        "select read_text('x')",
        "select * from read_parquet('x.parquet')",
        "select * from glob('*')",
        "select * from range(10)",
        "select * from query('select 1')",
        "select * from sniff_csv('x')",
        "select getenv('HOME')",
        "select current_setting('allowed_paths')",
        "select * from spend where supplier in (select content from read_text('secret.key'))",
        "with x as (select * from read_json('x.json')) select * from x",
        "select * from duckdb_settings()",
        "select * from sqlite_scan('x.db', 't')",
        "select reflect('java.lang.System', 'getenv', 'HOME')",
    ],
    "TP412": [
        "select * from '/etc/passwd'",
        'select * from "/etc/passwd"',
        "select * from 'x.csv'",
        "select * from main.spend",
        "select * from other.main.spend",
        "select * from _empty_spend",
        "select * from information_schema.tables",
        "select * from duckdb_tables",
        "select * from spend join secrets on true",
    ],
}


@pytest.mark.parametrize(("code", "sql"), [(c, s) for c, sqls in REFUSED.items() for s in sqls])
def test_refused_with_a_code(code: str, sql: str) -> None:
    with pytest.raises(QueryRefusedError) as refused:
        check_query(sql, VIEWS)
    assert refused.value.code == code, refused.value.message


@pytest.mark.parametrize(
    "sql",
    [
        "select supplier, sum(amount_pence) as pence from spend group by 1 order by 2 desc limit 10",
        "from spend",
        "with big as (select * from spend where amount_pence > 100) select count(*) from big",
        "select code from areas union all select code from geography",
        "select c.partner, count(*) from spend s join catalog c using (batch_id) group by all",
        "select upper(supplier), regexp_matches(description, 'care', 'i') from spend",
        "select * from spend, unnest([1, 2])",
        "SELECT * FROM SPEND",
    ],
)
def test_ordinary_selects_pass_unchanged_in_meaning(sql: str) -> None:
    checked = check_query(sql, VIEWS)
    assert one_query(checked.sql).sql("duckdb") == checked.sql  # what runs is what was checked
    assert set(checked.views) <= set(VIEWS)


def test_function_and_table_errors_are_query_refusals() -> None:
    assert issubclass(QueryFunctionRefusedError, QueryRefusedError)
    assert issubclass(QueryTableRefusedError, QueryRefusedError)
    assert check_query("with spend as (select 1 as a) select a from spend", VIEWS).views == ()
