"""SQL a person types: the read-only query everyone may run, and the operator's audited escape hatch.

``totalplace query`` runs one read-only SELECT over the place's views (checked by
:mod:`totalplace.backends.sandbox`) on the locked connection, and records who ran what and how many rows it
gave. ``totalplace operator sql`` is for an operator who needs more (a COPY out to a folder, several
statements, reading a file to compare): it runs only when confirmed, is recorded before it runs, and DuckDB
lets it read and write only in the folders it names, which may not be the place's own; the place's batch
files stay readable and nothing can write over them.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from totalplace.backends.sandbox import PLACE_VIEWS, check_query
from totalplace.errors import OperatorSqlRefusedError
from totalplace.store import audit

if TYPE_CHECKING:
    from totalplace.place import Place


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


def run_read_only(
    place: Place, sql: str, *, backend: str | None = None, actor: str = "cli"
) -> tuple[pa.Table, int]:
    """Run ``sql`` if it is one read-only SELECT over the place's views; the rows and the audit record's
    sequence number. Refused SQL (QueryRefusedError, TP410-TP412) runs nothing and records nothing."""
    from totalplace.datasets.kinds import ANALYTICS_KINDS

    checked = check_query(sql, [*PLACE_VIEWS, *ANALYTICS_KINDS])
    with place.analytics(backend) as engine:
        result = engine.query(checked.sql)
    with place.begin() as conn:
        record = audit.append(
            conn,
            actor=actor,
            action="query.run",
            object_type="analytics",
            object_id=",".join(checked.views) or "-",
            detail={"sql": sql, "rows": result.num_rows, "os_user": _who()},
        )
    return result, record.seq


@dataclass(frozen=True)
class OperatorRun:
    """What an operator's SQL gave: the last statement's rows (None when it gives none) and its record."""

    table: pa.Table | None
    audit_seq: int
    folders: tuple[str, ...]


def _outside_place(place: Place, folder: Path) -> str:
    """``folder`` resolved, if it is a directory that neither holds nor lies in the place's directory."""
    home, where = place.dir.resolve(), folder.resolve()
    if not where.is_dir():
        raise OperatorSqlRefusedError(f"{folder} is not a folder", hint="--allow an existing folder")
    if where == home or home in where.parents or where in home.parents:
        raise OperatorSqlRefusedError(
            f"{folder} is or holds the place's own folder; its data may not be written by SQL",
            hint="name a folder outside the place",
        )
    return str(where) + "/"


def run_operator_sql(
    place: Place, sql: str, *, allow: list[Path], confirmed: bool, actor: str = "cli"
) -> OperatorRun:
    """Run ``sql`` (any statements) for an operator, recorded in the audit log before it runs.

    DuckDB may read and write only in ``allow`` (never the place's folder) and read the place's batch files;
    its configuration is locked, so no statement can widen that. Without ``confirmed`` nothing happens.
    """
    from totalplace.backends.duckdb import DuckDBBackend

    if not confirmed:
        raise OperatorSqlRefusedError(
            "operator SQL runs only when confirmed", hint="add --confirm; it is recorded in the audit log"
        )
    folders = [_outside_place(place, folder) for folder in allow]
    with place.begin() as conn:
        record = audit.append(
            conn,
            actor=actor,
            action="operator.sql",
            object_type="analytics",
            object_id="operator",
            detail={"sql": sql, "allow": folders, "os_user": _who()},
        )
    engine = DuckDBBackend(place, directories=folders)
    try:
        table = engine.run_script(sql)
    finally:
        engine.close()
    return OperatorRun(table, record.seq, tuple(folders))
