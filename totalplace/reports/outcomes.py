"""What a person reads of the outcomes engine: the pages' data (each view's ``to_dict()`` is the page's JSON
twin), their charts, the exception letter as a document, and the CLI's tables.

Every view is built from an engine result and nothing else, so the page, its twin, the PDF and the CLI table
show the same figures in the same words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from totalplace.engines.outcomes import stats
from totalplace.reports.render import render_html
from totalplace.reports.table import Column, TableView

if TYPE_CHECKING:  # the engines' results are only named here; importing them loads PyArrow
    from totalplace.engines.outcomes.aggregate import Aggregated
    from totalplace.engines.outcomes.benchmark import BenchmarkResult, BenchmarkRow
    from totalplace.engines.outcomes.cohorts import CohortReport
    from totalplace.engines.outcomes.comparators import Neighbour
    from totalplace.engines.outcomes.framework import Framework
    from totalplace.engines.outcomes.funnel import Funnel
    from totalplace.engines.outcomes.indicator import IndicatorReport
    from totalplace.engines.outcomes.inequality import InequalityResult
    from totalplace.engines.outcomes.letters import Letter
    from totalplace.engines.outcomes.published import PublishedCounts
    from totalplace.engines.outcomes.spine import OutcomeStatus, Spine
    from totalplace.reports.charts import RenderedChart

# ---- the exception letter -------------------------------------------------------------------------------


def letter_html(letter: Letter, place_name: str) -> str:
    """The letter, standalone, for printing or PDF (:func:`totalplace.reports.render.to_pdf`)."""
    return render_html("letter.html", letter=letter, c=letter.content, place_name=place_name)


@dataclass(frozen=True, slots=True)
class LetterView:
    """One letter: its record, the letter itself as HTML, and whether the reader may record its answer."""

    letter: Letter
    html: str
    can_answer: bool

    @property
    def headline(self) -> str:
        """The letter in one line."""
        x = self.letter
        return (
            f"Letter {x.id} to {x.addressee}: {x.content.indicator.title} {x.content.side} its band in "
            f"{x.period}; {x.status}" + (f", remedy by {x.remedy_by}" if x.remedy_by else "")
        )

    def to_dict(self) -> dict[str, Any]:
        """The page's data."""
        return {"letter": self.letter.to_dict(), "html": self.html, "can_answer": self.can_answer}


def letter_view(letter: Letter, place_name: str, *, can_answer: bool = False) -> LetterView:
    """The view of one letter."""
    return LetterView(letter, letter_html(letter, place_name), can_answer)


@dataclass(frozen=True, slots=True)
class LettersView:
    """Every letter, open ones first, and those just drafted."""

    letters: list[Letter]
    drafted: list[Letter]
    can_draft: bool

    @property
    def headline(self) -> str:
        """Nothing above the table."""
        return ""

    @property
    def tables(self) -> tuple[TableView, ...]:
        """The letters as the CLI lists them."""
        rows = [
            (
                x.id,
                x.content.indicator.title,
                x.period,
                f"{x.content.latest.value:,.1f}",
                f"{x.content.band.lower} to {x.content.band.upper}",
                x.addressee,
                x.status,
                x.remedy_by or "",
            )
            for x in self.letters
        ]
        columns = ("id", "indicator", "period", "value", "band", "to", "status", "remedy by")
        return (TableView.of(f"Exception letters ({len(self.drafted)} new)", columns, rows),)

    def to_dict(self) -> dict[str, Any]:
        """The letters page's data."""
        return {"letters": [x.to_dict() for x in self.letters], "can_draft": self.can_draft}

    def cli_dict(self) -> dict[str, Any]:
        """What ``outcomes letters --json`` prints: the ids just drafted and every letter."""
        return {"drafted": [x.id for x in self.drafted], "letters": [x.to_dict() for x in self.letters]}


def letters_view(
    letters: list[Letter], *, drafted: Sequence[Letter] = (), can_draft: bool = False
) -> LettersView:
    """The view of the letters."""
    return LettersView(list(letters), list(drafted), can_draft)


