"""Checking ad-hoc SQL before it runs: exactly one read-only SELECT over the place's own views.

``totalplace query`` runs what a person types. sqlglot parses it in DuckDB's dialect and it is refused, with a
coded error and nothing run, unless it is one SELECT (or UNION, INTERSECT, EXCEPT, WITH ... SELECT) that:

- reads only the place's views (``spend``, ``catalog``, ``areas``, the other dataset kinds) or its own CTEs,
  never a schema-qualified table, a quoted file name (``FROM '/etc/passwd'``) or another database (TP412);
- calls no table function (``read_csv``, ``glob``, ``range``) and no function that reads files, settings or
  the environment (``read_text``, ``getenv``, ``current_setting``; on Spark ``reflect``) (TP411);
- is no other statement: COPY, ATTACH, PRAGMA, SET, INSTALL, LOAD, CREATE, EXPORT, CALL... (TP410).

What then runs is the SQL sqlglot generates from the tree it checked, so a difference between two parsers
cannot smuggle a second statement past the check; and it runs on the locked connection
(:mod:`totalplace.backends.duckdb`), which could not open a file other than the place's batches anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from totalplace.errors import QueryFunctionRefusedError, QueryRefusedError, QueryTableRefusedError

PLACE_VIEWS: Final = ("catalog", "areas")
"""Views every backend has besides one per dataset kind (see :mod:`totalplace.backends.base`)."""

# Functions that read files, databases, settings or the environment (DuckDB 2.0 and Spark 4), refused by name.
_REFUSED_FUNCTIONS: Final = frozenset(
    {
        "glob",
        "query",
        "query_table",
        "getenv",
        "current_setting",
        "which_secret",
        "sniff_csv",
        "reflect",
        "try_reflect",
        "java_method",
        "input_file_name",
        "input_file_block_start",
        "input_file_block_length",
        "load_extension",
        "st_read",
    }
)
_REFUSED_PREFIXES: Final = (
    "read_",
    "parquet_",
    "duckdb_",
    "pragma_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "iceberg_",
    "delta_",
)
_REFUSED_SUFFIXES: Final = ("_scan", "_attach")
_QUERIES: Final = (exp.Select, exp.SetOperation)
_STATEMENTS: Final = (
    exp.Command,
    exp.Copy,
    exp.Attach,
    exp.Detach,
    exp.Pragma,
    exp.Set,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Use,
    exp.Describe,
    exp.Summarize,
    exp.Install,
    exp.Export,
)


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed: the SQL to run (sqlglot's, from the checked tree) and the views it reads."""

    sql: str
    views: tuple[str, ...]


@contextmanager
def _quiet() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to an opaque command; the refusal says it better."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def one_query(sql: str, dialect: str = "duckdb") -> exp.Query:
    """The single SELECT (or set operation) ``sql`` holds, or QueryRefusedError (TP410)."""
    try:
        with _quiet():
            trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except SqlglotError as exc:
        raise QueryRefusedError(
            f"the SQL could not be read: {str(exc).splitlines()[0][:200]}",
            hint="write one SELECT over the place's views",
        ) from None
    if len(trees) != 1:
        raise QueryRefusedError(
            f"the SQL holds {len(trees)} statements; exactly one SELECT may run",
            hint="run one SELECT at a time",
        )
    tree = trees[0]
    if not isinstance(tree, _QUERIES) or any(isinstance(n, _STATEMENTS) for n in tree.walk()):
        raise QueryRefusedError(
            f"only a SELECT may run, not {_statement_name(tree)}",
            hint="for anything else an operator uses `totalplace operator sql` (audited)",
        )
    return tree


def _statement_name(tree: exp.Expr) -> str:
    if isinstance(tree, exp.Command):
        return str(tree.this).upper()
    return tree.key.upper()


def function_name(node: exp.Func) -> str:
    """The name a function is called by, lower-case (``read_csv`` for sqlglot's ReadCSV)."""
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def refused_function(name: str) -> bool:
    """True for a function that reads files, other databases, settings or the environment."""
    return (
        name in _REFUSED_FUNCTIONS or name.startswith(_REFUSED_PREFIXES) or name.endswith(_REFUSED_SUFFIXES)
    )


def _check_table(node: exp.Table, readable: set[str], seen: list[str]) -> None:
    if not isinstance(node.this, exp.Identifier):
        name = function_name(node.this) if isinstance(node.this, exp.Func) else node.this.key
        raise QueryFunctionRefusedError(
            f"the table function {name} may not be used here",
            hint="read the place's views: " + ", ".join(sorted(readable)),
        )
    name = node.name.lower()
    if node.args.get("db") or node.args.get("catalog") or name not in readable:
        raise QueryTableRefusedError(
            f"{node.sql('duckdb')} is not one of the place's views",
            hint="read the place's views: " + ", ".join(sorted(readable)),
        )
    seen.append(name)


def check_query(sql: str, views: Collection[str]) -> CheckedQuery:
    """``sql`` checked to be one read-only SELECT over ``views`` (else a coded QueryRefusedError)."""
    tree = one_query(sql)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    readable = {v.lower() for v in views} | ctes
    seen: list[str] = []
    for node in tree.walk():
        if isinstance(node, exp.Select) and node.args.get("into"):
            raise QueryRefusedError("SELECT ... INTO writes a table; only reading is allowed")
        if isinstance(node, exp.Table):
            _check_table(node, readable, seen)
        elif isinstance(node, exp.Func) and refused_function(function_name(node)):
            raise QueryFunctionRefusedError(
                f"the function {function_name(node)} reads files or settings and may not be used",
                hint="compute from the place's views",
            )
    return CheckedQuery(tree.sql(dialect="duckdb"), tuple(dict.fromkeys(v for v in seen if v not in ctes)))
