"""Classification rules: which spending lines go to which theme, cohort and prevention stage, and why.

A rule has an id, conditions on a line's fields (all must hold), and what it assigns. Rules are tried in
order of priority (place rules first, then the packaged keyword, Proclass and merchant-category rules); the
first that matches classifies the line and its id travels with every pound it classifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from totalplace.errors import ConfigurationError
from totalplace.parameters import ParameterFile, load_parameter, parse_parameter_text

MATCH_FIELDS: Final = (
    "proclass_code",
    "proclass_label",
    "merchant_category",
    "cost_centre",
    "expense_type",
    "description",
    "supplier",
)
OPS: Final = ("equals", "prefix", "contains", "regex", "between")
DEFAULT_RULE_FILES: Final = (
    "classification/keywords.yaml",
    "classification/partner_services.yaml",
    "classification/cofog.yaml",
    "classification/proclass.yaml",
    "classification/merchant_categories.yaml",
)
PLACE_RULES_DIR: Final = "rules"
PLACE_PRIORITY: Final = 0


@dataclass(frozen=True)
class Condition:
    """One test on one field of a line (case-insensitive)."""

    field: str
    op: str
    value: str
    pattern: re.Pattern[str] | None = None
    bounds: tuple[int, int] | None = None

    def matches(self, text: str | None) -> bool:
        """True when the field's value passes this test."""
        if text is None or text == "":
            return False
        if self.bounds is not None:
            low, high = self.bounds
            return text.strip().isdigit() and low <= int(text) <= high
        if self.pattern is not None:
            return self.pattern.search(text) is not None
        return False

    def describe(self) -> str:
        """The test as a person reads it, e.g. ``supplier contains care``."""
        return f"{self.field} {self.op} {self.value}"


@dataclass(frozen=True)
class Rule:
    """A classification rule and what it assigns."""

    id: str
    conditions: tuple[Condition, ...]
    theme: str
    cohort: str
    stage: str
    priority: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the rule with its conditions as text (``totalplace spend rules list --json``)."""
        return {
            "id": self.id,
            "source": self.source,
            "priority": self.priority,
            "theme": self.theme,
            "cohort": self.cohort,
            "stage": self.stage,
            "when": [c.describe() for c in self.conditions],
        }


@dataclass(frozen=True)
class Theme:
    """A service theme and the COFOG division it belongs to."""

    id: str
    label: str
    cofog: str
    pass_through: bool


@dataclass(frozen=True)
class RuleSet:
    """The rules in the order they are tried, with the taxonomy they assign from."""

    rules: tuple[Rule, ...]
    themes: dict[str, Theme]
    cofog: dict[str, str]
    cohorts: dict[str, str]
    stages: dict[str, str]
    sources: tuple[str, ...]


def _condition(rule_id: str, field: str, spec: Any) -> Condition:
    if field not in MATCH_FIELDS:
        raise ConfigurationError(
            f"rule {rule_id}: unknown field {field!r}", hint=f"fields are: {', '.join(MATCH_FIELDS)}"
        )
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in OPS:
        raise ConfigurationError(f"rule {rule_id}: {field} needs one of {', '.join(OPS)}")
    op, value = next(iter(spec.items()))
    if op == "between":
        low, high = (int(v) for v in value)
        return Condition(field, op, f"{low}-{high}", bounds=(low, high))
    text = str(value)
    regex = {
        "equals": f"^{re.escape(text)}$",
        "prefix": f"^{re.escape(text)}",
        "contains": re.escape(text),
        "regex": text,
    }[op]
    try:
        return Condition(field, op, text, re.compile(regex, re.IGNORECASE))
    except re.error as exc:
        raise ConfigurationError(
            f"rule {rule_id}: the pattern {text!r} is not a valid regular expression: {exc}"
        ) from None


def _rules_from(document: ParameterFile, taxonomy: dict[str, Any], default_priority: int) -> list[Rule]:
    priority = int(document.body.get("priority", default_priority))
    rules: list[Rule] = []
    for entry in document.body.get("rules") or []:
        rule_id = str(entry.get("id") or "")
        if not rule_id:
            raise ConfigurationError(f"{document.name}: a rule has no id")
        conditions = tuple(_condition(rule_id, f, s) for f, s in (entry.get("when") or {}).items())
        if not conditions:
            raise ConfigurationError(f"rule {rule_id} has no conditions (when:)")
        for key, known in (
            ("theme", taxonomy["themes"]),
            ("cohort", taxonomy["cohorts"]),
            ("stage", taxonomy["stages"]),
        ):
            if entry.get(key) not in known:
                raise ConfigurationError(
                    f"rule {rule_id}: unknown {key} {entry.get(key)!r}",
                    hint=f"{key}s are: {', '.join(known)}",
                )
        rules.append(
            Rule(
                rule_id, conditions, entry["theme"], entry["cohort"], entry["stage"], priority, document.name
            )
        )
    return rules


def load_rules(place_dir: Path | None = None, extra_files: list[Path] | None = None) -> RuleSet:
    """The place's rules (``<place>/rules/*.yaml`` and any extra files) before the packaged defaults."""
    taxonomy = load_parameter("classification/taxonomy.yaml").body
    documents: list[tuple[ParameterFile, int]] = []
    place_files = sorted((place_dir / PLACE_RULES_DIR).glob("*.yaml")) if place_dir else []
    for path in [*place_files, *(extra_files or [])]:
        documents.append((parse_parameter_text(path.name, path.read_bytes()), PLACE_PRIORITY))
    documents.extend((load_parameter(name), 1000) for name in DEFAULT_RULE_FILES)
    rules: list[Rule] = []
    for document, priority in documents:
        rules.extend(_rules_from(document, taxonomy, priority))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ConfigurationError(f"two rules have the id {rule.id}", hint="rule ids must be unique")
        seen.add(rule.id)
    ordered = tuple(sorted(rules, key=lambda r: r.priority))  # stable: file order within a priority
    themes = {
        k: Theme(k, v["label"], str(v["cofog"]), bool(v.get("pass_through", False)))
        for k, v in taxonomy["themes"].items()
    }
    return RuleSet(
        ordered,
        themes,
        {str(k): v for k, v in taxonomy["cofog"].items()},
        dict(taxonomy["cohorts"]),
        dict(taxonomy["stages"]),
        tuple(d.name for d, _ in documents),
    )