# ---- the framework ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomesView:
    """The framework as a tree with each indicator's status, and how many letters are open."""

    framework: Framework | None
    outcomes: list[OutcomeStatus]
    open_letters: int
    can_edit: bool

    def to_dict(self) -> dict[str, Any]:
        """The outcomes page's data."""
        framework = self.framework
        return {
            "framework": None if framework is None else {"name": framework.name, "title": framework.title},
            "outcomes": [o.to_dict() for o in self.outcomes],
            "open_letters": self.open_letters,
            "can_edit": self.can_edit,
        }


def outcomes_view(
    framework: Framework | None, outcomes: list[OutcomeStatus], letters: Sequence[Letter], *, can_edit: bool
) -> OutcomesView:
    """The view of the framework tree."""
    return OutcomesView(framework, outcomes, sum(x.status != "answered" for x in letters), can_edit)


@dataclass(frozen=True, slots=True)
class FrameworkView:
    """The framework in force, as ``outcomes framework show`` prints it."""

    framework: Framework

    @property
    def headline(self) -> str:
        """Nothing above the table."""
        return ""

    @property
    def tables(self) -> tuple[TableView, ...]:
        """Every indicator with its outcome, polarity, type, interval method, band and owner."""
        rows = [
            (
                o.title,
                f"{i.id} {i.title}",
                i.polarity,
                i.value_type,
                i.interval_method().name,
                "" if i.tolerance is None else f"{i.tolerance.lower} to {i.tolerance.upper}",
                i.owner or "",
            )
            for o in self.framework.outcomes
            for i in o.indicators
        ]
        columns = ("outcome", "indicator", "polarity", "type", "intervals", "tolerance", "owner")
        return (TableView.of(self.framework.title, columns, rows),)

    def to_dict(self) -> dict[str, Any]:
        """The framework as JSON."""
        return self.framework.model_dump(mode="json")


def framework_saved_headline(framework: Framework) -> str:
    """What ``outcomes framework set`` says of the framework put in force."""
    return f"{framework.title}: {len(framework.outcomes)} outcomes, {len(framework.indicators())} indicators"


# ---- one indicator ----------------------------------------------------------------------------------------


def _interval_rows(rows: Sequence[BenchmarkRow]) -> list[dict[str, Any]]:
    return [
        {
            "period": r.period,
            "value": r.value,
            "lower": r.lower95,
            "upper": r.upper95,
            "benchmark": r.benchmark,
        }
        for r in rows
        if r.value is not None
    ]


def inequality_chart(found: InequalityResult) -> RenderedChart:
    """The gradient's deciles with their 95% intervals, most deprived first."""
    from totalplace.reports.charts import interval_chart  # Altair: only when drawing

    return interval_chart(
        [
            {"period": f"{q.rank:02d}", "value": q.value, "lower": q.lower95, "upper": q.upper95}
            for q in found.quantiles
        ],
        title=f"By deprivation decile, {found.area} (01 most deprived)",
        value_title="value",
    )


def interval_method_of(rows: Sequence[BenchmarkRow]) -> dict[str, Any] | None:
    """How the intervals of an indicator's rows are calculated: its method as Fingertips' metadata names it,
    what the method does, and whether it is the profiles' default for the value type or named in the
    framework (None without rows)."""
    if not rows or not rows[0].ci_method:
        return None
    method = stats.interval_method(rows[0].ci_method)
    value_type = rows[0].value_type
    return {
        **method.to_dict(),
        "value_type": value_type,
        "default": stats.default_interval_method(value_type).key == method.key,
    }


