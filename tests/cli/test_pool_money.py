"""The pool's money commands: contribute after a variation, the forecast method and partners' forecasts,
settling early with a reason, reopening a year, and post-term adjustments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import Invoke

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
  - {partner: NHS, year: 2026-27, cash: "600,000.00"}
schemes:
  - {name: social-care, owner: Council, budget: "700,000.00"}
  - {name: discharge, owner: NHS, budget: "300,000.00"}
"""

WINTER = """\
effective: 2025-11-01
reason: NHS adds winter money
changes:
  - add_contribution: {partner: NHS, year: 2025-26, cash: "250,000.00"}
"""


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def _pool(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    for name, kind in (("Council", "local_authority"), ("NHS", "nhs")):
        assert run("partner", "add", name, "--kind", kind).exit_code == 0
    (tmp_path / "bcf.yaml").write_text(AGREEMENT)
    assert run("pool", "create", str(tmp_path / "bcf.yaml")).exit_code == 0


def test_contribute_after_a_variation_says_what_is_agreed_but_not_yet_due(
    run: Invoke, tmp_path: Path
) -> None:
    _pool(run, tmp_path)
    (tmp_path / "winter.yaml").write_text(WINTER)
    assert run("pool", "vary", "bcf", str(tmp_path / "winter.yaml")).exit_code == 0
    shown = run("pool", "contribute", "bcf", "--year", "2025-26")
    assert shown.exit_code == 0
    assert "Agreed but not yet due" in shown.stdout and "2025-11-01" in shown.stdout
    first = _json(run("pool", "contribute", "bcf", "--year", "2025-26", "--json"))
    assert first["posted"] == [] and first["agreement_version"] == 1
    assert first["not_yet_due"] == [
        {
            "partner": "NHS",
            "kind": "contribution",
            "scheme": None,
            "amount": 25_000_000,
            "due_from": "2025-11-01",
            "version": 2,
        }
    ]
    later = _json(run("pool", "contribute", "bcf", "--year", "2025-26", "--date", "2025-11-01", "--json"))
    assert len(later["posted"]) == 1 and later["not_yet_due"] == [] and later["agreement_version"] == 2


def test_the_forecast_method_is_chosen_stated_and_partners_forecasts_entered(
    run: Invoke, tmp_path: Path
) -> None:
    _pool(run, tmp_path)
    refused = run("pool", "forecast", "method", "bcf", "latest_posting", "--reason", "x", "--json")
    assert refused.exit_code != 0 and _json(refused)["error"]["code"] == "TP106"
    chosen = _json(run("pool", "forecast", "method", "bcf", "partner_forecasts", "--reason", "ask", "--json"))
    assert chosen["version"] == 1 and chosen["method"] == "partner_forecasts"
    entered = run(
        "pool",
        "forecast",
        "enter",
        "bcf",
        "--scheme",
        "discharge",
        "--month",
        "2025-06",
        "--amount",
        "30,000.00",
    )
    assert entered.exit_code == 0 and "NHS's forecast" in entered.stdout
    shown = _json(
        run("pool", "forecast", "show", "bcf", "--year", "2025-26", "--as-of", "2025-05-15", "--json")
    )
    forecast = shown["forecast"]
    assert forecast["method"] == "partner_forecasts" and forecast["months_elapsed"] == 1
    discharge = next(s for s in forecast["schemes"] if s["scheme"] == "discharge")
    # April's actuals (none), June's forecast, and ten months of the budget (£25,000 a month).
    assert discharge["forecast"] == 3_000_000 + 10 * 2_500_000
    assert shown["versions"][0]["reason"] == "ask"
    assert shown["partner_forecasts"] == [
        {"scheme": "discharge", "month": "2025-06", "amount": 3_000_000, "partner": "NHS", "by": "cli"}
    ]
    fund = _json(run("pool", "show", "bcf", "--year", "2025-26", "--as-of", "2025-05-15", "--json"))
    assert fund["forecast"]["method"] == "partner_forecasts"
    assert "Forecast outturn by partner_forecasts" in run("pool", "show", "bcf", "--year", "2025-26").stdout


def test_settling_early_reopening_and_adjusting_after_the_term(run: Invoke, tmp_path: Path) -> None:
    _pool(run, tmp_path)
    assert run("pool", "contribute", "bcf", "--year", "2025-26").exit_code == 0
    assert run("pool", "settle", "bcf", "--year", "2025-26", "--yes").exit_code == 0
    too_early = run("pool", "settle", "bcf", "--year", "2026-27", "--yes", "--json")
    # The year 2026-27 may already be over when this runs; then settling needs no reason.
    if too_early.exit_code != 0:
        assert _json(too_early)["error"]["code"] == "TP607"
        no_reason = run("pool", "settle", "bcf", "--year", "2026-27", "--yes", "--early", "--json")
        assert _json(no_reason)["error"]["code"] == "TP608"
        stray = run("pool", "settle", "bcf", "--year", "2026-27", "--yes", "--reason", "x", "--json")
        assert _json(stray)["error"]["code"] == "TP106"
        early = run(
            "pool", "settle", "bcf", "--year", "2026-27", "--yes", "--early", "--reason", "wound up", "--json"
        )
        assert early.exit_code == 0 and _json(early)["posted"] is True
    adjusted = run(
        "pool", "adjust", "bcf", "--key", "late-1", "--partner", "NHS", "--amount", "1,000.00",
        "--date", "2027-05-01", "--reason", "late invoice", "--json",
    )  # fmt: skip
    assert adjusted.exit_code == 0 and _json(adjusted)["replayed"] is False
    listed = _json(run("pool", "adjustments", "bcf", "--json"))
    assert listed["net"] == {"NHS": 100_000} and listed["adjustments"][0]["reason"] == "late invoice"
    # With a post-term adjustment posted, the last year is corrected by adjustments, not by reopening.
    blocked = run("pool", "reopen", "bcf", "--year", "2026-27", "--reason", "x", "--yes", "--json")
    assert _json(blocked)["error"]["code"] == "TP105"
    assert _json(run("pool", "check", "bcf", "--json"))["ok"] is True


def test_a_settled_year_is_reopened_and_settled_again(run: Invoke, tmp_path: Path) -> None:
    _pool(run, tmp_path)
    assert run("pool", "contribute", "bcf", "--year", "2025-26").exit_code == 0
    assert run("pool", "settle", "bcf", "--year", "2025-26", "--yes").exit_code == 0
    reopened = _json(
        run("pool", "reopen", "bcf", "--year", "2025-26", "--reason", "a late refund", "--yes", "--json")
    )
    assert reopened["year"] == "2025-26" and len(reopened["reversals"]) == 1
    shown = _json(run("pool", "show", "bcf", "--year", "2025-26", "--json"))
    assert shown["settled"] is False
    again = _json(run("pool", "settle", "bcf", "--year", "2025-26", "--yes", "--json"))
    assert again["posted"] is True
    assert _json(run("pool", "check", "bcf", "--json"))["ok"] is True
    log = _json(run("audit", "log", "--json"))
    actions = [r["action"] for r in (log if isinstance(log, list) else log.get("records", []))]
    assert "pool.reopen" in actions
