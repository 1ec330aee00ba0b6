"""Helpers shared by the pool tests: partners, running a hand-worked case, and the ledger's identities."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from totalplace.engines.pool.agreement import year_bounds
from totalplace.engines.pool.fund import create_fund, open_fund, vary_fund
from totalplace.engines.pool.movements import Movement, partner_account, post_agreed, post_movements
from totalplace.engines.pool.settle import settle
from totalplace.errors import TotalplaceError
from totalplace.governance.roles import OPERATOR
from totalplace.money import Money
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store import pools as pool_store
from totalplace.store.partners import add_partner

PARTNERS = {"NHS": "nhs", "Police": "police", "VCS": "vcs"}


def add_pool_partners(place: Place) -> None:
    """The partners the cases use, beside the fixture's Council."""
    with place.begin() as conn:
        for name, kind in PARTNERS.items():
            add_partner(conn, name=name, kind=kind, code=None, actor="test")


def movement(step: dict[str, Any], key: str) -> Movement:
    """A movement from a case step."""
    return Movement(
        key=key,
        kind=step["kind"],
        day=date.fromisoformat(str(step["date"])),
        amount=Money.parse(str(step.get("amount", "0"))).pence,
        partner=step.get("partner"),
        scheme=step.get("scheme"),
        reverses=step.get("reverses"),
    )


def run_case(place: Place, case: dict[str, Any]) -> list[str]:
    """Run a case's steps; return a line per expectation that did not hold."""
    failures: list[str] = []
    fund = create_fund(place, yaml.safe_dump(case["agreement"]), "case.yaml", principal=OPERATOR)
    for i, step in enumerate(case["steps"]):
        if "contribute" in step:
            year = str(step["contribute"])
            day = date.fromisoformat(str(step["date"])) if "date" in step else year_bounds(year)[0]
            post_agreed(place, fund.name, year, day, principal=OPERATOR)
        elif "vary" in step:
            vary_fund(
                place,
                fund.name,
                yaml.safe_dump(step["vary"], default_flow_style=False),
                "vary.yaml",
                principal=OPERATOR,
            )
        elif "settle" in step:
            year = str(step["settle"])
            result = settle(place, fund.name, year, principal=OPERATOR, on=year_bounds(year)[1])
            for partner, wanted in step.get("expect", {}).items():
                share = result.partner(partner)
                for field, amount in wanted.items():
                    got = getattr(share, field)
                    if got != Money.parse(str(amount)).pence:
                        failures.append(f"{year} {partner} {field}: expected {amount}, got {Money(got)}")
            with place.read() as conn:
                totals = ledger.balances(conn, fund.id)
            for account, amount in step.get("balances", {}).items():
                if totals.get(account, 0) != Money.parse(str(amount)).pence:
                    failures.append(f"{account}: expected {amount}, got {Money(totals.get(account, 0))}")
        else:
            try:
                post_movements(place, fund.name, [movement(step, f"step-{i}")], principal=OPERATOR)
            except TotalplaceError as exc:
                if step.get("expect_error") != exc.code:
                    raise
            else:
                if "expect_error" in step:
                    failures.append(f"step {i}: expected error {step['expect_error']}, but it was posted")
    failures += identity_problems(place, fund.name)
    return failures


def identity_problems(place: Place, name: str) -> list[str]:
    """Every broken identity of a pool's ledger and settlements, as sentences."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        problems = ledger.check_ledger(conn, fund.id)
        for year in sorted(ledger.settled_years(conn, fund.id)):
            record = pool_store.settlement_record(conn, fund.id, year)
            assert record is not None
            totals = ledger.balances(conn, fund.id)
            in_year = ledger.balances(conn, fund.id, year=year)
            for p in record.partners:
                left = totals.get(partner_account(p.partner, year), 0)
                if left != 0:
                    problems.append(f"{year} {p.partner}: account not closed ({left} pence left)")
                net = p.contribution + p.brought_forward + p.settlement - p.share_of_spend - p.carried_forward
                if net != 0:
                    problems.append(f"{year} {p.partner}: statement does not reconcile ({net} pence)")
            if sum(p.share_of_spend for p in record.partners) != record.spend_pence:
                problems.append(f"{year}: partners' shares of spend do not add up to the spend")
            open_spend = {a: v for a, v in in_year.items() if a.startswith(("spend:", "scheme:")) and v}
            if open_spend:
                problems.append(f"{year}: scheme accounts left open after settlement: {open_spend}")
    return problems
