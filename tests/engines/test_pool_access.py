"""The pool engine asks the access policy itself: each principal of the demo, calling the engine directly.

Each hole this closes is reproduced as nhs-finance in the demo's Better Care Fund (the Council hosts it and
owns its social-care scheme): it could reverse the Council's actuals, post spend to the Council's scheme with
the partner left blank or set to the Council, and read every Council figure and the Council's statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.engines.pool_access_support import BCF, COUNCIL, COUNCIL_MONTH_7, NHS, demo_pool_place, principals
from totalplace.engines.pool.books import read_balances, read_ledger, year_settlement
from totalplace.engines.pool.fund import Fund, agreement_yaml, create_fund, open_fund, revise_fund, vary_fund
from totalplace.engines.pool.movements import Movement, post_movements
from totalplace.engines.pool.report import fund_summary, reconciled_statements, statements
from totalplace.errors import PartnerRequiredError, PermissionDeniedError
from totalplace.governance.roles import OPERATOR, Principal
from totalplace.place import Place
from totalplace.store import audit, ledger

EVERYTHING = ("council-finance", "council-fund-manager", "auditor", "demo")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Place]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
        place = demo_pool_place(tmp_path_factory.mktemp("pool-access") / "place")
        yield place
        place.close()


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Place]:
    """A place of its own, for tests that change the pool."""
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    place = demo_pool_place(tmp_path / "place")
    yield place
    place.close()


def _as(place: Place, name: str) -> Principal:
    return principals(place)[name]


def _keys(place: Place) -> set[str]:
    with place.read() as conn:
        fund = open_fund(conn, BCF)
        return {t.key for t in ledger.transactions(conn, fund.id)}


def test_nhs_finance_cannot_reverse_the_councils_actuals(demo: Place) -> None:
    before = _keys(demo)
    assert COUNCIL_MONTH_7 in before
    reversal = Movement("undo-7", "reversal", date(2026, 11, 2), reverses=COUNCIL_MONTH_7, memo="not ours")
    with pytest.raises(PermissionDeniedError):
        post_movements(demo, BCF, [reversal], principal=_as(demo, "nhs-finance"))
    # Nor inside a batch with a posting it may make: the batch is refused whole.
    own = Movement("nhs-own", "spend", date(2026, 11, 2), 100, scheme="discharge")
    with pytest.raises(PermissionDeniedError):
        post_movements(demo, BCF, [own, reversal], principal=_as(demo, "nhs-finance"))
    assert _keys(demo) == before


@pytest.mark.parametrize("partner", [None, "", COUNCIL, NHS])
def test_nhs_finance_cannot_post_spend_to_a_council_scheme(demo: Place, partner: str | None) -> None:
    spend = Movement("nhs-spend", "spend", date(2026, 11, 2), 5_000_00, partner, "social-care")
    with pytest.raises(PermissionDeniedError):
        post_movements(demo, BCF, [spend], principal=_as(demo, "nhs-finance"))
    allocation = Movement("nhs-allocate", "allocation", date(2026, 11, 2), 100, partner, "social-care")
    with pytest.raises(PermissionDeniedError):
        post_movements(demo, BCF, [allocation], principal=_as(demo, "nhs-finance"))
    assert "nhs-spend" not in _keys(demo)


@pytest.mark.parametrize("who", ["nhs-finance", "council-finance", "demo"])
def test_a_contribution_that_names_no_partner_is_refused_whoever_posts_it(demo: Place, who: str) -> None:
    blank = Movement("no-partner", "contribution", date(2026, 11, 2), 100)
    with pytest.raises(PartnerRequiredError):
        post_movements(demo, BCF, [blank], principal=_as(demo, who))
    with pytest.raises(PartnerRequiredError):
        post_movements(demo, BCF, [blank], principal=OPERATOR)


def test_who_may_post_what(fresh: Place) -> None:
    day = date(2026, 11, 3)
    nhs = _as(fresh, "nhs-finance")
    with pytest.raises(PermissionDeniedError):
        post_movements(fresh, BCF, [Movement("c-council", "contribution", day, 100, COUNCIL)], principal=nhs)
    posted = post_movements(
        fresh,
        BCF,
        [
            Movement("c-nhs", "contribution", day, 100, "northbridge nhs"),
            Movement("s-nhs", "spend", day, 100, scheme="discharge"),
        ],
        principal=nhs,
    )
    assert [p.key for p in posted] == ["c-nhs", "s-nhs"]
    # The NHS may undo its own posting; the Council's finance officer may undo the Council's actuals.
    post_movements(fresh, BCF, [Movement("r-nhs", "reversal", day, reverses="s-nhs")], principal=nhs)
    council = _as(fresh, "council-finance")
    with pytest.raises(PermissionDeniedError):
        post_movements(
            fresh, BCF, [Movement("s-c", "spend", day, 100, scheme="discharge")], principal=council
        )
    post_movements(
        fresh, BCF, [Movement("r-7", "reversal", day, reverses=COUNCIL_MONTH_7)], principal=council
    )
    # The host's fund manager posts for every partner; the auditor and the police post nothing here.
    manager = _as(fresh, "council-fund-manager")
    post_movements(fresh, BCF, [Movement("s-m", "spend", day, 100, scheme="discharge")], principal=manager)
    for who in ("auditor", "police-finance", "analyst"):
        with pytest.raises(PermissionDeniedError):
            post_movements(
                fresh, BCF, [Movement("x", "spend", day, 1, scheme="discharge")], principal=_as(fresh, who)
            )
    with fresh.read() as conn:
        fund = open_fund(conn, BCF)
        by = {t.key: t.posted_by for t in ledger.transactions(conn, fund.id)}
    assert (
        by["c-nhs"] == "nhs-finance"
        and by["r-7"] == "council-finance"
        and by["s-m"] == "council-fund-manager"
    )


def test_creating_and_varying_a_pool(fresh: Place) -> None:
    text = agreement_yaml(_fund(fresh))
    new = yaml.safe_load(text) | {"name": "another"}
    for who in ("nhs-finance", "council-finance", "council-fund-manager", "auditor"):
        with pytest.raises(PermissionDeniedError):
            create_fund(fresh, yaml.safe_dump(new), "another.yaml", principal=_as(fresh, who))
    assert (
        create_fund(fresh, yaml.safe_dump(new), "another.yaml", principal=_as(fresh, "demo")).name
        == "another"
    )
    variation = 'effective: 2026-11-01\nreason: more discharge\nchanges:\n  - set_scheme_budget: {scheme: discharge, year: 2026-27, budget: "8,000,000.00"}\n'
    for who in ("nhs-finance", "council-finance", "auditor"):
        with pytest.raises(PermissionDeniedError):
            vary_fund(fresh, BCF, variation, "v.yaml", principal=_as(fresh, who))
        with pytest.raises(PermissionDeniedError):
            revise_fund(fresh, BCF, text, effective=date(2026, 11, 1), reason="r", principal=_as(fresh, who))
    varied = vary_fund(fresh, BCF, variation, "v.yaml", principal=_as(fresh, "council-fund-manager"))
    assert varied.versions[-1].created_by == "council-fund-manager"


def _fund(place: Place) -> Fund:
    with place.read() as conn:
        return open_fund(conn, BCF)


def test_nhs_finance_sees_the_pools_totals_and_only_its_own_lines(demo: Place) -> None:
    whole = fund_summary(demo, BCF, "2026-27", principal=OPERATOR)
    mine = fund_summary(demo, BCF, "2026-27", principal=_as(demo, "nhs-finance"))
    assert [c.partner for c in mine.contributions] == [NHS]
    assert [s.scheme for s in mine.schemes] == ["discharge"]
    assert mine.preview is not None and [p.partner for p in mine.preview.partners] == [NHS]
    assert set(mine.preview.scheme_spend) <= {"discharge"}
    assert mine.totals == whole.totals and mine.totals is not None and mine.totals.spent > 0
    assert mine.shown == (NHS,) and whole.shown is None
    data = mine.to_dict()
    assert COUNCIL not in {c["partner"] for c in data["contributions"]}
    assert data["totals"]["received"] == sum(c.received for c in whole.contributions)

    settled = fund_summary(demo, BCF, "2024-25", principal=_as(demo, "nhs-finance"))
    assert settled.settlement is not None and [p.partner for p in settled.settlement.partners] == [NHS]


def test_nhs_finance_reads_only_its_own_ledger_lines(demo: Place) -> None:
    nhs = _as(demo, "nhs-finance")
    extract = read_ledger(demo, BCF, principal=nhs, with_balances=True)
    whole = read_ledger(demo, BCF, principal=OPERATOR, with_balances=True)
    owners = {"social-care": COUNCIL, "discharge": NHS}
    entries = [e for t in extract.transactions for e in t.entries]
    assert entries and all((e.partner or owners[e.scheme or ""]) == NHS for e in entries)
    assert COUNCIL_MONTH_7 not in {t.key for t in extract.transactions}
    assert not any(COUNCIL in a or "social-care" in a for a in extract.balances)
    assert extract.totals == whole.totals and len(whole.transactions) > len(extract.transactions)
    assert not any(COUNCIL in a for a in read_balances(demo, BCF, principal=nhs))


def test_nhs_finance_reads_only_its_own_statement_and_each_read_is_audited(demo: Place) -> None:
    nhs = _as(demo, "nhs-finance")
    assert [s.partner for s in statements(demo, BCF, "2024-25", principal=nhs)] == [NHS]
    with pytest.raises(PermissionDeniedError):
        reconciled_statements(demo, BCF, "2024-25", COUNCIL, principal=nhs)
    assert [s.partner for s in reconciled_statements(demo, BCF, "2024-25", NHS, principal=nhs)] == [NHS]
    settlement = year_settlement(demo, BCF, "2025-26", principal=nhs, via="test")
    assert [s.partner for s in settlement.statements] == [NHS] and settlement.shown == (NHS,)
    preview = year_settlement(demo, BCF, "2026-27", principal=nhs)
    assert preview.preview is not None and [p.partner for p in preview.preview.partners] == [NHS]
    with demo.read() as conn:
        reads = [r for r in audit.records(conn) if r.action == "statement.read" and r.actor == "nhs-finance"]
    assert len(reads) == 3 and all(COUNCIL not in r.detail for r in reads)
    assert '"via": "test"' in reads[-1].detail


@pytest.mark.parametrize("who", EVERYTHING)
def test_the_host_its_fund_manager_the_auditor_and_the_lead_see_everything(demo: Place, who: str) -> None:
    principal = _as(demo, who)
    summary = fund_summary(demo, BCF, "2026-27", principal=principal)
    assert [c.partner for c in summary.contributions] == [COUNCIL, NHS] and summary.shown is None
    assert len(summary.schemes) == 2
    assert {s.partner for s in statements(demo, BCF, "2024-25", principal=principal)} == {COUNCIL, NHS}
    extract = read_ledger(demo, BCF, principal=principal)
    assert COUNCIL_MONTH_7 in {t.key for t in extract.transactions}


@pytest.mark.parametrize("who", ["police-finance", "analyst", "case-worker"])
def test_who_is_not_in_the_pool_reads_nothing_of_it(demo: Place, who: str) -> None:
    principal = _as(demo, who)
    with pytest.raises(PermissionDeniedError):
        fund_summary(demo, BCF, "2026-27", principal=principal)
    with pytest.raises(PermissionDeniedError):
        read_ledger(demo, BCF, principal=principal)
    with pytest.raises(PermissionDeniedError):
        statements(demo, BCF, "2024-25", principal=principal)


def test_an_agreement_that_opens_the_books_shows_every_partner_to_every_partner(fresh: Place) -> None:
    nhs = _as(fresh, "nhs-finance")
    assert not yaml.safe_load(agreement_yaml(_fund(fresh)))["open_books"]
    opened = yaml.safe_load(agreement_yaml(_fund(fresh))) | {"open_books": True}
    revise_fund(
        fresh,
        BCF,
        yaml.safe_dump(opened),
        effective=date(2026, 11, 1),
        reason="open books",
        principal=_as(fresh, "demo"),
    )
    summary = fund_summary(fresh, BCF, "2026-27", principal=nhs)
    assert [c.partner for c in summary.contributions] == [COUNCIL, NHS] and summary.shown is None
    assert {s.partner for s in statements(fresh, BCF, "2024-25", principal=nhs)} == {COUNCIL, NHS}
    assert reconciled_statements(fresh, BCF, "2024-25", COUNCIL, principal=nhs)[0].partner == COUNCIL
    assert COUNCIL_MONTH_7 in {t.key for t in read_ledger(fresh, BCF, principal=nhs).transactions}
    # Open books open what may be read, not what may be changed.
    with pytest.raises(PermissionDeniedError):
        post_movements(
            fresh,
            BCF,
            [Movement("r", "reversal", date(2026, 11, 2), reverses=COUNCIL_MONTH_7)],
            principal=nhs,
        )


def test_open_books_must_be_true_or_false(fresh: Place) -> None:
    from totalplace.errors import AgreementInvalidError

    opened = yaml.safe_load(agreement_yaml(_fund(fresh))) | {"open_books": "perhaps"}
    with pytest.raises(AgreementInvalidError) as refused:
        revise_fund(
            fresh, BCF, yaml.safe_dump(opened), effective=date(2026, 11, 1), reason="r", principal=OPERATOR
        )
    assert "open_books" in str(refused.value.to_dict())


def test_the_command_line_reads_statements_as_the_operator_and_the_read_is_audited(
    fresh: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from totalplace.cli import cli

    monkeypatch.setenv("TOTALPLACE_PLACE", str(fresh.dir))
    result = CliRunner().invoke(
        cli, ["pool", "statement", BCF, "--year", "2024-25", "--partner", "northbridge nhs", "--json"]
    )
    assert result.exit_code == 0, result.output
    with fresh.read() as conn:
        reads = [r for r in audit.records(conn) if r.action == "statement.read"]
    assert (
        [r.actor for r in reads] == ["cli"] and '"via": "cli"' in reads[0].detail and NHS in reads[0].detail
    )
