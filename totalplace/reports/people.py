"""What a person reads about linkage: the commands' tables, and the people page with its charts.

Every figure here is a count, a probability or a model parameter: no record, pseudonym or identifier is shown
(an analyst reads this page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import altair as alt

from totalplace.reports.charts import RenderedChart, kept, render
from totalplace.reports.command import CommandView
from totalplace.reports.table import Column, TableView

if TYPE_CHECKING:
    from totalplace.engines.people.accuracy import Scores
    from totalplace.engines.people.evaluate import Evaluation
    from totalplace.engines.people.people import Bin, LinkSummary, MatchWeight
    from totalplace.engines.people.runs import TrainedModel
    from totalplace.store.people import LinkRunRow

_R: Final = "right"
_MEASURES: Final = ("P", "R", "F1")


def _weights_table(weights: Sequence[MatchWeight]) -> TableView:
    rows = [
        (w.comparison, w.level, _prob(w.m), _prob(w.u), "" if w.weight is None else f"{w.weight:+.2f}")
        for w in weights
    ]
    heads = ("Comparison", "Level", Column("m", _R), Column("u", _R), Column("Match weight", _R))
    note = "match weight = log2(m/u): how much a level moves the odds that two records are one person"
    return TableView.of("Model parameters", heads, rows, note=note)


def _prob(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _run_table(run: LinkRunRow) -> TableView:
    ids, homes = run.detail.get("people_ids", {}), run.detail.get("household_ids", {})
    rows = [
        ("Run", f"{run.id} on {run.run_at[:16].replace('T', ' ')} UTC by {run.run_by}"),
        ("Model version", str(run.model_version)),
        ("Threshold", f"{run.threshold:g}"),
        ("Records", f"{run.records:,}"),
        ("Links", f"{run.links:,}"),
        ("People", f"{run.people:,} ({ids.get('kept', 0):,} kept their id, {ids.get('new', 0):,} new)"),
        ("People merged into another", f"{len(ids.get('merged', [])):,}"),
        ("Households", f"{run.households:,} ({homes.get('new', 0):,} new)"),
        ("Time", f"{run.seconds:.1f} s ({run.backend})"),
    ]
    return TableView.of(f"Linkage of {run.purpose}", ("", ""), rows)


def _bins_table(bins: Sequence[Bin]) -> TableView:
    rows = [(f"{b.low:.1f}-{b.high:.1f}", f"{b.count:,}") for b in bins]
    return TableView.of("Links by match probability", ("Probability", Column("Links", _R)), rows)


def train_view(model: TrainedModel) -> CommandView:
    """``link train``."""
    headline = (
        f"Trained the {model.purpose} linkage model on {model.records:,} records in {model.seconds:.1f} s: "
        f"version {model.version}."
    )
    return CommandView(model.to_dict(), headline, (_weights_table(model.weights),))


def run_view(run: LinkRunRow) -> CommandView:
    """``link run``."""
    headline = f"Linked {run.records:,} records into {run.people:,} people and {run.households:,} households."
    return CommandView(run.to_dict(), headline, (_run_table(run),))


def show_view(shown: LinkSummary) -> CommandView:
    """``link show``."""
    tables: list[TableView] = []
    if shown.run is not None:
        tables += [_run_table(shown.run), _bins_table(shown.link_probabilities)]
    if shown.weights:
        tables.append(_weights_table(shown.weights))
    if shown.model_version is None:
        headline = f"No linkage model has been trained for {shown.purpose} yet."
    elif shown.run is None:
        headline = f"Model version {shown.model_version} for {shown.purpose}; not run yet."
    else:
        headline = f"{shown.purpose}: {shown.run.people:,} people in {shown.run.households:,} households."
    return CommandView(shown.to_dict(), headline, tuple(tables))


def _scores_row(threshold: float, s: Scores) -> tuple[str, ...]:
    return (
        f"{threshold:g}",
        f"{s.precision:.4f}",
        f"{s.recall:.4f}",
        f"{s.f1:.4f}",
        f"{s.true_positives:,}",
    )


def evaluate_view(result: Evaluation) -> CommandView:
    """``link evaluate``."""
    heads = (
        "Threshold",
        Column("Precision", _R),
        Column("Recall", _R),
        Column("F1", _R),
        Column("Right", _R),
    )
    at = TableView.of(
        "At the chosen threshold",
        ("Measure", *heads),
        [
            ("pairs", *_scores_row(result.at.threshold, result.at.pairs)),
            ("clusters", *_scores_row(result.at.threshold, result.at.clusters)),
        ],
    )
    rows = [
        (
            f"{p.threshold:g}",
            *_scores_row(p.threshold, p.pairs)[1:4],
            *_scores_row(p.threshold, p.clusters)[1:4],
        )
        for p in result.curve.points
    ]
    by_heads: list[str | Column] = ["Threshold"]
    by_heads += [Column(f"{kind} {m}", _R) for kind in ("Pair", "Cluster") for m in _MEASURES]
    note = "P precision, R recall"
    by = TableView.of("By threshold", by_heads, rows, note=note)
    headline = (
        f"Model version {result.model_version} for {result.purpose} against {result.labels} "
        f"({result.labelled:,} of {result.records:,} records labelled): pair F1 {result.at.pairs.f1:.4f}, "
        f"cluster F1 {result.at.clusters.f1:.4f}."
    )
    return CommandView(result.to_dict(), headline, (at, by))


@kept
def probability_chart(rows: list[dict[str, Any]], *, title: str) -> RenderedChart:
    """Links by match probability, in bins from 0 to 1."""
    chart = (
        alt.Chart(alt.Data(values=rows))  # type: ignore[no-untyped-call]
        .mark_bar(color="#1d6fa5")
        .encode(
            x=alt.X("low:Q", bin="binned", title="match probability", scale=alt.Scale(domain=[0, 1])),
            x2="high:Q",
            y=alt.Y("count:Q", title="links"),
            tooltip=[alt.Tooltip("low:Q"), alt.Tooltip("count:Q", format=",")],
        )
        .properties(width=420, height=180, title=title)
    )
    return render(chart, title)


@kept
def weights_chart(rows: list[dict[str, Any]], *, title: str) -> RenderedChart:
    """Each comparison level's match weight, for and against a match."""
    chart = (
        alt.Chart(alt.Data(values=rows))  # type: ignore[no-untyped-call]
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=None, title=None),
            x=alt.X("weight:Q", title="match weight (log2 m/u)"),
            color=alt.condition("datum.weight > 0", alt.value("#1d6fa5"), alt.value("#c0392b")),
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip("weight:Q", format="+.2f")],
        )
        .properties(width=420, height=max(60, 16 * len(rows)), title=title)
    )
    return render(chart, title)


