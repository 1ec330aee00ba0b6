"""Classifying lines: the first matching rule for each distinct combination of the fields rules read.

For speed, each field's distinct values are tested once against the rules that read that field, giving a
bitmask of the rules they satisfy (rules not reading the field are satisfied by any value). A combination's
winning rule is the lowest set bit of the AND of its fields' masks, since rules are numbered in the order
they are tried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

from totalplace.engines.spendmap.rules import MATCH_FIELDS, Condition, Rule, RuleSet

#: What a rule assigns, in the columns classify_combinations adds.
ASSIGNED: Final = ("rule_id", "theme", "cofog", "cohort", "stage")


@dataclass(frozen=True)
class Classification:
    """What a rule assigned (all None when no rule matched)."""

    rule_id: str | None
    theme: str | None
    cofog: str | None
    cohort: str | None
    stage: str | None


def _hits(condition: Condition, values: pa.Array) -> set[int] | None:
    """The positions of the values that pass ``condition``, tested by Arrow's RE2 over the whole array at
    once; None when the pattern is one RE2 does not read (look-arounds, back-references), for ``re`` to test.

    RE2 and ``re`` agree on ASCII text for the patterns RE2 accepts; values with other characters or a line
    break (where ``\\b``, case folding and ``$`` can differ) are tested again by ``re`` (see ``_passing``), so
    the answer is always ``re``'s. Everything stays in Arrow: in PyArrow 26 turning arrays into NumPy, or
    Python values into arrays, loads pandas.
    """
    import pyarrow.compute as pc

    if condition.pattern is None or condition.bounds is not None:
        return None
    try:
        found = pc.match_substring_regex(values, condition.pattern.pattern, ignore_case=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return set(pc.indices_nonzero(found).to_pylist())


def _passing(rule: Rule, field: str, values: _Values) -> set[int]:
    """The positions of the values that pass every condition ``rule`` sets on ``field``."""
    chosen = values.filled
    for condition in (c for c in rule.conditions if c.field == field):
        hits = _hits(condition, values.arrow)
        if hits is None:
            chosen = {i for i in chosen if condition.matches(values.texts[i])}
            continue
        retested = {i for i in chosen & values.unusual if condition.matches(values.texts[i])}
        chosen = ((chosen & hits) - values.unusual) | retested
    return chosen


@dataclass(frozen=True)
class _Values:
    """A field's distinct values: as Arrow, as Python, which are not empty, which RE2 may misread."""

    arrow: pa.Array
    texts: list[str | None]
    filled: set[int]
    unusual: set[int]

    @classmethod
    def of(cls, arrow: pa.Array) -> _Values:
        import pyarrow.compute as pc

        arrow = arrow.cast(pa.string())  # a column of nulls only is typed null
        texts: list[str | None] = arrow.to_pylist()
        filled = set(pc.indices_nonzero(pc.cast(pc.utf8_length(arrow), pa.bool_())).to_pylist())
        unusual = {i for i, text in enumerate(texts) if text and not (text.isascii() and "\n" not in text)}
        return cls(arrow, texts, filled, unusual)


def _field_masks(rules: Sequence[Rule], field: str, arrow: pa.Array) -> dict[str | None, int]:
    """Each distinct value of ``field`` (``arrow``) with the bitmask of the rules it satisfies."""
    free = 0  # rules that do not read this field
    reading: list[tuple[int, Rule]] = []
    for number, rule in enumerate(rules):
        if any(c.field == field for c in rule.conditions):
            reading.append((number, rule))
        else:
            free |= 1 << number
    values = _Values.of(arrow)
    masks = [free] * len(values.texts)
    for number, rule in reading:
        bit = 1 << number
        for i in _passing(rule, field, values):
            masks[i] |= bit
    return dict(zip(values.texts, masks, strict=True))


def classify_combinations(ruleset: RuleSet, combinations: pa.Table) -> pa.Table:
    """For a table of distinct field combinations (columns MATCH_FIELDS), add the rule and what it assigns."""
    import pyarrow.compute as pc

    from totalplace.backends.base import arrow_rows

    rules = ruleset.rules
    columns = {f: combinations.column(f).to_pylist() for f in MATCH_FIELDS}
    masks = {f: _field_masks(rules, f, pc.unique(combinations.column(f))) for f in MATCH_FIELDS}
    found: list[dict[str, object]] = []
    for i in range(combinations.num_rows):
        mask = -1
        for field in MATCH_FIELDS:
            mask &= masks[field][columns[field][i]]
            if not mask:
                break
        if mask:
            rule = rules[(mask & -mask).bit_length() - 1]
            cofog = ruleset.themes[rule.theme].cofog
            found.append(
                {
                    "rule_id": rule.id,
                    "theme": rule.theme,
                    "cofog": cofog,
                    "cohort": rule.cohort,
                    "stage": rule.stage,
                }
            )
        else:
            found.append({})
    # Arrow's JSON reader builds the columns: pa.array would load pandas (see backends.base.arrow_rows).
    assigned = arrow_rows(found, tuple((name, "string") for name in ASSIGNED))
    for name in ASSIGNED:
        combinations = combinations.append_column(name, assigned.column(name))
    return combinations
