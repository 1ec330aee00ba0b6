"""The classifier tests each field's distinct values with Arrow's RE2 at once; its answers must be ``re``'s.

Where the two engines could differ (text that is not ASCII, a line break, a pattern RE2 does not read), the
classifier asks Python's ``re``; these tests compare it with a rule-by-rule, value-by-value ``re`` classifier.
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pytest

from totalplace.engines.spendmap import load_rules
from totalplace.engines.spendmap.classify import classify_combinations
from totalplace.engines.spendmap.rules import MATCH_FIELDS, Rule, RuleSet, parse_condition

TRICKY = [
    None,
    "",
    "Adult social care",
    "ADULT SOCIAL CARE",
    "adult\nsocial care",  # $ and line breaks
    "care$",
    "Café and catering",  # not ASCII: case folding and \b
    "CAFÉ",
    "Straße maintenance",
    "ﬁnance",  # a ligature that folds differently
    "Schools — SEND transport",
    "weight management",
    "HR 1234",
    "1234",
    "  77  ",
    "carers centre",
    "foster carer",
    "ICT maintenance and licences",
]


def _rule(number: int, field: str, spec: dict[str, object]) -> Rule:
    return Rule(
        id=f"r{number}",
        conditions=(parse_condition(f"r{number}", field, spec),),
        theme="adult_social_care",
        cohort="all",
        stage="targeted",
        priority=1,
        source="test",
    )


def _reference(ruleset: RuleSet, table: pa.Table) -> list[str | None]:
    """The first rule whose every condition ``re`` passes, combination by combination."""
    columns = {f: table.column(f).to_pylist() for f in MATCH_FIELDS}
    found: list[str | None] = []
    for i in range(table.num_rows):
        rule = next(
            (r for r in ruleset.rules if all(c.matches(columns[c.field][i]) for c in r.conditions)), None
        )
        found.append(rule.id if rule else None)
    return found


def _combinations(values: list[str | None]) -> pa.Table:
    arrays = {
        f: pa.array(values if f == "description" else [None] * len(values), pa.string()) for f in MATCH_FIELDS
    }
    return pa.table(arrays)


PATTERNS: list[dict[str, object]] = [
    {"regex": r"\bcaf[eé]\b"},
    {"regex": r"care$"},
    {"regex": r"^adult"},
    {"regex": r"(?<!foster )carer"},  # a look-behind: RE2 refuses it, so re answers
    {"regex": r"stra(ss|ß)e"},
    {"regex": r"finance"},
    {"regex": r"\d{4}"},
    {"regex": r"\bHR\b"},
    {"contains": "send"},
    {"prefix": "ict"},
    {"equals": "1234"},
    {"regex": r"weight\s+management|carers? centre"},
]


@pytest.mark.parametrize("spec", PATTERNS, ids=[str(p) for p in PATTERNS])
def test_each_pattern_answers_as_re_does(spec: dict[str, object]) -> None:
    base = load_rules()
    ruleset = replace(base, rules=(_rule(0, "description", spec),))
    table = classify_combinations(ruleset, _combinations(TRICKY))
    assert table.column("rule_id").to_pylist() == _reference(ruleset, _combinations(TRICKY))


def test_rules_in_order_first_match_wins_as_re_does() -> None:
    base = load_rules()
    ruleset = replace(base, rules=tuple(_rule(n, "description", p) for n, p in enumerate(PATTERNS)))
    combos = _combinations(TRICKY)
    assert classify_combinations(ruleset, combos).column("rule_id").to_pylist() == _reference(ruleset, combos)


def test_the_default_rules_answer_as_re_does_on_many_values() -> None:
    """The shipped rules over every value above and some made of their own words (so many match)."""
    ruleset = load_rules()
    words = [c.value for r in ruleset.rules for c in r.conditions if c.op in ("contains", "prefix")]
    values: list[str | None] = [*TRICKY, *words, *(w.upper() + " é" for w in words)]
    table = pa.table(
        {
            f: pa.array([v if f in ("description", "cost_centre") else None for v in values])
            for f in MATCH_FIELDS
        }
    )
    assert classify_combinations(ruleset, table).column("rule_id").to_pylist() == _reference(ruleset, table)