@dataclass(frozen=True, slots=True)
class IndicatorView:
    """One indicator's page: its rows, gradient, comparators and funnel, and their charts."""

    report: IndicatorReport

    @property
    def interval_method(self) -> dict[str, Any] | None:
        """The indicator's interval method (the page's method line)."""
        return interval_method_of(self.report.rows)

    def charts(self) -> dict[str, RenderedChart]:
        """The trend with intervals, the gradient across deciles and the funnel, where each can be drawn."""
        from totalplace.reports.charts import interval_chart  # Altair: only when drawing

        report = self.report
        trend = _interval_rows(report.series)
        charts = (
            {"trend": interval_chart(trend, title=report.title, value_title=report.value_type)}
            if trend
            else {}
        )
        if report.context.inequality is not None:
            charts["inequality"] = inequality_chart(report.context.inequality)
        if report.funnel is not None:
            charts["funnel"] = funnel_view(report.funnel).chart()
        return charts

    def to_dict(self) -> dict[str, Any]:
        """The indicator page's data, with its interval method."""
        return {**self.report.to_dict(), "interval_method": self.interval_method}


def indicator_view(report: IndicatorReport) -> IndicatorView:
    """The view of one indicator."""
    return IndicatorView(report)


# ---- the spine chart and the published table --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpineView:
    """The basket of indicators against the comparator set."""

    spine: Spine

    @property
    def headline(self) -> str:
        """What the table shows."""
        return (
            f"{self.spine.framework} against {self.spine.comparator_set}: each indicator from the "
            "comparators' worst (0) to best (1)"
        )

    @property
    def tables(self) -> tuple[TableView, ...]:
        """One row per indicator: the place's value and where it and England sit between the comparators."""

        def at(position: float | None) -> str:
            return "" if position is None else f"{position:.2f}"

        rows = [
            (
                r.indicator,
                r.period,
                "" if r.value is None else f"{r.value:,.1f}",
                r.comparators,
                at(r.place),
                f"{r.q1:.2f} to {r.q3:.2f}",
                at(r.england),
                r.comparison,
            )
            for r in self.spine.rows
        ]
        right = [Column(h, "right") for h in ("value", "peers", "place", "middle half", "England")]
        columns: list[str | Column] = ["indicator", "period", *right, "95%"]
        return (TableView.of("Spine chart", columns, rows),)

    def charts(self) -> dict[str, RenderedChart]:
        """The spine chart (none without rows)."""
        from totalplace.reports.charts import spine_chart  # Altair: only when drawing

        if not self.spine.rows:
            return {}
        rows = [r.to_dict() for r in self.spine.rows]
        title = f"{self.spine.framework} against {self.spine.comparator_set}"
        return {"spine": spine_chart(rows, title=title)}

    def to_dict(self) -> dict[str, Any]:
        """The spine page's data."""
        return self.spine.to_dict()


def spine_view(spine: Spine) -> SpineView:
    """The view of the spine."""
    return SpineView(spine)


@dataclass(frozen=True, slots=True)
class PublishedView:
    """Counts by area and period as they may be published."""

    counts: PublishedCounts

    @property
    def headline(self) -> str:
        """What was done to the counts."""
        table = self.counts.table
        return (
            f"Counts of indicator {self.counts.indicator}, {self.counts.age}: counts from 1 to 7 suppressed "
            f"(*), the rest rounded to the nearest 5; {len(table.secondary)} further cells withheld so "
            f"that no suppressed count can be worked out from the totals ({len(table.primary)} small counts)."
        )

    @property
    def tables(self) -> tuple[TableView, ...]:
        """Areas down, periods across, totals last; a suppressed cell shows as *."""

        def cell(value: int | None) -> str:
            return "*" if value is None else str(value)

        table = self.counts.table
        rows = [
            (area, *(cell(c) for c in table.cells[i]), cell(table.row_totals[i]))
            for i, area in enumerate(self.counts.areas)
        ]
        rows.append(("Total", *(cell(t) for t in table.column_totals), cell(table.total)))
        columns: list[str | Column] = ["area", *(Column(p, "right") for p in (*self.counts.periods, "total"))]
        return (TableView.of("Published counts", columns, rows),)

    def to_dict(self) -> dict[str, Any]:
        """The published page's data."""
        return self.counts.to_dict()


def published_view(counts: PublishedCounts) -> PublishedView:
    """The view of the published counts."""
    return PublishedView(counts)


# ---- the funnel plot ------------------------------------------------------------------------------------

