"""Classification on lines the rules were not tuned on (issue 16, item 2).

The service vocabulary (parameters/classification/services.yaml) was tuned on Trafford's 2024-25 supplier
spend for April-September only. Measured here on the months it never saw (October-March) and on Lambeth's
June 2012 invoices (another council, another decade, another coding: directorates as cost centres and an
expense type). The packaged keyword rules (keywords.yaml) predate this and were written from the whole
Trafford year, so Trafford's held-out months are held out from the new vocabulary only; Lambeth is held
out from everything. The later Trafford years the issue measured (97.1% and 93.7%) are not in
../shared/data, so they cannot be measured here.

Figures are shares of gross pounds, as measured on 2026-12-05 (benchmarks/classification.py prints them);
a floor is what was measured rounded down, never loosened to pass.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from totalplace.datasets.importer import ImportRequest, parse_file
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import read_path
from totalplace.engines.spendmap import load_rules
from totalplace.engines.spendmap.suggest import coverage, suggest_rules, with_suggestions

TUNE_MONTHS = (4, 5, 6, 7, 8, 9)
# Measured with the default rules: before services.yaml 97.94% / 98.16% / 18.13%; after, these floors.
TRAFFORD_HELD_OUT = 0.992  # 99.23%
TRAFFORD_TUNE = 0.989  # 98.97%
LAMBETH = 0.58  # 58.36%: far short of the 97% aim on a 2012 file coded by directorate (see the guide)
# With rules `spend rules suggest` learns from April-September (at least £100,000 each), on October-March.
TRAFFORD_HELD_OUT_WITH_SUGGESTIONS = 0.998  # 99.87%


@cache
def _read(path: Path) -> pa.Table:
    limits = ImportLimits.from_settings()
    return parse_file(read_path(path, limits), path.name, ImportRequest("spend"), limits).to_arrow()


def _trafford(shared: Path) -> tuple[pa.Table, pa.Table]:
    lines = _read(shared / "la_finance" / "trafford-supplier-spend-2024-25.zip")
    tune = pc.is_in(pc.month(lines.column("date")), pa.array(TUNE_MONTHS, pa.int64()))
    return lines.filter(tune), lines.filter(pc.invert(tune))


def test_the_service_vocabulary_holds_on_months_it_was_not_tuned_on(shared_data: Path) -> None:
    tune, held_out = _trafford(shared_data)
    rules = load_rules()
    assert coverage(tune, rules).share >= TRAFFORD_TUNE
    assert coverage(held_out, rules).share >= TRAFFORD_HELD_OUT >= 0.97


def test_lambeth_another_council_and_decade_is_measured_not_tuned(shared_data: Path) -> None:
    lambeth = _read(shared_data / "la_finance" / "lambeth_invoices_over_500_2012-06.csv.gz")
    assert coverage(lambeth, load_rules()).share >= LAMBETH


def test_suggestions_learned_on_some_months_classify_the_others(shared_data: Path) -> None:
    tune, held_out = _trafford(shared_data)
    rules = load_rules()
    found = suggest_rules(tune, rules, min_pence=100_000_00)
    assert found.suggestions and found.after.share > found.before.share
    assert all(s.field != "supplier" for s in found.suggestions)  # services, never suppliers
    assert all(s.share >= 0.95 for s in found.suggestions)
    assert coverage(held_out, with_suggestions(rules, found.suggestions)).share >= (
        TRAFFORD_HELD_OUT_WITH_SUGGESTIONS
    )
