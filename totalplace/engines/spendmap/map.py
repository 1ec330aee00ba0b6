"""The place spending map: who spends what, on what, where, per head, and how much goes on prevention.

All money is integer pence. Shares are ratios of pounds (gross, so credits do not flatter coverage).
Spending without a location is apportioned to small areas by population, by largest remainder, so the
areas add up to the place total to the penny; the map says how much was apportioned.

The year and the area level come from requests: they reach the SQL only as bound parameters, and the level
must be one of the known area levels. Rows read from the backend become the typed rows of
:mod:`totalplace.engines.spendmap.results` here, at the engine's edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pyarrow as pa

from totalplace.backends.base import AnalyticsBackend
from totalplace.backends.safe_sql import Params, SqlValue, identifier
from totalplace.engines.spendmap.classify import classify_combinations
from totalplace.engines.spendmap.results import (
    AreaBreakdown,
    AreaSpend,
    CofogSpend,
    CohortSpend,
    Overlap,
    PartnerPence,
    PartnerSpend,
    PartnerStage,
    PartnerTheme,
    SpendMap,
    StageSpend,
    SupplierSpend,
    ThemeSpend,
    Unclassified,
    UnclassifiedCategory,
    UnclassifiedSupplier,
    YearTheme,
)
from totalplace.engines.spendmap.rules import MATCH_FIELDS, RuleSet
from totalplace.errors import InvalidInputError
from totalplace.money import Money
from totalplace.store.areas import AREA_LEVELS

__all__ = ["SpendMap", "build_spend_map", "check_level", "classify_view", "spend_years", "year_start"]

PREVENTIVE = ("universal", "early_help")
SERVICE_STAGES = ("universal", "early_help", "targeted", "acute")
FINANCIAL_YEAR = "CASE WHEN month(s.date) >= 4 THEN year(s.date) ELSE year(s.date) - 1 END"


def classify_view(engine: AnalyticsBackend, ruleset: RuleSet) -> None:
    """Define the view ``classified_spend``: active spend lines with partner, year, rule and theme."""
    used = sorted({c.field for rule in ruleset.rules for c in rule.conditions})
    keys = ", ".join(f"s.{identifier(f, MATCH_FIELDS)}" for f in used)
    active = "FROM spend s JOIN catalog c ON c.batch_id = s.batch_id WHERE c.status = 'active'"
    combos = engine.query(f"SELECT DISTINCT {keys} {active}")
    missing = [f for f in MATCH_FIELDS if f not in used]
    for name in missing:  # fields no rule reads: present, empty, so the classifier sees every field
        combos = combos.append_column(name, pa.nulls(combos.num_rows, pa.string()))
    engine.register_table("spend_classes", classify_combinations(ruleset, combos))
    quoted = [identifier(f, MATCH_FIELDS) for f in used]
    join = " AND ".join(f"coalesce(s.{f}, '') = coalesce(k.{f}, '')" for f in quoted) or "true"
    engine.create_view(
        "classified_spend",
        f"""
        SELECT s.*, c.partner, {FINANCIAL_YEAR} AS fy_start, k.rule_id, k.theme, k.cofog, k.cohort, k.stage
        FROM spend s JOIN catalog c ON c.batch_id = s.batch_id
        LEFT JOIN spend_classes k ON {join}
        WHERE c.status = 'active'""",
        materialise=True,
    )


def spend_years(engine: AnalyticsBackend) -> list[str]:
    """The financial years (April to March) of the active spending, oldest first ("2023-24", "2024-25")."""
    rows = _rows(
        engine,
        f"SELECT DISTINCT {FINANCIAL_YEAR} AS fy_start FROM spend s JOIN catalog c "
        "ON c.batch_id = s.batch_id WHERE c.status = 'active' ORDER BY 1",
    )
    return [_year_label(r["fy_start"]) for r in rows if r["fy_start"] is not None]


def _rows(engine: AnalyticsBackend, sql: str, params: Params | None = None) -> list[dict[str, Any]]:
    return [
        {k: int(v) if k.endswith("pence") and v is not None else v for k, v in row.items()}
        for row in engine.query(sql, params).to_pylist()
    ]


def check_level(level: str) -> str:
    """``level`` if it is a known area level (oa, lsoa, msoa, ward, la), else a coded error (TP106)."""
    if level not in AREA_LEVELS:
        raise InvalidInputError(
            f"{level[:40]!r} is not an area level", hint=f"area levels are: {', '.join(AREA_LEVELS)}"
        )
    return level


@dataclass(frozen=True)
class _Filter:
    """The rows a map counts: constant SQL (``FROM classified_spend WHERE ...``) and its bound values."""

    sql: str
    params: dict[str, SqlValue]


_FINANCIAL_YEAR_LABEL = re.compile(r"^(\d{4})-(\d{2})$")


def year_start(year: str) -> int:
    """The calendar year a financial year label starts in ("2024-25" -> 2024), or a coded error."""
    match = _FINANCIAL_YEAR_LABEL.match(year.strip())
    if match is None or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise InvalidInputError(f"{year[:40]!r} is not a financial year", hint='write it like "2024-25"')
    return int(match.group(1))


def _year_label(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def build_spend_map(
    engine: AnalyticsBackend,
    ruleset: RuleSet,
    *,
    year: str | None = None,
    area_level: str = "lsoa",
    top: int = 5,
) -> SpendMap:
    """The place spending map from the backend's spend lines, classified by ``ruleset``."""
    check_level(area_level)
    classify_view(engine, ruleset)
    starts = [
        r["fy_start"] for r in _rows(engine, "SELECT DISTINCT fy_start FROM classified_spend ORDER BY 1")
    ]
    filter_ = _map_filter(year)
    totals = _totals(engine, filter_)
    population = _population(engine, area_level)
    figures = _Figures(totals["total_pence"], population)
    by = {dim: _by(engine, filter_, dim) for dim in ("partner", "theme", "cofog", "stage", "cohort")}
    by_stage = tuple(StageSpend(r["stage"], *figures.of(r)) for r in by["stage"])
    by_partner_theme = _partner_themes(engine, filter_)
    return SpendMap(
        year=year,
        years=tuple(_year_label(s) for s in starts if s is not None),
        total_pence=totals["total_pence"],
        lines=totals["lines"],
        coverage=totals["classified_gross_pence"] / (totals["gross_pence"] or 1),
        classified_pence=totals["classified_pence"],
        population=population,
        per_head_pence=_per_head(totals["total_pence"], population),
        prevention_share=_prevention_share(by_stage),
        by_partner=tuple(PartnerSpend(r["partner"], *figures.of(r)) for r in by["partner"]),
        by_theme=tuple(_theme_row(r, figures, ruleset) for r in by["theme"]),
        by_partner_theme=by_partner_theme,
        by_partner_stage=_partner_stages(engine, filter_),
        by_year_theme=_years_by_theme(engine),
        by_cofog=tuple(_cofog_row(r, figures, ruleset) for r in by["cofog"]),
        by_stage=by_stage,
        by_cohort=tuple(CohortSpend(r["cohort"], *figures.of(r)) for r in by["cohort"]),
        top_suppliers=_top_suppliers(engine, filter_, top),
        overlaps=_overlaps(by_partner_theme, ruleset),
        unclassified=_unclassified(engine, filter_, top),
        areas=_areas(engine, filter_, area_level, population),
        rule_sources=tuple(ruleset.sources),
    )


