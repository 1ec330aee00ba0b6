"""Building analytics SQL without pasting values into it.

A value that comes from a request, a file or a person never becomes SQL text: it travels as a named
parameter (``$name`` in DuckDB's dialect, which is also what engines write; sqlglot turns it into Spark's
``:name``) and the backend binds it. An identifier (a column a rule reads, a view's name) is checked against
the names the code knows and quoted by sqlglot; a literal the code itself must write into a view definition
(the path of a batch file) is rendered by sqlglot, which escapes it for the dialect.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Final

from totalplace.errors import BackendError

SqlValue = str | int | float | bool | date | datetime | None
"""What a parameter may hold: a scalar the backends bind natively."""

Params = Mapping[str, SqlValue]
"""Named parameters of a query, ``{"level": "lsoa"}`` for ``$level``."""

_NAME: Final = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SCALARS: Final = (str, int, float, bool, date, datetime)


def check_name(name: str) -> str:
    """``name`` if it is a plain lower-case SQL name (letters, digits, underscores), else a BackendError.

    Used for the names the code gives views, tables and parameters, which must never come from outside.
    """
    if not isinstance(name, str) or _NAME.match(name) is None:
        raise BackendError(f"{name!r} is not a plain SQL name", hint="a defect in the caller; report it")
    return name


def identifier(name: str, allowed: Collection[str]) -> str:
    """The quoted SQL identifier of ``name``, which must be one of ``allowed`` (a defect otherwise)."""
    if name not in allowed:
        raise BackendError(f"{name!r} is not one of the columns this query may use")
    from sqlglot import exp  # here, not at import: the CLI starts without it

    return exp.to_identifier(check_name(name), quoted=True).sql("duckdb")


def literal(value: str | int) -> str:
    """A string or whole-number literal rendered (and escaped) by sqlglot for DuckDB's dialect."""
    from sqlglot import exp

    node = exp.Literal.number(value) if isinstance(value, int) else exp.Literal.string(value)
    return node.sql("duckdb")


def checked_params(params: Params | None) -> dict[str, SqlValue]:
    """The parameters as a plain dict, each name a plain SQL name and each value a bindable scalar."""
    out: dict[str, SqlValue] = {}
    for name, value in (params or {}).items():
        check_name(name)
        if value is not None and not isinstance(value, _SCALARS):
            raise BackendError(f"parameter {name} is a {type(value).__name__}, not a scalar")
        out[name] = value
    return out
