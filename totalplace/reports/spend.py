"""What a person reads of the place spending map: the map, its coverage, its lines, rules and real terms.

Each web page has a view here whose ``to_dict()`` is the page's JSON twin (and what its template draws);
each ``spend`` command has a :class:`~totalplace.reports.command.CommandView`: its ``--json`` document (the
engine's own result) and the headline and tables a person reads, already formatted. Money in tables is
pounds and pence (``£1,234.50``); the JSON keeps integer pence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from totalplace.engines.spendmap.deflators import Deflators, RealTerms
from totalplace.engines.spendmap.lines import LINE_COLUMNS, LineFilters, SpendLines
from totalplace.engines.spendmap.results import SpendMap
from totalplace.engines.spendmap.rules import RuleSet
from totalplace.money import Money
from totalplace.reports.command import CommandView
from totalplace.reports.table import Column, TableView

if TYPE_CHECKING:
    from totalplace.engines.spendmap.suggest import Suggestions
    from totalplace.place import Place
    from totalplace.reports.charts import RenderedChart

#: Prevention stages in the order the charts stack them.
STAGE_ORDER: Final = ("universal", "early_help", "targeted", "acute", "not_applicable")
#: The columns of the drill-down's CSV and XLSX exports: a line's columns, with where it came from (batch and
#: source row) last, where a person reading the file needs it least.
EXPORT_COLUMNS: Final = (*LINE_COLUMNS[2:], *LINE_COLUMNS[:2])
#: How many years the CLI sets side by side (a terminal fits a few; --json and the page have every year).
YEARS_SHOWN: Final = 5


def pounds(pence: int | None) -> str:
    """Pence as pounds and pence (``£1,234.50``); blank when there is no figure."""
    return "" if pence is None else str(Money(int(pence)))


def percent(share: float | None) -> str:
    """A fraction as a percentage to one place (``38.1%``); blank when there is no figure."""
    return "" if share is None else f"{100 * share:.1f}%"


def _figure(header: str) -> Column:
    return Column(header, "right")


# -- the map ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SpendMapView:
    """The spending map as the page, its twin and the CLI show it."""

    spend: SpendMap
    real_terms: RealTerms | None = None
    charts: Mapping[str, RenderedChart] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The page's data: the map, its who-spends-what matrix, the years side by side and in real terms."""
        spend = self.spend
        matrix: dict[str, dict[str, int]] = {}
        for row in spend.by_partner_theme:
            matrix.setdefault(row.theme or "unclassified", {})[row.partner] = row.pence
        labels = spend.theme_labels()
        years_by_theme: dict[str, dict[str, int]] = {}
        for cell in spend.by_year_theme:
            label = labels.get(cell.theme) or (cell.theme or "Not classified")
            years_by_theme.setdefault(label, {})[cell.year] = cell.pence
        data = spend.to_dict()
        data["matrix"] = {"partners": [r.partner for r in spend.by_partner], "rows": matrix}
        data["years_by_theme"] = years_by_theme
        if self.real_terms is not None:
            data["real_terms"] = self.real_terms.to_dict()
        return data

    @property
    def headline(self) -> str:
        """One line: the total, the lines, coverage, per resident and the prevention share."""
        spend = self.spend
        per_head = (
            f"; {pounds(spend.per_head_pence)} per resident" if spend.per_head_pence is not None else ""
        )
        prevention = (
            f"; prevention share {percent(spend.prevention_share)}"
            if spend.prevention_share is not None
            else ""
        )
        return (
            f"[bold]Place spending map, {spend.year or 'all years'}[/]: {pounds(spend.total_pence)} over "
            f"{spend.lines:,} lines; {percent(spend.coverage)} of pounds classified{per_head}{prevention}"
        )

    @property
    def tables(self) -> tuple[TableView, ...]:
        """By theme, by partner, the years side by side (when several), by stage, overlaps, unclassified."""
        spend = self.spend
        years = (_years_table(spend),) if len(spend.years) > 1 else ()
        overlaps = (_overlaps_table(spend),) if spend.overlaps else ()
        return (
            _themes_table(spend),
            TableView.of(
                "By partner",
                ("partner", _figure("spend"), _figure("share"), _figure("lines")),
                [(r.partner, pounds(r.pence), percent(r.share), f"{r.lines:,}") for r in spend.by_partner],
            ),
            *years,
            TableView.of(
                "By prevention stage",
                ("stage", _figure("spend"), _figure("share")),
                [(r.stage or "(unclassified)", pounds(r.pence), percent(r.share)) for r in spend.by_stage],
            ),
            *overlaps,
            *_unclassified_tables(spend),
        )


def spend_map_view(
    spend: SpendMap,
    *,
    real_terms: RealTerms | None = None,
    charts: Mapping[str, RenderedChart] | None = None,
) -> SpendMapView:
    """The map's view (the page passes its years in real terms and its charts; the CLI neither)."""
    return SpendMapView(spend, real_terms, dict(charts or {}))