def _map_filter(year: str | None) -> _Filter:
    """Every classified line, or those of one financial year."""
    if year is None:
        return _Filter("FROM classified_spend WHERE true", {})
    return _Filter("FROM classified_spend WHERE fy_start = $fy", {"fy": year_start(year)})


def _totals(engine: AnalyticsBackend, filter_: _Filter) -> dict[str, int]:
    """Lines, net and gross pence, and the classified pence (net and gross) the map counts."""
    row = _rows(
        engine,
        f"""SELECT count(*) AS lines, coalesce(sum(amount_pence), 0) AS total_pence,
        coalesce(sum(abs(amount_pence)), 0) AS gross_pence,
        coalesce(sum(CASE WHEN rule_id IS NOT NULL THEN abs(amount_pence) ELSE 0 END), 0)
            AS classified_gross_pence,
        coalesce(sum(CASE WHEN rule_id IS NOT NULL THEN amount_pence ELSE 0 END), 0)
            AS classified_pence {filter_.sql}""",
        filter_.params,
    )[0]
    return {k: int(v) for k, v in row.items()}


def _by(engine: AnalyticsBackend, filter_: _Filter, dim: str) -> list[dict[str, Any]]:
    """Pence and lines by one column of the classified lines (a fixed name, never a request's), largest
    first."""
    column = identifier(dim, ("partner", "theme", "cofog", "stage", "cohort"))
    return _rows(
        engine,
        f"SELECT {column}, sum(amount_pence) AS pence, count(*) AS lines {filter_.sql} "
        f"GROUP BY {column} ORDER BY pence DESC",
        filter_.params,
    )


