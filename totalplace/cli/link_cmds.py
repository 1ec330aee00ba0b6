"""The link commands: train a purpose's linkage model, run it into people and households, evaluate, show."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, print_tables
from totalplace.governance.roles import OPERATOR

if TYPE_CHECKING:
    from totalplace.place import Place
    from totalplace.reports.command import CommandView

_PURPOSE = click.option(
    "--purpose", required=True, help="The purpose the records were shared for (planning, direct_care...)."
)
_BACKEND = click.option(
    "--backend",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Splink's backend: DuckDB, or Spark local mode (install totalplace[spark]).",
)
_THRESHOLD = click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=None,
    help="The match probability at or above which two records are linked (default: the linkage core's, 0.8).",
)


def _print(out: Output, view: CommandView) -> None:
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@click.group("link")
def link_group() -> None:
    """Link partners' records about people into people and households with Splink."""


@link_group.command("train")
@_PURPOSE
@_BACKEND
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed trains the same model.")
@with_place
def link_train(place: Place, out: Output, purpose: str, backend: str, seed: int) -> None:
    """Train the purpose's model without labels (u by random sampling, m by EM) and keep it as a version."""
    from totalplace.engines.people.runs import train_model
    from totalplace.reports.people import train_view

    with out.progress(f"training the {purpose} model") as say:
        model = train_model(place, OPERATOR, purpose, backend=backend, seed=seed, progress=say)
    _print(out, train_view(model))


@link_group.command("run")
@_PURPOSE
@_THRESHOLD
@_BACKEND
@with_place
def link_run(place: Place, out: Output, purpose: str, threshold: float | None, backend: str) -> None:
    """Link the purpose's records into people and households; people keep their ids from the last run."""
    from totalplace.engines.people.runs import DEFAULT_THRESHOLD, run_linkage
    from totalplace.reports.people import run_view

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    with out.progress(f"linking {purpose}") as say:
        run = run_linkage(place, OPERATOR, purpose, threshold=threshold, backend=backend, progress=say)
    _print(out, run_view(run))


@link_group.command("evaluate")
@_PURPOSE
@click.option("--labels", required=True, help="The column of true person ids (in the labels file, if given).")
@click.option(
    "--labels-file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="A CSV or parquet file with record_id and the labels column (else the records' own column).",
)
@_THRESHOLD
@_BACKEND
@with_place
def link_evaluate(
    place: Place,
    out: Output,
    purpose: str,
    labels: str,
    labels_file: Path | None,
    threshold: float | None,
    backend: str,
) -> None:
    """Precision, recall and F1 of pairs and clusters at the threshold, and of pairs by threshold."""
    from totalplace.engines.people.evaluate import evaluate_linkage
    from totalplace.engines.people.runs import DEFAULT_THRESHOLD
    from totalplace.reports.people import evaluate_view

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    with out.progress(f"evaluating the {purpose} model") as say:
        say("predicting links")
        result = evaluate_linkage(
            place,
            OPERATOR,
            purpose,
            labels=labels,
            labels_file=labels_file,
            threshold=threshold,
            backend=backend,
        )
    _print(out, evaluate_view(result))


@link_group.command("show")
@_PURPOSE
@with_place
def link_show(place: Place, out: Output, purpose: str) -> None:
    """The latest run, its counts and match-probability distribution, and the model's parameters."""
    from totalplace.engines.people.people import summary
    from totalplace.reports.people import show_view

    _print(out, show_view(summary(place, OPERATOR, purpose)))


@link_group.command("viewer")
@_PURPOSE
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The HTML file to write (Splink's comparison viewer; it loads nothing from the internet).",
)
@_THRESHOLD
@_BACKEND
@with_place
def link_viewer(
    place: Place, out: Output, purpose: str, out_path: Path, threshold: float | None, backend: str
) -> None:
    """Write Splink's comparison viewer of the model: each pattern of agreement, its weight, examples."""
    from totalplace.engines.people.runs import DEFAULT_THRESHOLD
    from totalplace.engines.people.viewer import comparison_viewer

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    with out.progress(f"drawing the {purpose} comparison viewer") as say:
        say("predicting links")
        html = comparison_viewer(place, OPERATOR, purpose, threshold=threshold, backend=backend)
    out_path.write_text(html, encoding="utf-8")
    out.emit(
        {"purpose": purpose, "file": str(out_path), "bytes": len(html.encode())},
        lambda: click.echo(f"Wrote the comparison viewer of {purpose} to {out_path} (it works offline)."),
    )