_X_TITLES = {"proportion": "denominator", "rate": "population (per year)", "ratio": "expected count"}


@dataclass(frozen=True, slots=True)
class FunnelView:
    """A funnel plot: the areas against their average inside the control limits."""

    funnel: Funnel

    @property
    def headline(self) -> str:
        """Nothing above the table."""
        return ""

    def chart(self) -> RenderedChart:
        """The funnel plot."""
        from totalplace.reports.charts import funnel_chart  # Altair: only when drawing

        found = self.funnel
        return funnel_chart(
            [line.to_dict() for line in found.chart_lines()],
            [p.to_dict() for p in found.points],
            baseline=found.baseline,
            title=f"{found.title}, {found.period} ({found.area_type or 'areas'})",
            x_title=_X_TITLES[found.statistic],
            y_title="value",
        )

    @property
    def tables(self) -> tuple[TableView, ...]:
        """Every area with its count, denominator, value and significance."""
        found = self.funnel
        rows = [
            (
                p.area_name,
                f"{p.count:,.0f}",
                f"{p.denominator:,.0f}",
                "" if p.value is None else f"{p.value:,.2f}",
                p.significance,
                p.comparison,
            )
            for p in found.points
        ]
        title = (
            f"{found.title}, {found.period}: {len(found.points)} {found.area_type or 'areas'}, "
            f"average {found.baseline:,.2f}"
        )
        columns = ("area", "count", "denominator", "value", "significance", "comparison")
        return (TableView.of(title, columns, rows),)

    def to_dict(self) -> dict[str, Any]:
        """The funnel as JSON."""
        return self.funnel.to_dict()


def funnel_view(found: Funnel) -> FunnelView:
    """The view of a funnel."""
    return FunnelView(found)


# ---- the CLI's benchmark, inequality, comparators, cohorts and aggregation ----------------------------


