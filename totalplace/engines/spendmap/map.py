"""The place spending map: who spends what, on what, where, per head, and how much goes on prevention.

All money is integer pence. Shares are ratios of pounds (gross, so credits do not flatter coverage).
Spending without a location is apportioned to small areas by population, by largest remainder, so the
areas add up to the place total to the penny; the map says how much was apportioned.

The year and the area level come from requests: they reach the SQL only as bound parameters, and the level
must be one of the known area levels.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import pyarrow as pa

from totalplace.backends.base import AnalyticsBackend
from totalplace.backends.safe_sql import Params, SqlValue, identifier
from totalplace.engines.spendmap.classify import classify_combinations
from totalplace.engines.spendmap.rules import MATCH_FIELDS, RuleSet
from totalplace.errors import InvalidInputError
from totalplace.money import Money
from totalplace.store.areas import AREA_LEVELS

PREVENTIVE = ("universal", "early_help")
SERVICE_STAGES = ("universal", "early_help", "targeted", "acute")
FINANCIAL_YEAR = "CASE WHEN month(s.date) >= 4 THEN year(s.date) ELSE year(s.date) - 1 END"


@dataclass
class SpendMap:
    """The map for one financial year (or all years), ready for the CLI, the web page and the JSON twin."""

    year: str | None
    years: list[str]
    total_pence: int
    lines: int
    coverage: float
    classified_pence: int
    population: int | None
    per_head_pence: int | None
    prevention_share: float | None
    by_partner: list[dict[str, Any]] = field(default_factory=list)
    by_theme: list[dict[str, Any]] = field(default_factory=list)
    by_partner_theme: list[dict[str, Any]] = field(default_factory=list)
    by_partner_stage: list[dict[str, Any]] = field(default_factory=list)
    by_year_theme: list[dict[str, Any]] = field(default_factory=list)
    by_cofog: list[dict[str, Any]] = field(default_factory=list)
    by_stage: list[dict[str, Any]] = field(default_factory=list)
    by_cohort: list[dict[str, Any]] = field(default_factory=list)
    top_suppliers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    overlaps: list[dict[str, Any]] = field(default_factory=list)
    unclassified: dict[str, Any] = field(default_factory=dict)
    areas: dict[str, Any] = field(default_factory=dict)
    rule_sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money in pence)."""
        return asdict(self)


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
    filter_ = _Filter("FROM classified_spend WHERE true", {})
    if year is not None:
        filter_ = _Filter("FROM classified_spend WHERE fy_start = $fy", {"fy": year_start(year)})
    base, params = filter_.sql, filter_.params
    totals = _rows(
        engine,
        f"""SELECT count(*) AS lines, coalesce(sum(amount_pence), 0) AS total_pence,
        coalesce(sum(abs(amount_pence)), 0) AS gross_pence,
        coalesce(sum(CASE WHEN rule_id IS NOT NULL THEN abs(amount_pence) ELSE 0 END), 0)
            AS classified_gross_pence,
        coalesce(sum(CASE WHEN rule_id IS NOT NULL THEN amount_pence ELSE 0 END), 0)
            AS classified_pence {base}""",
        params,
    )[0]
    by = {
        dim: _rows(
            engine,
            f"SELECT {dim}, sum(amount_pence) AS pence, count(*) AS lines {base} "
            f"GROUP BY {dim} ORDER BY pence DESC",
            params,
        )
        for dim in ("partner", "theme", "cofog", "stage", "cohort")
    }
    population = _population(engine, area_level)
    gross = totals["gross_pence"] or 1
    result = SpendMap(
        year=year,
        years=[_year_label(s) for s in starts if s is not None],
        total_pence=totals["total_pence"],
        lines=totals["lines"],
        coverage=totals["classified_gross_pence"] / gross,
        classified_pence=totals["classified_pence"],
        population=population,
        per_head_pence=_per_head(totals["total_pence"], population),
        prevention_share=_prevention_share(by["stage"]),
        rule_sources=list(ruleset.sources),
    )
    for dim, rows in by.items():
        for row in rows:
            row["share"] = row["pence"] / totals["total_pence"] if totals["total_pence"] else 0.0
            row["per_head_pence"] = _per_head(row["pence"], population)
            if dim == "theme" and row["theme"] is not None:
                theme = ruleset.themes[row["theme"]]
                row.update(label=theme.label, cofog=theme.cofog, pass_through=theme.pass_through)
            if dim == "cofog" and row["cofog"] is not None:
                row["label"] = ruleset.cofog.get(row["cofog"])
    result.by_partner, result.by_theme, result.by_cofog = by["partner"], by["theme"], by["cofog"]
    result.by_stage, result.by_cohort = by["stage"], by["cohort"]
    result.by_partner_theme = _rows(
        engine,
        f"SELECT partner, theme, sum(amount_pence) AS pence, count(*) AS lines "
        f"{base} GROUP BY partner, theme ORDER BY partner, pence DESC",
        params,
    )
    result.by_partner_stage = _rows(
        engine,
        f"SELECT partner, stage, sum(amount_pence) AS pence, count(*) AS lines {base} "
        "GROUP BY partner, stage ORDER BY partner, stage",
        params,
    )
    # Every year side by side (whatever ``year`` is), in cash: real terms need a cited GDP deflator series.
    result.by_year_theme = [
        {**row, "year": _year_label(row.pop("fy_start"))}
        for row in _rows(
            engine,
            "SELECT fy_start, theme, sum(amount_pence) AS pence FROM classified_spend "
            "WHERE fy_start IS NOT NULL GROUP BY fy_start, theme ORDER BY fy_start, theme",
        )
    ]
    result.top_suppliers = _top_suppliers(engine, filter_, top)
    result.overlaps = _overlaps(result.by_partner_theme, ruleset)
    result.unclassified = _unclassified(engine, filter_, top)
    result.areas = _areas(engine, filter_, area_level, population)
    return result


