"""Drill-down: the lines behind any cell of the spending map, each with the rule that classified it."""

from __future__ import annotations

from typing import Any

from totalplace.backends.base import AnalyticsBackend
from totalplace.engines.spendmap.map import classify_view, year_start
from totalplace.engines.spendmap.rules import RuleSet


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
    if partner:
        where.append(f"lower(partner) = lower({_quote(partner)})")
    if theme:
        where.append(f"theme = {_quote(theme)}")
    if rule_id:
        where.append(f"rule_id = {_quote(rule_id)}")
    if unclassified:
        where.append("rule_id IS NULL")
    if supplier:
        where.append(f"lower(supplier) LIKE {_quote('%' + supplier.lower() + '%')}")
    if year:
        where.append(f"fy_start = {year_start(year)}")
    if area:
        where.append(f"area_code = {_quote(area)}")
    condition = " AND ".join(where)
    summary = engine.query(
        f"SELECT count(*) AS n, coalesce(sum(amount_pence), 0) AS pence FROM classified_spend "
        f"WHERE {condition}"
    ).to_pylist()[0]
    rows = engine.query(f"""SELECT batch_id, source_row, date, partner, supplier, amount_pence, description,
        cost_centre, expense_type, proclass_label, area_code, theme, cohort, stage, rule_id
        FROM classified_spend WHERE {condition} ORDER BY abs(amount_pence) DESC, batch_id, source_row
        LIMIT {int(limit)}""").to_pylist()
    for row in rows:
        row["date"] = row["date"].isoformat() if row["date"] else None
    return {"count": int(summary["n"]), "pence": int(summary["pence"]), "lines": rows}