def spend_map_command(spend: SpendMap) -> CommandView:
    """What ``spend map`` and ``spend rules test`` show: the map's JSON, its headline and its tables."""
    view = SpendMapView(spend)
    return CommandView(spend.to_dict(), view.headline, view.tables)


def _themes_table(spend: SpendMap) -> TableView:
    return TableView.of(
        "By theme",
        ("theme", "COFOG", _figure("spend"), _figure("share"), _figure("per head"), _figure("lines")),
        [
            (
                r.label or "(unclassified)",
                r.cofog or "",
                pounds(r.pence),
                percent(r.share),
                pounds(r.per_head_pence),
                f"{r.lines:,}",
            )
            for r in spend.by_theme
        ],
    )


def _years_table(spend: SpendMap, shown: int = YEARS_SHOWN) -> TableView:
    """The latest few years side by side, in cash, by theme id."""
    years = spend.years[-shown:]
    cells: dict[str, dict[str, int]] = {}
    for row in spend.by_year_theme:
        if row.year in years:
            cells.setdefault(row.theme or "(unclassified)", {})[row.year] = row.pence
    more = f"; the latest {shown} of {len(spend.years)} years" if len(spend.years) > shown else ""
    return TableView.of(
        f"Years side by side (cash, not adjusted for inflation{more})",
        ("theme", *(_figure(y) for y in years)),
        [(theme, *(pounds(by_year.get(y)) for y in years)) for theme, by_year in cells.items()],
    )


def _overlaps_table(spend: SpendMap) -> TableView:
    return TableView.of(
        "Themes several partners fund",
        ("theme", "partners", _figure("spend")),
        [(o.label, ", ".join(p.partner for p in o.partners), pounds(o.pence)) for o in spend.overlaps],
    )


def _unclassified_tables(spend: SpendMap) -> tuple[TableView, TableView]:
    unclassified = spend.unclassified
    return (
        TableView.of(
            f"Unclassified: {pounds(unclassified.pence)} over {unclassified.lines:,} lines; "
            "biggest suppliers",
            ("supplier", _figure("spend"), _figure("lines")),
            [(r.supplier, pounds(r.pence), f"{r.lines:,}") for r in unclassified.top_suppliers],
        ),
        TableView.of(
            "Unclassified, biggest categories",
            ("category", _figure("spend"), _figure("lines")),
            [(r.category, pounds(r.pence), f"{r.lines:,}") for r in unclassified.top_categories],
        ),
    )


# -- the map's charts ------------------------------------------------------------------------------------
def spend_charts(place: Place, spend: SpendMap) -> dict[str, RenderedChart]:
    """Spending by partner and stage, by theme, and per resident on a map of the small areas (each only
    when it has something to draw)."""
    charts: dict[str, RenderedChart] = {}
    for key, chart in (
        ("stages", _stages_chart(spend)),
        ("themes", _themes_chart(spend)),
        ("map", _per_head_map(place, spend)),
    ):
        if chart is not None:
            charts[key] = chart
    return charts


def _stages_chart(spend: SpendMap) -> RenderedChart | None:
    from totalplace.reports.charts import stacked_bar

    rows = [
        {"partner": r.partner, "stage": r.stage or "unclassified", "pounds": r.pence // 100}
        for r in spend.by_partner_stage
        if r.pence > 0
    ]
    if not rows:
        return None
    return stacked_bar(
        rows,
        category="partner",
        stack="stage",
        value="pounds",
        title="Spending by partner and prevention stage",
        value_title="£",
        order=[*STAGE_ORDER, "unclassified"],
    )


def _themes_chart(spend: SpendMap) -> RenderedChart | None:
    from totalplace.reports.charts import bar_chart

    rows = [
        {"theme": r.label or "unclassified", "pounds": r.pence // 100} for r in spend.by_theme if r.pence > 0
    ]
    if not rows:
        return None
    return bar_chart(rows, category="theme", value="pounds", title="Spending by theme", value_title="£")


def _per_head_map(place: Place, spend: SpendMap) -> RenderedChart | None:
    from totalplace.reports.charts import choropleth
    from totalplace.store.areas import boundaries

    per_head = {r.code: r.per_head_pence for r in spend.areas.rows if r.per_head_pence is not None}
    with place.read() as conn:
        outlines = boundaries(conn, spend.areas.level)
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(geometry),
            "properties": {"name": name, "per_head": per_head[code] / 100},
        }
        for code, name, _, geometry in outlines
        if code in per_head
    ]
    if not features:
        return None
    return choropleth(
        features,
        value="per_head",
        title="Spending per resident by small area",
        value_title="£ per resident",
    )


