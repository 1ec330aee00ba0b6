"""Classifying lines: the first matching rule for each distinct combination of the fields rules read.

For speed, each field's distinct values are tested once against the rules that read that field, giving a
bitmask of the rules they satisfy (rules not reading the field are satisfied by any value). A combination's
winning rule is the lowest set bit of the AND of its fields' masks, since rules are numbered in the order
they are tried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from totalplace.engines.spendmap.rules import MATCH_FIELDS, Condition, Rule, RuleSet


@dataclass(frozen=True)
class Classification:
    """What a rule assigned (all None when no rule matched)."""

    rule_id: str | None
    theme: str | None
    cofog: str | None
    cohort: str | None
    stage: str | None


def _vectorised(condition: Condition, values: pa.Array) -> npt.NDArray[np.bool_] | None:
    """Whether each value passes ``condition``, tested by Arrow's RE2 over the whole array at once; None when
    the pattern is one RE2 does not read (look-arounds, back-references), for Python's ``re`` to test.

    RE2 and ``re`` agree on ASCII text for the patterns RE2 accepts; values with other characters or a line
    break (where ``\\b``, case folding and ``$`` can differ) are tested again by ``re`` (see ``_passes``), so
    the answer is always ``re``'s.
    """
    import pyarrow.compute as pc

    if condition.pattern is None or condition.bounds is not None:
        return None
    try:
        found = pc.match_substring_regex(values, condition.pattern.pattern, ignore_case=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=np.bool_)


def _passes(
    rule: Rule, field: str, values: list[str | None], arrow: pa.Array, unusual: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """Whether each value passes every condition ``rule`` sets on ``field``; ``unusual``: the positions of
    values RE2 may answer differently for, which Python's ``re`` tests."""
    passes = np.asarray(_non_empty(arrow), dtype=np.bool_)  # None and "" pass no condition
    for condition in (c for c in rule.conditions if c.field == field):
        answers = _vectorised(condition, arrow)
        if answers is None:
            checked = [i for i in np.flatnonzero(passes) if condition.matches(values[i])]
            passes = np.zeros(len(values), dtype=np.bool_)
            passes[checked] = True
            continue
        retest = [i for i in unusual if passes[i]]
        passes &= answers
        for i in retest:
            passes[i] = condition.matches(values[i])
    return passes


def _non_empty(arrow: pa.Array) -> npt.NDArray[np.bool_]:
    """True where a value is neither null nor empty."""
    import pyarrow.compute as pc

    lengths = pc.fill_null(pc.utf8_length(arrow), 0)
    return np.asarray(lengths.to_numpy(zero_copy_only=False) > 0, dtype=np.bool_)


def _field_masks(rules: Sequence[Rule], field: str, values: set[str | None]) -> dict[str | None, int]:
    free = 0  # rules that do not read this field
    reading: list[tuple[int, Rule]] = []
    for number, rule in enumerate(rules):
        if any(c.field == field for c in rule.conditions):
            reading.append((number, rule))
        else:
            free |= 1 << number
    ordered = list(values)
    arrow = pa.array(ordered, pa.string())
    unusual = np.flatnonzero(
        [value is not None and not (value.isascii() and "\n" not in value) for value in ordered]
    )
    masks = [free] * len(ordered)
    for number, rule in reading:
        bit = 1 << number
        for i in np.flatnonzero(_passes(rule, field, ordered, arrow, unusual)):
            masks[i] |= bit
    return dict(zip(ordered, masks, strict=True))


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
