"""Classification rules: order, conditions, validation, and the bitmask classifier."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from totalplace.engines.spendmap.classify import classify_combinations
from totalplace.engines.spendmap.rules import MATCH_FIELDS, load_rules
from totalplace.errors import ConfigurationError

PLACE_RULES = """
description: Trafford's own rules
source: written by the partnership's finance team, 2025
vintage: "2025"
licence: OGL v3.0
rules:
  - {id: place.leisure-trust, when: {supplier: {contains: "Leisure Trust"}}, theme: culture_leisure, cohort: whole_population, stage: universal}
  - {id: place.ld-nursing, when: {cost_centre: {regex: "learn dis"}, description: {contains: nursing}}, theme: adult_social_care, cohort: working_age, stage: acute}
"""


def _combos(**fields: list[str | None]) -> pa.Table:
    n = len(next(iter(fields.values())))
    return pa.table({f: pa.array(fields.get(f, [None] * n), pa.string()) for f in MATCH_FIELDS})


def _classify(tmp_path: Path, **fields: list[str | None]) -> list[str | None]:
    result = classify_combinations(load_rules(tmp_path), _combos(**fields))
    rule_ids: list[str | None] = result.column("rule_id").to_pylist()
    return rule_ids


def test_place_rules_come_first_and_all_conditions_must_hold(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "trafford.yaml").write_text(PLACE_RULES, encoding="utf-8")
    assert _classify(
        tmp_path,
        supplier=["Trafford Leisure Trust", "Acme", "Acme", "Acme"],
        proclass_code=["290000", "321311", None, None],
        cost_centre=[None, "LEARN DIS 18-64 LT", "LEARN DIS 18-64 LT", None],
        description=[None, "Nursing care fees", "Day services", None],
    ) == ["place.leisure-trust", "place.ld-nursing", "kw.asc-working-age-band", None]


def test_keyword_rules_come_before_procurement_categories(tmp_path: Path) -> None:
    assert _classify(
        tmp_path,
        proclass_code=["321311", "321311", "270000"],
        proclass_label=["SOCIAL CARE : Equipment", "SC : Children Residential Care", "ICT : Software"],
        cost_centre=["PHYS SUPP 85+ LT", None, None],
    ) == ["kw.asc-older-band", "proclass.social-care-children", "proclass.27-ict"]


def test_merchant_category_ranges(tmp_path: Path) -> None:
    assert _classify(tmp_path, merchant_category=["8211", "5811", "9399", "abc", None]) == [
        "mcc.education",
        "mcc.goods",
        "mcc.government",
        None,
        None,
    ]


def test_bad_rules_are_refused_with_the_rule_named(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    header = 'description: x\nsource: the finance team\nvintage: "2025"\nlicence: OGL\n'
    bad = {
        "theme": "rules:\n  - {id: r1, when: {supplier: {contains: x}}, theme: nonsense, cohort: whole_population, stage: universal}\n",
        "field": "rules:\n  - {id: r2, when: {colour: {contains: x}}, theme: housing, cohort: whole_population, stage: universal}\n",
        "regex": "rules:\n  - {id: r3, when: {supplier: {regex: '('}}, theme: housing, cohort: whole_population, stage: universal}\n",
        "duplicate": "rules:\n  - {id: kw.payroll, when: {supplier: {contains: x}}, theme: housing, cohort: whole_population, stage: universal}\n",
    }
    for problem, body in bad.items():
        (tmp_path / "rules" / "bad.yaml").write_text(header + body, encoding="utf-8")
        with pytest.raises(ConfigurationError):
            load_rules(tmp_path)
        assert problem


def test_default_rules_load_and_name_known_themes() -> None:
    ruleset = load_rules()
    assert len(ruleset.rules) > 50
    assert [r.priority for r in ruleset.rules] == sorted(r.priority for r in ruleset.rules)
    assert all(r.theme in ruleset.themes and r.stage in ruleset.stages for r in ruleset.rules)
