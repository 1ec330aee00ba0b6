"""Classification rules: which spending lines go to which theme, cohort and prevention stage, and why.

A rule has an id, conditions on a line's fields (all must hold), and what it assigns. Rules are tried in
order of priority (the place's own rules first, kept in its store as versioned objects of kind ``rules``,
then the packaged keyword, Proclass and merchant-category rules); the first that matches classifies the line
and its id travels with every pound it classifies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from totalplace.errors import ConfigurationError
from totalplace.governance.policy import Resource
from totalplace.parameters import ParameterFile, load_parameter, parse_parameter_text
from totalplace.store import versions

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place
    from totalplace.store.versions import Version

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
    "classification/services.yaml",
    "classification/proclass.yaml",
    "classification/merchant_categories.yaml",
)
PLACE_RULES_DIR: Final = "rules"  # where a place made before versioning kept its rules (imported when opened)
KIND: Final = "rules"
_RULES_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
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


def parse_condition(rule_id: str, field: str, spec: Any) -> Condition:
    """One condition as a rules file writes it (``{regex: ...}``), checked as a file's would be."""
    return _condition(rule_id, field, spec)


def _rules_from(document: ParameterFile, taxonomy: dict[str, Any], default_priority: int) -> list[Rule]:
    priority = int(document.body.get("priority", default_priority))
    rules: list[Rule] = []
    for entry in _expanded(document.body.get("rules") or []):
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


def _expanded(entries: list[Any]) -> list[Any]:
    """Rules written once for several fields (``fields: [cost_centre, expense_type]`` with ``match:``) as one
    rule per field, ``<id>.<field>``: a service word means the same in a cost centre, an expense type or a
    purpose, and councils put it in different ones."""
    out: list[Any] = []
    for entry in entries:
        if not isinstance(entry, dict) or "fields" not in entry:
            out.append(entry)
            continue
        base = {k: v for k, v in entry.items() if k not in ("fields", "match")}
        for field in entry["fields"]:
            out.append({**base, "id": f"{entry.get('id')}.{field}", "when": {field: entry.get("match")}})
    return out


def place_rule_texts(source: Place | Path | None) -> list[tuple[str, str | bytes]]:
    """The place's own rule files as (file name, text): the versions in force in a place's store (kind
    ``rules``, by name), or ``rules/*.yaml`` under a plain folder."""
    from totalplace.place import Place

    if isinstance(source, Place):
        with source.read() as conn:
            return [(f"{v.name}.yaml", v.body) for v in versions.currents(conn, KIND)]
    if source is None:
        return []
    return [(p.name, p.read_bytes()) for p in sorted((source / PLACE_RULES_DIR).glob("*.yaml"))]


def rules_signature(place: Place) -> tuple[tuple[str, int], ...]:
    """(name, version in force) of each of the place's rule files: changes exactly when one of them does."""
    with place.read() as conn:
        return versions.signature(conn, KIND)


def save_rules(
    place: Place,
    name: str,
    text: str,
    principal: Principal,
    *,
    reason: str = "",
    restored_from: int | None = None,
) -> Version:
    """Keep ``text`` as the next version of the place's rule file ``name``, if ``principal`` may change the
    place's classification (``library.change``) and the rules load with the others (ids unique, fields,
    themes, cohorts and stages known)."""
    principal.require("library.change", Resource("library", KIND))
    if _RULES_NAME.match(name) is None:
        raise ConfigurationError(
            f"{name[:60]!r} cannot name a rules file", hint="use lower-case letters, digits and -"
        )
    others = [(f, t) for f, t in place_rule_texts(place) if f != f"{name}.yaml"]
    _load([*others, (f"{name}.yaml", text)])  # refuse rules that would not load, before keeping them
    with place.begin() as conn:
        return versions.add(
            conn,
            kind=KIND,
            name=name,
            body=text,
            owner_id=None,
            actor=principal.username,
            reason=reason.strip() or "rules changed",
            restored_from=restored_from,
        )


def load_rules(source: Place | Path | None = None, extra_files: list[Path] | None = None) -> RuleSet:
    """The place's rules (its store's, or ``<folder>/rules/*.yaml``) and any extra files, before the
    packaged defaults."""
    extra: list[tuple[str, str | bytes]] = [(p.name, p.read_bytes()) for p in extra_files or []]
    return _load([*place_rule_texts(source), *extra])


def _load(place_texts: list[tuple[str, str | bytes]]) -> RuleSet:
    taxonomy = load_parameter("classification/taxonomy.yaml").body
    documents: list[tuple[ParameterFile, int]] = []
    for file, text in place_texts:
        documents.append((parse_parameter_text(file, text), PLACE_PRIORITY))
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
