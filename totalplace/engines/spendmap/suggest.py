"""Learning rules from a place's own classified lines, and measuring coverage on lines held out.

A cost centre (or a word of the purpose) whose classified pounds land at least ``min_share`` in one theme
says what that cost centre is for; where the same cost centre also has unclassified lines, a rule naming it
would classify them. Each suggestion carries the pounds it would classify among the unclassified lines, and
is only ever a proposal: a person reads it and keeps it with ``spend rules add`` (versioned and audited).
Suggestions never name a supplier, so they describe a service and carry over to other years.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from totalplace.engines.spendmap.classify import classify_combinations
from totalplace.engines.spendmap.rules import MATCH_FIELDS, RuleSet

if TYPE_CHECKING:
    from totalplace.backends.base import AnalyticsBackend

LEARN_FIELDS: Final = ("cost_centre", "expense_type", "description")
MIN_SHARE: Final = 0.95
MIN_EVIDENCE: Final = 5  # classified lines a cost centre or word must have been seen on
_WORD: Final = re.compile(r"[a-z][a-z&'-]{3,}")
# Words too general to say what a line is for: they appear under every service.
_STOP_WORDS: Final = (
    "with from that this other services service costs cost general misc miscellaneous payment payments "
    "supplies expenses expenditure contract contracts fees charges team support management income "
    "recharge recharges various sundry invoice invoices account"
)
_STOP: Final = frozenset(_STOP_WORDS.split(" "))


@dataclass(frozen=True)
class Coverage:
    """Gross pounds classified on a set of lines (credits count by size, so they cannot flatter it)."""

    gross_pence: int
    classified_pence: int
    lines: int

    @property
    def share(self) -> float:
        """Classified share of gross pounds (1.0 for no lines)."""
        return self.classified_pence / self.gross_pence if self.gross_pence else 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "gross_pence": self.gross_pence,
            "classified_pence": self.classified_pence,
            "lines": self.lines,
            "share": round(self.share, 4),
        }


@dataclass(frozen=True)
class Suggestion:
    """A proposed rule: lines whose ``field`` equals (or, for a word, contains) ``value`` go to ``theme``."""

    field: str
    op: str
    value: str
    theme: str
    cohort: str
    stage: str
    share: float  # of the classified pounds with this value that already land in ``theme``
    learned_pence: int  # classified gross pounds it was learned from
    would_classify_pence: int  # unclassified gross pounds it would classify beyond the suggestions before it
    would_classify_lines: int

    @property
    def rule_id(self) -> str:
        """A readable id for the rule, unique within one set of suggestions."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.value.lower()).strip("-")[:40]
        return f"suggested.{self.field.replace('_', '-')}.{slug}"

    def _rule(self) -> dict[str, Any]:
        """The rule as it is written in a place's rules file."""
        return {
            "id": self.rule_id,
            "when": {self.field: {self.op: self.value}},
            "theme": self.theme,
            "cohort": self.cohort,
            "stage": self.stage,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the rule and the evidence for it."""
        return {
            "rule": self._rule(),
            "share": round(self.share, 4),
            "learned_pence": self.learned_pence,
            "would_classify_pence": self.would_classify_pence,
            "would_classify_lines": self.would_classify_lines,
        }


@dataclass(frozen=True)
class Suggestions:
    """Proposed rules, most pounds first, and the coverage before and after accepting all of them."""

    suggestions: tuple[Suggestion, ...]
    before: Coverage
    after: Coverage
    min_share: float
    min_pence: int

    def rules_yaml(self) -> str:
        """The suggestions as a rules file a person can edit and keep with ``spend rules add``."""
        import yaml

        body = {
            "description": "Rules suggested from the place's classified lines; check each before keeping.",
            "source": "totalplace spend rules suggest, from the place's own classified spending lines",
            "vintage": "the lines in the place when suggested",
            "licence": "The place's own rules.",
            "rules": [s._rule() for s in self.suggestions],
        }
        return str(yaml.safe_dump(body, sort_keys=False, allow_unicode=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "suggestions": [s.to_dict() for s in self.suggestions],
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "min_share": self.min_share,
            "min_pence": self.min_pence,
        }


def _with_fields(lines: pa.Table) -> pa.Table:
    for name in MATCH_FIELDS:  # a file may not carry every field the rules read
        if name not in lines.column_names:
            lines = lines.append_column(name, pa.nulls(lines.num_rows, pa.string()))
    return lines


def classify_lines(lines: pa.Table, ruleset: RuleSet) -> pa.Table:
    """The lines (columns MATCH_FIELDS and amount_pence) with ``rule_id``, ``theme``, ``cohort``, ``stage``
    and ``gross_pence`` added: each distinct combination of fields classified once."""
    lines = _with_fields(lines)
    keys = list(MATCH_FIELDS)
    gross = pc.abs(lines.column("amount_pence"))
    grouped = lines.select(keys).append_column("gross_pence", gross)
    combos = grouped.group_by(keys, use_threads=False).aggregate(
        [("gross_pence", "sum"), ("gross_pence", "count")]
    )
    classified = classify_combinations(ruleset, combos.select(keys))
    return classified.append_column("gross_pence", combos.column("gross_pence_sum")).append_column(
        "lines", combos.column("gross_pence_count")
    )


def coverage(lines: pa.Table, ruleset: RuleSet) -> Coverage:
    """How many gross pounds of ``lines`` the rules classify."""
    return _coverage_of(classify_lines(lines, ruleset))


def _coverage_of(classified: pa.Table) -> Coverage:
    gross = classified.column("gross_pence")
    hit = pc.is_valid(classified.column("rule_id"))
    total = pc.sum(gross).as_py() or 0
    done = pc.sum(pc.filter(gross, hit)).as_py() or 0
    return Coverage(int(total), int(done), int(pc.sum(classified.column("lines")).as_py() or 0))


def _keys(field: str, value: str | None) -> Iterable[tuple[str, str, str]]:
    """The (field, op, value) keys a value is evidence for: the whole value, and each telling word."""
    if not value or not value.strip():
        return
    yield field, "equals", value.strip()
    if field == "description":
        for word in set(_WORD.findall(value.lower())) - _STOP:
            yield field, "word", word


@dataclass
class _Tally:
    themes: dict[tuple[str, str, str], int]
    learned_lines: int = 0
    unclassified: list[int] = field(default_factory=list)  # rows (distinct combinations) no rule classifies


def _tally(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], _Tally]:
    tallies: dict[tuple[str, str, str], _Tally] = defaultdict(lambda: _Tally(defaultdict(int)))
    for number, row in enumerate(rows):
        for name in LEARN_FIELDS:
            for key in _keys(name, row[name]):
                tally = tallies[key]
                if row["theme"] is None:
                    tally.unclassified.append(number)
                else:
                    tally.themes[(row["theme"], row["cohort"], row["stage"])] += row["gross_pence"]
                    tally.learned_lines += row["lines"]
    return tallies


def _proposal(
    key: tuple[str, str, str], tally: _Tally, min_share: float, min_evidence: int
) -> tuple[Suggestion, list[int]] | None:
    """The rule ``key`` would be, if its classified lines are evidence enough (pounds still to count)."""
    learned = sum(tally.themes.values())
    if not tally.unclassified or tally.learned_lines < min_evidence:
        return None
    (theme, cohort, stage), pence = max(tally.themes.items(), key=lambda kv: kv[1])
    if pence / learned < min_share:
        return None
    name, op, value = key
    if op == "word":
        op, value = "regex", rf"\b{re.escape(value)}\b"
    return Suggestion(
        name, op, value, theme, cohort, stage, pence / learned, learned, 0, 0
    ), tally.unclassified


def suggest_rules(
    lines: pa.Table,
    ruleset: RuleSet,
    *,
    min_pence: int = 0,
    min_share: float = MIN_SHARE,
    min_evidence: int = MIN_EVIDENCE,
    limit: int = 50,
) -> Suggestions:
    """Rules learned from ``lines``' classified lines (at least ``min_evidence`` of them, ``min_share`` of
    their pounds in one theme), each classifying at least ``min_pence`` unclassified gross pounds more than
    the suggestions listed before it; ``after`` is the coverage with every suggestion accepted."""
    classified = classify_lines(lines, ruleset)
    before = _coverage_of(classified)
    rows = classified.select([*LEARN_FIELDS, "theme", "cohort", "stage", "gross_pence", "lines"]).to_pylist()
    found = (_proposal(k, t, min_share, min_evidence) for k, t in _tally(rows).items())
    candidates = [c for c in found if c is not None]
    chosen = _greedy(candidates, rows, max(min_pence, 1), limit)
    after = _coverage_of(classify_lines(lines, with_suggestions(ruleset, chosen))) if chosen else before
    return Suggestions(tuple(chosen), before, after, min_share, min_pence)


def _greedy(
    candidates: list[tuple[Suggestion, list[int]]], rows: list[dict[str, Any]], min_pence: int, limit: int
) -> list[Suggestion]:
    """Most new pounds first: each suggestion counts only the lines no suggestion before it classifies, so
    four words of one purpose do not each claim the same pounds."""

    def pence(numbers: Iterable[int]) -> int:
        return sum(int(rows[n]["gross_pence"]) for n in numbers)

    pending = sorted(candidates, key=lambda c: (-pence(c[1]), c[0].field, c[0].value))
    covered: set[int] = set()
    chosen: list[Suggestion] = []
    seen: set[str] = set()
    for suggestion, numbers in pending:
        new = [n for n in numbers if n not in covered]
        gained = pence(new)
        if gained < min_pence or suggestion.rule_id in seen:
            continue
        covered.update(new)
        seen.add(suggestion.rule_id)
        lines = sum(int(rows[n]["lines"]) for n in new)
        chosen.append(replace(suggestion, would_classify_pence=gained, would_classify_lines=lines))
        if len(chosen) == limit:
            break
    return chosen


def with_suggestions(ruleset: RuleSet, suggestions: Iterable[Suggestion]) -> RuleSet:
    """The rule set with the suggestions tried first, as they would be once kept as the place's rules."""
    from totalplace.engines.spendmap.rules import Rule, parse_condition

    added = tuple(
        Rule(
            s.rule_id,
            (parse_condition(s.rule_id, s.field, {s.op: s.value}),),
            s.theme,
            s.cohort,
            s.stage,
            0,
            "suggested",
        )
        for s in suggestions
    )
    return replace(ruleset, rules=added + ruleset.rules)


def active_lines(engine: AnalyticsBackend, year: str | None = None) -> pa.Table:
    """The place's active spend lines (the fields rules read, and their pence), of one year or all."""
    from totalplace.engines.spendmap.map import FINANCIAL_YEAR, year_start

    fields = ", ".join(f"s.{f}" for f in MATCH_FIELDS)
    where = "c.status = 'active'"
    params: dict[str, Any] = {}
    if year is not None:
        where += f" AND {FINANCIAL_YEAR} = $start"
        params["start"] = year_start(year)
    return engine.query(
        f"SELECT {fields}, s.amount_pence "
        f"FROM spend s JOIN catalog c ON c.batch_id = s.batch_id WHERE {where}",
        params,
    )
