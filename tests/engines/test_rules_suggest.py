"""`spend rules suggest`: rules learned from a place's classified lines, with the pounds each would classify;
and the suggestions as a rules file a person keeps with `spend rules add` (versioned)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import yaml

from tests.conftest import Invoke
from totalplace.engines.spendmap import load_rules
from totalplace.engines.spendmap.suggest import coverage, suggest_rules, with_suggestions


def _lines(rows: list[tuple[str, str, int]]) -> pa.Table:
    """Lines of (cost centre, purpose, pence)."""
    return pa.table(
        {
            "cost_centre": [r[0] for r in rows],
            "description": [r[1] for r in rows],
            "amount_pence": pa.array([r[2] for r in rows], pa.int64()),
        }
    )


# "Zebra Crossing Unit" is not in any packaged vocabulary: its lines with a purpose the rules know teach
# that the cost centre is highways; its lines with an unknown purpose are left unclassified until then.
ROWS = [
    ("Zebra Crossing Unit", "street lighting energy", 900_00),
    ("Zebra Crossing Unit", "street lighting repairs", 100_00),
    ("Zebra Crossing Unit", "Widgets", 5_000_00),
    ("Mixed Unit", "street lighting energy", 500_00),
    ("Mixed Unit", "residential care fees", 500_00),
    ("Mixed Unit", "Gizmos", 7_000_00),
]


def test_a_cost_centre_whose_classified_pounds_land_in_one_theme_is_suggested() -> None:
    rules = load_rules()
    lines = _lines(ROWS)
    found = suggest_rules(lines, rules, min_evidence=1)
    assert found.before.share == 2_000_00 / 14_000_00
    by_value = {s.value: s for s in found.suggestions}
    zebra = by_value["Zebra Crossing Unit"]
    assert (zebra.field, zebra.op, zebra.theme, zebra.share) == (
        "cost_centre",
        "equals",
        "highways_transport",
        1,
    )
    assert (zebra.learned_pence, zebra.would_classify_pence, zebra.would_classify_lines) == (
        1_000_00,
        5_000_00,
        1,
    )
    # Half highways, half adult social care: no theme holds 95% of its pounds, so nothing is proposed for it.
    assert "Mixed Unit" not in by_value
    assert found.after.classified_pence == found.before.classified_pence + 5_000_00
    assert coverage(lines, with_suggestions(rules, found.suggestions)) == found.after


def test_the_share_and_pounds_thresholds_are_respected() -> None:
    rules = load_rules()
    assert "Mixed Unit" in {
        s.value for s in suggest_rules(_lines(ROWS), rules, min_share=0.5, min_evidence=1).suggestions
    }
    assert suggest_rules(_lines(ROWS), rules, min_pence=5_000_01, min_evidence=1).suggestions == ()


def test_a_purpose_word_is_learned_as_a_whole_word() -> None:
    rows = [
        ("A", "Lollipop patrol wages", 300_00),
        ("B", "Lollipop patrol wages", 300_00),
        ("Zebra Crossing Unit", "Street lighting by the lollipop crossing", 1_000_00),
    ]
    found = suggest_rules(_lines(rows), load_rules(), min_pence=1, min_evidence=1)
    words = {s.value: s for s in found.suggestions if s.field == "description"}
    assert words[r"\blollipop\b"].would_classify_pence == 600_00
    assert words[r"\blollipop\b"].theme == "highways_transport"
    assert "wages" not in " ".join(words)  # never seen on a classified line: no evidence for any theme
    # "patrol" would classify the same lines: listed after "lollipop" only if it adds pounds, which it does not.
    assert r"\bpatrol\b" not in words


def test_too_little_evidence_suggests_nothing() -> None:
    assert suggest_rules(_lines(ROWS), load_rules()).suggestions == ()  # 2 classified lines, 5 needed


def test_suggest_on_a_place_and_keep_the_rules(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    assert run("partner", "add", "Council", "--kind", "local_authority").exit_code == 0
    spend = tmp_path / "spend.csv"
    spend.write_text(
        "Payment Date,Supplier Name,Amount,Purpose,Service Area\n"
        + "".join(f"15/05/2024,S{i},{p / 100:.2f},{d},{c}\n" for i, (c, d, p) in enumerate(ROWS)),
        encoding="utf-8",
    )
    assert run("import", "spend", str(spend), "--partner", "Council").exit_code == 0
    written = tmp_path / "suggested.yaml"
    result = run(
        "spend",
        "rules",
        "suggest",
        "--min-pounds",
        "100",
        "--min-lines",
        "1",
        "--write",
        str(written),
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [s["rule"]["when"] for s in document["suggestions"]] == [
        {"cost_centre": {"equals": "Zebra Crossing Unit"}}
    ]
    assert document["after"]["classified_pence"] - document["before"]["classified_pence"] == 5_000_00
    human = run("spend", "rules", "suggest", "--min-pounds", "100", "--min-lines", "1")
    assert "1 suggested rules would classify £5,000.00 more" in human.stdout
    assert "Zebra" in human.stdout and "highways" in human.stdout, human.stdout
    assert yaml.safe_load(written.read_text("utf-8"))["rules"][0]["theme"] == "highways_transport"
    kept = run("spend", "rules", "add", str(written), "--reason", "accepted the zebra unit")
    assert kept.exit_code == 0, kept.output
    again = json.loads(
        run("spend", "rules", "suggest", "--min-pounds", "100", "--min-lines", "1", "--json").stdout
    )
    assert again["suggestions"] == [] and again["before"]["classified_pence"] == 7_000_00