def _per_head(pence: int, population: int | None) -> int | None:
    """Pence per resident, rounded to the nearest penny (exactly, with integers)."""
    if not population:
        return None
    return round(Fraction(pence, population))


def _prevention_share(stages: list[dict[str, Any]]) -> float | None:
    pounds = {r["stage"]: r["pence"] for r in stages}
    service = sum(pounds.get(s, 0) for s in SERVICE_STAGES)
    return sum(pounds.get(s, 0) for s in PREVENTIVE) / service if service else None


def _population(engine: AnalyticsBackend, level: str) -> int | None:
    rows = _rows(engine, "SELECT sum(population) AS people FROM areas WHERE level = $level", {"level": level})
    people = rows[0]["people"] if rows else None
    return int(people) if people else None


def _top_suppliers(engine: AnalyticsBackend, filter_: _Filter, top: int) -> dict[str, list[dict[str, Any]]]:
    rows = _rows(
        engine,
        f"""SELECT theme, supplier, pence FROM (
        SELECT theme, supplier, sum(amount_pence) AS pence,
               row_number() OVER (PARTITION BY theme ORDER BY sum(amount_pence) DESC) AS rank
        {filter_.sql} AND theme IS NOT NULL GROUP BY theme, supplier) ranked WHERE rank <= $top
        ORDER BY theme, pence DESC""",
        {**filter_.params, "top": int(top)},
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["theme"], []).append({"supplier": row["supplier"], "pence": row["pence"]})
    return out


def _overlaps(partner_theme: list[dict[str, Any]], ruleset: RuleSet) -> list[dict[str, Any]]:
    """Themes several partners spend on: where pooling or alignment could start."""
    by_theme: dict[str, list[dict[str, Any]]] = {}
    for row in partner_theme:
        if row["theme"] and not ruleset.themes[row["theme"]].pass_through and row["pence"] > 0:
            by_theme.setdefault(row["theme"], []).append({"partner": row["partner"], "pence": row["pence"]})
    return [
        {"theme": t, "label": ruleset.themes[t].label, "partners": p, "pence": sum(x["pence"] for x in p)}
        for t, p in sorted(by_theme.items(), key=lambda kv: -sum(x["pence"] for x in kv[1]))
        if len(p) > 1
    ]


def _unclassified(engine: AnalyticsBackend, filter_: _Filter, top: int) -> dict[str, Any]:
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
    return {**total, "top_suppliers": suppliers, "top_categories": categories}


def _areas(engine: AnalyticsBackend, filter_: _Filter, level: str, population: int | None) -> dict[str, Any]:
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
        pence = located.get(area["code"], 0) + share.pence
        rows.append(
            {
                "code": area["code"],
                "name": area["name"],
                "population": area["population"],
                "located_pence": located.get(area["code"], 0),
                "apportioned_pence": share.pence,
                "pence": pence,
                "per_head_pence": _per_head(pence, area["population"]),
            }
        )
    return {
        "level": level,
        "apportioned_pence": unlocated if shares else 0,
        "method": "located lines by their area code; the rest by share of population",
        "rows": rows,
    }