# -- coverage, lines, rules, real terms ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CoverageView:
    """How much of the spending the rules classify, and the biggest pounds they do not."""

    spend: SpendMap
    rules: int

    def to_dict(self) -> dict[str, Any]:
        """The coverage page's data."""
        spend = self.spend
        return {
            "year": spend.year,
            "coverage": spend.coverage,
            "total_pence": spend.total_pence,
            "classified_pence": spend.classified_pence,
            "unclassified": spend.unclassified.to_dict(),
            "rule_sources": list(spend.rule_sources),
            "rules": self.rules,
        }


def coverage_view(spend: SpendMap, ruleset: RuleSet) -> CoverageView:
    """The coverage page for a map built with ``ruleset``."""
    return CoverageView(spend, len(ruleset.rules))


@dataclass(frozen=True, slots=True)
class LinesView:
    """The lines behind a cell of the map, with the filters that chose them."""

    found: SpendLines
    filters: LineFilters
    query: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The drill-down page's data (``query`` repeats the filters for the export links)."""
        return {**self.found.to_dict(), "filters": self.filters.to_dict(), "query": self.query}

    def export_rows(self) -> list[list[object]]:
        """The lines as the rows of a CSV or XLSX export (columns :data:`EXPORT_COLUMNS`)."""
        rows = (line.to_dict() for line in self.found.lines)
        return [[row[c] for c in EXPORT_COLUMNS] for row in rows]


def lines_view(found: SpendLines, filters: LineFilters, query: str = "") -> LinesView:
    """The drill-down (``query`` is the request's filters as a URL query, for the export links)."""
    return LinesView(found, filters, query)


def lines_command(found: SpendLines) -> CommandView:
    """What ``spend lines`` shows: the lines, biggest first, each with its theme and rule."""
    table = TableView.of(
        f"{found.count:,} lines, {pounds(found.pence)} (showing {len(found.lines)})",
        ("date", "partner", "supplier", _figure("amount"), "theme", "rule", "description"),
        [
            (
                r.date,
                r.partner,
                r.supplier,
                pounds(r.amount_pence),
                r.theme or "",
                r.rule_id or "",
                (r.description or "")[:40],
            )
            for r in found.lines
        ],
    )
    return CommandView(found.to_dict(), "", (table,))


def rules_json(ruleset: RuleSet) -> list[dict[str, Any]]:
    """The rules in the order they are tried (``totalplace spend rules list --json``: a list, not a document
    a :class:`CommandView` holds)."""
    return [rule.to_dict() for rule in ruleset.rules]


def rules_tables(ruleset: RuleSet) -> tuple[TableView, ...]:
    """The rules in the order they are tried, each with its conditions and what it assigns."""
    rows = [
        (r.id, "; ".join(c.describe() for c in r.conditions), r.theme, r.stage, r.source)
        for r in ruleset.rules
    ]
    return (TableView.of(f"{len(rows)} rules", ("id", "when", "theme", "stage", "from"), rows),)


def real_terms_command(found: RealTerms, years: Sequence[str]) -> CommandView:
    """Each theme's spending in the base year's prices, one column per year of ``years``."""
    return CommandView(
        found.to_dict(),
        "",
        (
            TableView.of(
                f"Spending in {found.base} prices (GDP deflator {found.vintage})",
                ("theme", *(_figure(y) for y in years)),
                [(theme, *(pounds(cells.get(y)) for y in years)) for theme, cells in found.rows.items()],
            ),
        ),
    )


def deflators_saved(deflators: Deflators, base: str, saved: str) -> CommandView:
    """What ``spend deflators import`` shows: where the series was kept, and its years."""
    document = {"saved": saved, "base": base, **deflators.to_dict()}
    return CommandView(document, f"kept {len(deflators.index)} years ({deflators.vintage}) in {saved}")


def suggestions_command(found: Suggestions) -> CommandView:
    """What ``spend rules suggest`` shows: each proposed rule with the evidence for it and the pounds it
    would classify, and the coverage before and after accepting them all."""
    headline = (
        f"{len(found.suggestions)} suggested rules would classify "
        f"{pounds(found.after.classified_pence - found.before.classified_pence)} more: coverage "
        f"{percent(found.before.share)} -> {percent(found.after.share)} of gross pounds. Check each; keep "
        "the ones you accept with `spend rules add`."
    )
    table = TableView.of(
        f"Suggested rules (cost centres and purpose words whose classified pounds land at least "
        f"{percent(found.min_share)} in one theme)",
        ("when", "theme", _figure("share"), _figure("learned from"), _figure("would classify"),
         _figure("lines")),
        [
            (
                f"{s.field} {s.op} {s.value}",
                s.theme,
                percent(s.share),
                pounds(s.learned_pence),
                pounds(s.would_classify_pence),
                f"{s.would_classify_lines:,}",
            )
            for s in found.suggestions
        ],
    )  # fmt: skip
    return CommandView(found.to_dict(), headline, (table,))