@dataclass(frozen=True)
class PeoplePage:
    """The people page: each readable purpose's linkage, and whether the user may train and run it."""

    purposes: tuple[dict[str, Any], ...]
    can_link: tuple[str, ...]
    choices: tuple[str, ...]
    charts: dict[str, RenderedChart] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The page's data and its JSON twin."""
        return {
            "purposes": list(self.purposes),
            "can_link": list(self.can_link),
            "choices": list(self.choices),
        }


def _purpose(shown: LinkSummary) -> dict[str, Any]:
    document = shown.to_dict()
    document["runs"] = document["runs"][:10]
    document["headline"] = show_view(shown).headline
    return document


def people_page(shown: Sequence[LinkSummary], can_link: Sequence[str], choices: Sequence[str]) -> PeoplePage:
    """The page over the summaries of the purposes the user may read; ``can_link``: those it may run."""
    charts: dict[str, RenderedChart] = {}
    for s in shown:
        if s.link_probabilities:
            rows = [b.to_dict() for b in s.link_probabilities]
            charts[f"probabilities-{s.purpose}"] = probability_chart(rows, title="Links by match probability")
        weighted = [w for w in s.weights if w.weight is not None]
        if weighted:
            rows = [{"label": f"{w.comparison}: {w.level}", "weight": w.weight} for w in weighted]
            charts[f"weights-{s.purpose}"] = weights_chart(rows, title="Match weights of the model")
    return PeoplePage(tuple(_purpose(s) for s in shown), tuple(can_link), tuple(choices), charts)