def _limits(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"{low:,.1f} to {high:,.1f}"


def _benchmark_cells(r: BenchmarkRow) -> tuple[str, ...]:
    return (
        r.title[:40],
        r.area_name or r.area_code,
        r.period,
        ", ".join(r.breakdown.values()),
        "" if r.value is None else f"{r.value:,.1f}",
        _limits(r.lower95, r.upper95),
        _limits(r.lower998, r.upper998),
        "" if r.benchmark is None else f"{r.benchmark:,.1f}",
        r.comparison95,
        r.trend.direction,
    )


@dataclass(frozen=True, slots=True)
class BenchmarkView:
    """The first ``limit`` benchmarked rows as the CLI prints them."""

    result: BenchmarkResult
    limit: int

    @property
    def headline(self) -> str:
        """The interval method of each indicator shown, as Fingertips' metadata names it."""
        shown = self.result.table.slice(0, self.limit).select(["indicator", "ci_method"]).to_pylist()
        methods = sorted({(r["indicator"], r["ci_method"]) for r in shown if r["ci_method"]})
        return "; ".join(f"{indicator}: intervals by {method}" for indicator, method in methods)

    @property
    def tables(self) -> tuple[TableView, ...]:
        """Each row's value, limits, benchmark, comparison and trend."""
        against, limit = self.result.against, self.limit
        total = self.result.table.num_rows
        shown = dataclasses.replace(self.result, table=self.result.table.slice(0, limit)).rows()
        title = f"Compared with {against}" + (
            f": the first {limit:,} of {total:,} rows (narrow with --indicator, --area or --period; "
            "--json gives every row)"
            if total > limit
            else ""
        )
        columns = (
            "indicator",
            "area",
            "period",
            "breakdown",
            "value",
            "95% limits",
            "99.8% limits",
            against,
            "95%",
            "trend",
        )
        return (TableView.of(title, columns, [_benchmark_cells(r) for r in shown]),)


def benchmark_view(result: BenchmarkResult, *, limit: int) -> BenchmarkView:
    """The view of a benchmark for the CLI (its JSON is streamed from the result itself)."""
    return BenchmarkView(result, limit)


@dataclass(frozen=True, slots=True)
class InequalityView:
    """The gradient in one sentence."""

    found: InequalityResult

    @property
    def headline(self) -> str:
        """The SII with its limits, the RII and the gap."""
        f, g = self.found, self.found.index
        return (
            f"{f.indicator} in {f.area}, {f.period}: slope index of inequality {g.sii:,.2f} "
            f"(95% {g.sii_lower:,.2f} to {g.sii_upper:,.2f}); "
            f"relative index {g.rii:.3f}; gap least - most deprived {g.gap:,.2f} "
            f"({g.gap_lower:,.2f} to {g.gap_upper:,.2f})"
        )

    @property
    def tables(self) -> tuple[TableView, ...]:
        """No table: the sentence says it."""
        return ()

    def to_dict(self) -> dict[str, Any]:
        """The gradient as JSON."""
        return self.found.to_dict()


def inequality_view(found: InequalityResult) -> InequalityView:
    """The view of a gradient."""
    return InequalityView(found)


@dataclass(frozen=True, slots=True)
class ComparatorsView:
    """The nearest neighbours of an authority, with what makes up each distance."""

    area: str
    saved_as: str | None
    members: list[Neighbour]

    @property
    def headline(self) -> str:
        """Nothing above the table."""
        return ""

    @property
    def tables(self) -> tuple[TableView, ...]:
        """Each neighbour's distance and the two variables that make up most of it."""

        def why(contributions: dict[str, float]) -> str:
            top = sorted(contributions.items(), key=lambda kv: -kv[1])[:2]
            return ", ".join(f"{name} {100 * share:.0f}%" for name, share in top)

        rows = [(m.name, f"{m.distance:.2f}", why(m.contributions)) for m in self.members]
        columns = ("authority", "distance", "most of the distance")
        return (TableView.of(f"Nearest neighbours of {self.area}", columns, rows),)

    def to_dict(self) -> dict[str, Any]:
        """The set as JSON."""
        return {
            "area": self.area,
            "saved_as": self.saved_as,
            "comparators": [m.to_dict() for m in self.members],
        }


def comparators_view(area: str, members: list[Neighbour], *, saved_as: str | None = None) -> ComparatorsView:
    """The view of a comparator set."""
    return ComparatorsView(area, saved_as, members)


@dataclass(frozen=True, slots=True)
class CohortsView:
    """Each outcome of a cohort file: before and after, and against the matched comparison."""

    file: str
    cohorts: list[CohortReport]

    @property
    def headline(self) -> str:
        """Two lines an outcome (rich markup)."""
        lines = []
        for report in self.cohorts:
            ba = report.before_after
            lines.append(
                f"[bold]{report.outcome}[/]: {report.referred} referred; {ba.before:,.0f} before, "
                f"{ba.after:,.0f} after ({ba.change_percent}%; rate ratio {ba.rate_ratio}, "
                f"95% {ba.lower} to {ba.upper})"
            )
            matched = report.matched
            if matched:
                lines.append(
                    f"  against {matched.pairs} matched others: difference in differences "
                    f"{matched.difference_in_differences} per person (95% {matched.lower} to "
                    f"{matched.upper}); {'balanced' if matched.balanced else 'NOT balanced'}"
                )
        return "\n".join(lines)

    @property
    def tables(self) -> tuple[TableView, ...]:
        """No table: the lines say it."""
        return ()

    def to_dict(self) -> dict[str, Any]:
        """The cohort page's report (the CLI prints only ``cohorts``)."""
        return {"file": self.file, "cohorts": [c.to_dict() for c in self.cohorts]}


def cohorts_view(file: str, cohorts: list[CohortReport]) -> CohortsView:
    """The view of a cohort file's reports."""
    return CohortsView(file, cohorts)


def aggregated_headline(info: Aggregated, *, level: str, indicator: str, period: str, batch: int) -> str:
    """What ``outcomes aggregate`` says of the records it counted into observations (batch ``batch``)."""
    return (
        f"{info.records:,} records counted into {info.areas} {level} areas "
        f"({info.total:,.0f} in all) as indicator {indicator}, {period}; batch {batch}"
    )
