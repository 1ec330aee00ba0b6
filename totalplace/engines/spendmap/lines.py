"""Drill-down: the lines behind any cell of the spending map, each with the rule that classified it.

Every filter reaches the SQL as a bound parameter; the conditions themselves are fixed text.
"""

from __future__ import annotations

from typing import Any

from totalplace.backends.base import AnalyticsBackend
from totalplace.backends.safe_sql import SqlValue
from totalplace.engines.spendmap.map import classify_view, year_start
from totalplace.engines.spendmap.rules import RuleSet


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
) -> dict[str, Any]:
    """Lines matching every filter given, biggest first, with their count and total."""
    classify_view(engine, ruleset)
    where = ["true"]
    params: dict[str, SqlValue] = {"limit": int(limit)}
    for value, condition, name in (
        (partner, "lower(partner) = lower($partner)", "partner"),
        (theme, "theme = $theme", "theme"),
        (rule_id, "rule_id = $rule", "rule"),
        (
            supplier and f"%{_like_escaped(supplier.lower())}%",
            "lower(supplier) LIKE $supplier ESCAPE '!'",
            "supplier",
        ),
        (year and year_start(year), "fy_start = $fy", "fy"),
        (area, "area_code = $area", "area"),
    ):
        if value:
            where.append(condition)
            params[name] = value
    if unclassified:
        where.append("rule_id IS NULL")
    condition = " AND ".join(where)
    counted = {k: v for k, v in params.items() if k != "limit"}
    summary = engine.query(
        f"SELECT count(*) AS n, coalesce(sum(amount_pence), 0) AS pence FROM classified_spend "
        f"WHERE {condition}",
        counted,
    ).to_pylist()[0]
    rows = engine.query(
        f"""SELECT batch_id, source_row, date, partner, supplier, amount_pence, description,
        cost_centre, expense_type, proclass_label, area_code, theme, cohort, stage, rule_id
        FROM classified_spend WHERE {condition} ORDER BY abs(amount_pence) DESC, batch_id, source_row
        LIMIT $limit""",
        params,
    ).to_pylist()
    for row in rows:
        row["date"] = row["date"].isoformat() if row["date"] else None
    return {"count": int(summary["n"]), "pence": int(summary["pence"]), "lines": rows}


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE ... ESCAPE '!': its own % and _ are not wildcards."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
