"""How much of a council's spending the default rules classify on lines they were not tuned on.

Trafford Council's 2024-25 supplier spend is split by month: the TUNE months (April to September) are the
only lines looked at while widening the service vocabulary; the HELD-OUT months (October to March) and
Lambeth's June 2012 invoices (another council, another decade) are only measured. Coverage is the share of
gross pounds a rule classifies. Pass ``--rules FILE`` for the rules as they were before a change (e.g. the
keywords.yaml of an earlier commit) to compare. Prints one JSON line.

    python benchmarks/classification.py [--data ../shared/data] [--before-keywords OLD_KEYWORDS.yaml]

"before" is the default rules without services.yaml (the vocabulary this benchmark was written for).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from totalplace.datasets.importer import ImportRequest, parse_file
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import read_path
from totalplace.engines.spendmap import load_rules
from totalplace.engines.spendmap.rules import RuleSet
from totalplace.engines.spendmap.suggest import Suggestion, coverage, suggest_rules, with_suggestions

TRAFFORD = "la_finance/trafford-supplier-spend-2024-25.zip"
LAMBETH = "la_finance/lambeth_invoices_over_500_2012-06.csv.gz"
TUNE_MONTHS = (4, 5, 6, 7, 8, 9)


def read(path: Path) -> pa.Table:
    """The file's lines as the importer parses them."""
    limits = ImportLimits.from_settings()
    return parse_file(read_path(path, limits), path.name, ImportRequest("spend"), limits).to_arrow()


def split_by_month(lines: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(tune, held-out): April-September and October-March."""
    tune = pc.is_in(pc.month(lines.column("date")), pa.array(TUNE_MONTHS, pa.int64()))
    return lines.filter(tune), lines.filter(pc.invert(tune))


def measure(rules: RuleSet, sets: dict[str, pa.Table]) -> dict[str, float]:
    """Classified share of gross pounds on each set."""
    return {name: round(coverage(lines, rules).share, 4) for name, lines in sets.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--before-keywords", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    tune, held = split_by_month(read(args.data / TRAFFORD))
    sets = {
        "trafford_tune_apr_sep": tune,
        "trafford_held_oct_mar": held,
        "lambeth_2012_06": read(args.data / LAMBETH),
    }
    result: dict[str, object] = {"benchmark": "classification", "after": measure(load_rules(), sets)}
    result["before"] = measure(_rules_before(args.before_keywords), sets)
    learned = suggest_rules(tune, load_rules(), min_pence=100_000_00)  # learned on the tune months only

    result["suggested_rules"] = [_brief(x) for x in learned.suggestions]
    result["with_suggestions"] = measure(with_suggestions(load_rules(), learned.suggestions), sets)
    # What `spend rules suggest` proposes on each held-out set, learning from that set's own lines (as a
    # place does with its own spending), and the coverage if a person accepted every proposal.
    for name in ("trafford_held_oct_mar", "lambeth_2012_06"):
        own = suggest_rules(sets[name], load_rules(), min_pence=50_000_00)
        result[f"suggested_on_{name}"] = {
            "rules": [_brief(x) for x in own.suggestions],
            "before": round(own.before.share, 4),
            "after_accepting_all": round(own.after.share, 4),
        }
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))


def _brief(suggestion: Suggestion) -> dict[str, object]:
    return {
        "when": f"{suggestion.field} {suggestion.op} {suggestion.value}",
        "theme": suggestion.theme,
        "share": round(suggestion.share, 3),
        "pence": suggestion.would_classify_pence,
    }


def _rules_before(keywords: Path | None) -> RuleSet:
    """The default rules as they were before the service vocabulary (services.yaml) was added, with
    keywords.yaml replaced by ``keywords`` if given (e.g. ``git show REF:.../keywords.yaml``)."""
    from unittest import mock

    from totalplace.engines.spendmap import rules as rules_module
    from totalplace.parameters import load_parameter as real  # patched below: another revision's keywords
    from totalplace.parameters import parse_parameter_text

    def load(name: str):  # type: ignore[no-untyped-def]
        if name == "classification/keywords.yaml" and keywords is not None:
            return parse_parameter_text(name, keywords.read_bytes())
        return real(name)

    files = tuple(f for f in rules_module.DEFAULT_RULE_FILES if f != "classification/services.yaml")
    with (
        mock.patch.object(rules_module, "load_parameter", load),
        mock.patch.object(rules_module, "DEFAULT_RULE_FILES", files),
    ):
        return load_rules()


if __name__ == "__main__":
    main()
