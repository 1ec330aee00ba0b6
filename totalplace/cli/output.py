"""How the CLI prints: rich tables for people, one JSON document for programs (``--json``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from totalplace.errors import InputRefusedError, QueryRefusedError, SandboxRefusedError, TotalplaceError
from totalplace.reports.table import TableView

console = Console()
err_console = Console(stderr=True)


@dataclass
class Output:
    """Where a command's result goes."""

    as_json: bool

    def emit(self, data: Any, render: Callable[[], None] | None = None) -> None:
        """Print ``data`` as JSON, or call ``render`` to show it to a person."""
        if self.as_json or render is None:
            click.echo(json.dumps(data, indent=2, default=_json_default, ensure_ascii=False))
        else:
            render()

    @contextmanager
    def progress(self, description: str) -> Iterator[Callable[[str], None]]:
        """A spinner naming the current stage of long work (silent under --json)."""
        if self.as_json or not sys.stderr.isatty():
            yield lambda _stage: None
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn  # only when shown

        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task(description)
            yield lambda stage: bar.update(task, description=f"{description}: {stage}")

    @contextmanager
    def counting(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        """A bar of ``total`` things done (rows written), told how many are done so far (silent under
        --json or when standard error is not a terminal)."""
        if self.as_json or not sys.stderr.isatty():
            yield lambda _done: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda done: bar.update(task, completed=done)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        # DuckDB sums of BIGINT pence come back as DECIMAL(38,0): whole numbers stay numbers, exactly.
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "__dict__"):
        return value.__dict__
    raise TypeError(f"cannot show {type(value).__name__} as JSON")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a table for a person."""
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    console.print(out)


def print_tables(tables: Sequence[TableView], headline: str | None = None) -> None:
    """Print a view's headline and tables as the view formatted them (see :mod:`totalplace.reports.table`)."""
    if headline:
        console.print(headline)
    for view in tables:
        out = Table(title=view.title, title_justify="left")
        for column in view.columns:
            out.add_column(column.header, justify=column.justify, overflow="fold")
        for row in view.rows:
            out.add_row(*row)
        console.print(out)
        if view.note:
            console.print(view.note)


def report_error(error: TotalplaceError, as_json: bool) -> int:
    """Show an error and return the exit code: 2 for refused input (a file, an agreement, a model, a YAML
    or JSON document: any :class:`InputRefusedError`, shown with its problems) and refused SQL, else 1."""
    if as_json:
        click.echo(json.dumps({"error": error.to_dict()}, indent=2, ensure_ascii=False))
    else:
        err_console.print(f"[bold red]error {error.code}[/]: {error.message}")
        if isinstance(error, InputRefusedError):
            _print_problems(error)
        if error.hint:
            err_console.print(f"[yellow]what to do[/]: {error.hint}")
    return 2 if isinstance(error, InputRefusedError | QueryRefusedError | SandboxRefusedError) else 1


_MOST_PROBLEMS_SHOWN = 200


def _print_problems(error: InputRefusedError) -> None:
    where, what = error.place_headers
    problems = Table(where, what, "code", "value", "problem", title=error.file, title_justify="left")
    for p in error.problems[:_MOST_PROBLEMS_SHOWN]:
        problems.add_row(str(p.row), p.column, p.code, p.value, p.message)
    err_console.print(problems)
    if len(error.problems) > _MOST_PROBLEMS_SHOWN:
        err_console.print(f"… and {len(error.problems) - _MOST_PROBLEMS_SHOWN} more (use --json for all)")