@dataclass(frozen=True)
class _Figures:
    """A breakdown row's figures: its pence and lines, share of the total, and pence per resident."""

    total_pence: int
    population: int | None

    def of(self, row: dict[str, Any]) -> tuple[int, int, float, int | None]:
        pence = int(row["pence"])
        share = pence / self.total_pence if self.total_pence else 0.0
        return pence, int(row["lines"]), share, _per_head(pence, self.population)


def _theme_row(row: dict[str, Any], figures: _Figures, ruleset: RuleSet) -> ThemeSpend:
    if row["theme"] is None:
        return ThemeSpend(None, *figures.of(row))
    theme = ruleset.themes[row["theme"]]
    return ThemeSpend(theme.id, *figures.of(row), theme.label, theme.cofog, theme.pass_through)


def _cofog_row(row: dict[str, Any], figures: _Figures, ruleset: RuleSet) -> CofogSpend:
    label = ruleset.cofog.get(row["cofog"]) if row["cofog"] is not None else None
    return CofogSpend(row["cofog"], *figures.of(row), label)


def _partner_themes(engine: AnalyticsBackend, filter_: _Filter) -> tuple[PartnerTheme, ...]:
    rows = _rows(
        engine,
        f"SELECT partner, theme, sum(amount_pence) AS pence, count(*) AS lines "
        f"{filter_.sql} GROUP BY partner, theme ORDER BY partner, pence DESC",
        filter_.params,
    )
    return tuple(PartnerTheme(r["partner"], r["theme"], r["pence"], int(r["lines"])) for r in rows)


def _partner_stages(engine: AnalyticsBackend, filter_: _Filter) -> tuple[PartnerStage, ...]:
    rows = _rows(
        engine,
        f"SELECT partner, stage, sum(amount_pence) AS pence, count(*) AS lines {filter_.sql} "
        "GROUP BY partner, stage ORDER BY partner, stage",
        filter_.params,
    )
    return tuple(PartnerStage(r["partner"], r["stage"], r["pence"], int(r["lines"])) for r in rows)


def _years_by_theme(engine: AnalyticsBackend) -> tuple[YearTheme, ...]:
    """Every year side by side (whatever year is mapped), in cash: real terms need a cited GDP deflator
    series (:mod:`totalplace.engines.spendmap.deflators`)."""
    rows = _rows(
        engine,
        "SELECT fy_start, theme, sum(amount_pence) AS pence FROM classified_spend "
        "WHERE fy_start IS NOT NULL GROUP BY fy_start, theme ORDER BY fy_start, theme",
    )
    return tuple(YearTheme(r["theme"], r["pence"], _year_label(r["fy_start"]), r["fy_start"]) for r in rows)


def _per_head(pence: int, population: int | None) -> int | None:
    """Pence per resident, rounded to the nearest penny (exactly, with integers)."""
    if not population:
        return None
    return round(Fraction(pence, population))


def _prevention_share(stages: tuple[StageSpend, ...]) -> float | None:
    pounds = {r.stage: r.pence for r in stages}
    service = sum(pounds.get(s, 0) for s in SERVICE_STAGES)
    return sum(pounds.get(s, 0) for s in PREVENTIVE) / service if service else None


def _population(engine: AnalyticsBackend, level: str) -> int | None:
    rows = _rows(engine, "SELECT sum(population) AS people FROM areas WHERE level = $level", {"level": level})
    people = rows[0]["people"] if rows else None
    return int(people) if people else None


