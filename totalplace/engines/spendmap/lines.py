"""Drill-down: the lines behind any cell of the spending map, each with the rule that classified it.

Every filter reaches the SQL as a bound parameter; the conditions themselves are fixed text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from totalplace.backends.base import AnalyticsBackend
from totalplace.backends.safe_sql import SqlValue
from totalplace.engines.spendmap.rules import RuleSet

#: The columns of a line, in the order the drill-down shows them.
LINE_COLUMNS = (
    "batch_id",
    "source_row",
    "date",
    "partner",
    "supplier",
    "amount_pence",
    "description",
    "cost_centre",
    "expense_type",
    "proclass_label",
    "area_code",
    "theme",
    "cohort",
    "stage",
    "rule_id",
)


@dataclass(frozen=True, slots=True)
class LineFilters:
    """Which lines to show: each filter given must hold (none given: every line)."""

    partner: str | None = None
    theme: str | None = None
    rule_id: str | None = None
    unclassified: bool = False
    supplier: str | None = None
    year: str | None = None
    area: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, as the drill-down page shows its filters."""
        return {
            "partner": self.partner,
            "theme": self.theme,
            "rule_id": self.rule_id,
            "unclassified": self.unclassified,
            "supplier": self.supplier,
            "year": self.year,
            "area": self.area,
        }


@dataclass(frozen=True, slots=True)
class SpendLine:
    """One spending line as imported, with where it came from and how it was classified."""

    batch_id: int
    source_row: int
    date: str | None
    partner: str
    supplier: str | None
    amount_pence: int
    description: str | None
    cost_centre: str | None
    expense_type: str | None
    proclass_label: str | None
    area_code: str | None
    theme: str | None
    cohort: str | None
    stage: str | None
    rule_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the date as ISO text)."""
        return {column: getattr(self, column) for column in LINE_COLUMNS}


@dataclass(frozen=True, slots=True)
class SpendLines:
    """The lines matching a drill-down, biggest first (up to its limit), with the count and total of all."""

    count: int
    pence: int
    lines: tuple[SpendLine, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"count": self.count, "pence": self.pence, "lines": [r.to_dict() for r in self.lines]}


def classify_view(engine: AnalyticsBackend, ruleset: RuleSet) -> None:
    """:func:`totalplace.engines.spendmap.map.classify_view`, imported when first called: it loads PyArrow,
    which a command that only lists rules (and imports the lines' types) must not."""
    from totalplace.engines.spendmap.map import classify_view as define

    define(engine, ruleset)


def find_lines(
    engine: AnalyticsBackend,
    ruleset: RuleSet,
    *,
    partner: str | None = None,
    theme: str | None = None,
    rule_id: str | None = None,
    unclassified: bool = False,
    supplier: str | None = None,
    year: str | None = None,
    area: str | None = None,
    limit: int = 50,
) -> SpendLines:
    """Lines matching every filter given, biggest first, with their count and total."""
    filters = LineFilters(partner, theme, rule_id, unclassified, supplier, year, area)
    return lines_matching(engine, ruleset, filters, limit=limit)


def lines_matching(
    engine: AnalyticsBackend, ruleset: RuleSet, filters: LineFilters, *, limit: int = 50
) -> SpendLines:
    """Lines matching ``filters``, biggest first, with their count and total."""
    classify_view(engine, ruleset)
    condition, params = _where(filters)
    summary = engine.query(
        f"SELECT count(*) AS n, coalesce(sum(amount_pence), 0) AS pence FROM classified_spend "
        f"WHERE {condition}",
        params,
    ).to_pylist()[0]
    rows = engine.query(
        f"""SELECT {", ".join(LINE_COLUMNS)}
        FROM classified_spend WHERE {condition} ORDER BY abs(amount_pence) DESC, batch_id, source_row
        LIMIT $limit""",
        {**params, "limit": int(limit)},
    ).to_pylist()
    return SpendLines(int(summary["n"]), int(summary["pence"]), tuple(_line(row) for row in rows))


def _where(filters: LineFilters) -> tuple[str, dict[str, SqlValue]]:
    """The fixed conditions for the filters given, and their values (bound, never pasted)."""
    from totalplace.engines.spendmap.map import year_start  # PyArrow: only when reading lines

    where = ["true"]
    params: dict[str, SqlValue] = {}
    supplier = filters.supplier and f"%{_like_escaped(filters.supplier.lower())}%"
    for value, condition, name in (
        (filters.partner, "lower(partner) = lower($partner)", "partner"),
        (filters.theme, "theme = $theme", "theme"),
        (filters.rule_id, "rule_id = $rule", "rule"),
        (supplier, "lower(supplier) LIKE $supplier ESCAPE '!'", "supplier"),
        (filters.year and year_start(filters.year), "fy_start = $fy", "fy"),
        (filters.area, "area_code = $area", "area"),
    ):
        if value:
            where.append(condition)
            params[name] = value
    if filters.unclassified:
        where.append("rule_id IS NULL")
    return " AND ".join(where), params


def _line(row: dict[str, Any]) -> SpendLine:
    """A row of ``classified_spend`` as a typed line (its date as ISO text)."""
    day: date | None = row["date"]
    return SpendLine(**{**row, "date": day.isoformat() if day else None})


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE ... ESCAPE '!': its own % and _ are not wildcards."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
