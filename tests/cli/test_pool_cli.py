"""The pool commands end to end, and agreement files refused with the line and field of each problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import Invoke
from totalplace.engines.pool.files import load_agreement
from totalplace.errors import AgreementInvalidError

AGREEMENT = """\
name: bcf
title: Better Care Fund
partners: [Council, NHS]
host: Council
fund_manager: Director of Adult Social Care
start_year: 2025-26
term_years: 2
contributions:
  - {partner: NHS, year: 2025-26, cash: "600,000.00"}
  - {partner: Council, year: 2025-26, cash: "400,000.00"}
schemes:
  - {name: social-care, owner: Council, budget: "700,000.00"}
  - {name: discharge, owner: NHS, budget: "300,000.00"}
risk_share:
  overspend:
    - {step: host_first, amount: "10,000.00"}
    - {step: rest}
"""


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def test_pool_from_agreement_to_statement(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    for name, kind in (("Council", "local_authority"), ("NHS", "nhs")):
        assert run("partner", "add", name, "--kind", kind).exit_code == 0
    (tmp_path / "bcf.yaml").write_text(AGREEMENT)
    assert _json(run("pool", "create", str(tmp_path / "bcf.yaml"), "--json"))["years"] == [
        "2025-26",
        "2026-27",
    ]
    assert len(_json(run("pool", "contribute", "bcf", "--year", "2025-26", "--json"))["posted"]) == 2
    # Nothing more is due, and nothing is agreed for later in the year.
    again = _json(run("pool", "contribute", "bcf", "--year", "2025-26", "--json"))
    assert again["posted"] == [] and again["not_yet_due"] == []
    (tmp_path / "moves.csv").write_text(
        'key,kind,date,amount,scheme\nq1,spend,30/06/2025,"£520,000.00",social-care\nq2,spend,2025-12-31,"500,000.00",discharge\n'
    )
    first = _json(run("pool", "post", "bcf", str(tmp_path / "moves.csv"), "--json"))
    again = _json(run("pool", "post", "bcf", str(tmp_path / "moves.csv"), "--json"))
    assert [p["replayed"] for p in first] == [False, False] and [p["replayed"] for p in again] == [True, True]
    assert [p["txn_id"] for p in first] == [p["txn_id"] for p in again]
    one = run(
        "pool",
        "post",
        "bcf",
        "--key",
        "fix",
        "--kind",
        "reversal",
        "--date",
        "2026-01-05",
        "--reverses",
        "q2",
        "--json",
    )
    assert one.exit_code == 0, one.output
    run(
        "pool",
        "post",
        "bcf",
        "--key",
        "q2b",
        "--kind",
        "spend",
        "--date",
        "2026-01-05",
        "--amount",
        "480,000.00",
        "--scheme",
        "discharge",
    )
    balances = _json(run("pool", "balances", "bcf", "--as-of", "2025-12-31", "--json"))
    assert balances["balances"]["spend:discharge"] == 50_000_000 and balances["total"] == 0

    dry = _json(run("pool", "settle", "bcf", "--year", "2025-26", "--dry-run", "--json"))
    assert dry["posted"] is False and dry["variance_pence"] == 0  # 520,000 + 480,000 against 1,000,000
    refused = run("pool", "settle", "bcf", "--year", "2025-26", "--json")
    assert refused.exit_code == 1 and _json(refused)["error"]["code"] == "TP106"
    settled = _json(run("pool", "settle", "bcf", "--year", "2025-26", "--yes", "--json"))
    assert settled["posted"] is True
    again_settled = run("pool", "settle", "bcf", "--year", "2025-26", "--yes", "--json")
    assert _json(again_settled)["error"]["code"] == "TP105"
    late = run(
        "pool",
        "post",
        "bcf",
        "--key",
        "late",
        "--kind",
        "spend",
        "--date",
        "2026-03-01",
        "--amount",
        "1",
        "--scheme",
        "discharge",
        "--json",
    )
    assert _json(late)["error"]["code"] == "TP603"

    pdf = tmp_path / "summary.pdf"
    statements = _json(run("pool", "statement", "bcf", "--year", "2025-26", "--pdf", str(pdf), "--json"))
    assert all(s["reconciles"] for s in statements) and pdf.read_bytes().startswith(b"%PDF")
    assert _json(run("pool", "check", "bcf", "--json"))["ok"] is True
    shown = _json(run("pool", "show", "bcf", "--year", "2025-26", "--json"))
    assert shown["settled"] is True and shown["schemes"][1]["spent"] == 48_000_000
    ledger = _json(run("pool", "ledger", "bcf", "--kind", "reversal", "--json"))
    assert [t["key"] for t in ledger] == ["fix"]


def test_a_refused_agreement_names_line_and_field(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    bad = AGREEMENT.replace('cash: "400,000.00"', "cash: 400000.50").replace("host: Council", "host: Fire")
    (tmp_path / "bad.yaml").write_text(bad)
    result = run("pool", "create", str(tmp_path / "bad.yaml"), "--json")
    assert result.exit_code == 2
    error = _json(result)["error"]
    assert error["code"] == "TP600"
    lines = {p["column"]: p["row"] for p in error["problems"]}
    assert lines["contributions.1.cash"] == 10
    (tmp_path / "host.yaml").write_text(AGREEMENT.replace("host: Council", "host: Fire"))
    host = _json(run("pool", "create", str(tmp_path / "host.yaml"), "--json"))["error"]
    assert "host 'Fire' is not one of the partners" in host["problems"][0]["message"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("term_years: 0", "greater than or equal to 1"),
        ("start_year: 2025-27", "not a financial year"),
        ("budget_type: shared", "pooled"),
        ("risk_share: {overspend: [{step: band}]}", "needs an amount or a percent"),
        (
            "risk_share: {overspend: [{step: rest, share: {rule: fixed, percentages: {NHS: 60}}}]}",
            "add up to 100",
        ),
        ("risk_share: {underspend: {disposition: reinvest}}", "reinvest_into"),
    ],
)
def test_agreement_checks(change: str, message: str) -> None:
    key = change.split(":")[0]
    kept = AGREEMENT.split("risk_share:")[0] if key == "risk_share" else AGREEMENT
    text = (
        "\n".join(line for line in kept.splitlines() if not line.startswith(f"{key}:")) + "\n" + change + "\n"
    )
    with pytest.raises(AgreementInvalidError) as caught:
        load_agreement(text, "a.yaml")
    assert any(message in p.message for p in caught.value.problems), caught.value.problems