def _top_suppliers(
    engine: AnalyticsBackend, filter_: _Filter, top: int
) -> dict[str, tuple[SupplierSpend, ...]]:
    rows = _rows(
        engine,
        f"""SELECT theme, supplier, pence FROM (
        SELECT theme, supplier, sum(amount_pence) AS pence,
               row_number() OVER (PARTITION BY theme ORDER BY sum(amount_pence) DESC) AS rank
        {filter_.sql} AND theme IS NOT NULL GROUP BY theme, supplier) ranked WHERE rank <= $top
        ORDER BY theme, pence DESC""",
        {**filter_.params, "top": int(top)},
    )
    out: dict[str, list[SupplierSpend]] = {}
    for row in rows:
        out.setdefault(row["theme"], []).append(SupplierSpend(row["supplier"], row["pence"]))
    return {theme: tuple(suppliers) for theme, suppliers in out.items()}


def _overlaps(partner_theme: tuple[PartnerTheme, ...], ruleset: RuleSet) -> tuple[Overlap, ...]:
    """Themes several partners spend on: where pooling or alignment could start."""
    by_theme: dict[str, list[PartnerPence]] = {}
    for row in partner_theme:
        if row.theme and not ruleset.themes[row.theme].pass_through and row.pence > 0:
            by_theme.setdefault(row.theme, []).append(PartnerPence(row.partner, row.pence))
    return tuple(
        Overlap(t, ruleset.themes[t].label, tuple(p), sum(x.pence for x in p))
        for t, p in sorted(by_theme.items(), key=lambda kv: -sum(x.pence for x in kv[1]))
        if len(p) > 1
    )


def _unclassified(engine: AnalyticsBackend, filter_: _Filter, top: int) -> Unclassified:
    where = f"{filter_.sql} AND rule_id IS NULL"
    params = {**filter_.params, "most": int(top) * 2}
    total = _rows(
        engine, f"SELECT coalesce(sum(amount_pence), 0) AS pence, count(*) AS lines {where}", filter_.params
    )[0]
    suppliers = _rows(
        engine,
        f"SELECT supplier, sum(amount_pence) AS pence, count(*) AS lines {where} "
        "GROUP BY supplier ORDER BY sum(abs(amount_pence)) DESC LIMIT $most",
        params,
    )
    categories = _rows(
        engine,
        f"""SELECT coalesce(proclass_label, expense_type, cost_centre) AS category,
        sum(amount_pence) AS pence, count(*) AS lines {where} GROUP BY 1 ORDER BY sum(abs(amount_pence)) DESC
        LIMIT $most""",
        params,
    )
    return Unclassified(
        total["pence"],
        int(total["lines"]),
        tuple(UnclassifiedSupplier(r["supplier"], r["pence"], int(r["lines"])) for r in suppliers),
        tuple(UnclassifiedCategory(r["category"], r["pence"], int(r["lines"])) for r in categories),
    )


def _areas(engine: AnalyticsBackend, filter_: _Filter, level: str, population: int | None) -> AreaBreakdown:
    """Spending by small area: located lines where they are, the rest apportioned by population."""
    areas = _rows(
        engine,
        "SELECT code, name, population FROM areas WHERE level = $level ORDER BY code",
        {"level": check_level(level)},
    )
    located = {
        r["code"]: r["pence"]
        for r in _rows(
            engine,
            f"""SELECT a.code, sum(s.amount_pence) AS pence
        FROM (SELECT * {filter_.sql}) s JOIN areas a ON a.code = s.area_code GROUP BY a.code""",
            filter_.params,
        )
    }
    total = _rows(engine, f"SELECT coalesce(sum(amount_pence), 0) AS pence {filter_.sql}", filter_.params)[0][
        "pence"
    ]
    unlocated = total - sum(located.values())
    weights = [int(a["population"] or 0) for a in areas]
    shares = Money(unlocated).allocate(weights) if areas and sum(weights) else []
    rows = []
    for area, share in zip(areas, shares, strict=False):
        here = located.get(area["code"], 0)
        pence = here + share.pence
        rows.append(
            AreaSpend(
                area["code"],
                area["name"],
                area["population"],
                here,
                share.pence,
                pence,
                _per_head(pence, area["population"]),
            )
        )
    return AreaBreakdown(
        level,
        unlocated if shares else 0,
        "located lines by their area code; the rest by share of population",
        tuple(rows),
    )
