"""Classifying lines: the first matching rule for each distinct combination of the fields rules read.

For speed, each field's distinct values are tested once against the rules that read that field, giving a
bitmask of the rules they satisfy (rules not reading the field are satisfied by any value). A combination's
winning rule is the lowest set bit of the AND of its fields' masks, since rules are numbered in the order
they are tried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from totalplace.engines.spendmap.rules import MATCH_FIELDS, Rule, RuleSet


@dataclass(frozen=True)
class Classification:
    """What a rule assigned (all None when no rule matched)."""

    rule_id: str | None
    theme: str | None
    cofog: str | None
    cohort: str | None
    stage: str | None


def _field_masks(rules: Sequence[Rule], field: str, values: set[str | None]) -> dict[str | None, int]:
    free = 0  # rules that do not read this field
    reading: list[tuple[int, Rule]] = []
    for number, rule in enumerate(rules):
        if any(c.field == field for c in rule.conditions):
            reading.append((number, rule))
        else:
            free |= 1 << number
    masks: dict[str | None, int] = {}
    for value in values:
        mask = free
        for number, rule in reading:
            if all(c.matches(value) for c in rule.conditions if c.field == field):
                mask |= 1 << number
        masks[value] = mask
    return masks


def classify_combinations(ruleset: RuleSet, combinations: pa.Table) -> pa.Table:
    """For a table of distinct field combinations (columns MATCH_FIELDS), add the rule and what it assigns."""
    rules = ruleset.rules
    columns = {f: combinations.column(f).to_pylist() for f in MATCH_FIELDS}
    masks = {f: _field_masks(rules, f, set(columns[f])) for f in MATCH_FIELDS}
    out: dict[str, list[str | None]] = {k: [] for k in ("rule_id", "theme", "cofog", "cohort", "stage")}
    values: tuple[str | None, ...]
    for i in range(combinations.num_rows):
        mask = -1
        for field in MATCH_FIELDS:
            mask &= masks[field][columns[field][i]]
            if not mask:
                break
        if mask:
            rule = rules[(mask & -mask).bit_length() - 1]
            values = (rule.id, rule.theme, ruleset.themes[rule.theme].cofog, rule.cohort, rule.stage)
        else:
            values = (None, None, None, None, None)
        for key, value in zip(out, values, strict=True):
            out[key].append(value)
    return (
        combinations.append_column("rule_id", pa.array(out["rule_id"], pa.string()))
        .append_column("theme", pa.array(out["theme"], pa.string()))
        .append_column("cofog", pa.array(out["cofog"], pa.string()))
        .append_column("cohort", pa.array(out["cohort"], pa.string()))
        .append_column("stage", pa.array(out["stage"], pa.string()))
    )
