"""The pool commands: agreements and variations, postings, balances, the settlement and its statements."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, print_tables
from totalplace.engines.pool.agreement import year_bounds
from totalplace.engines.pool.books import LedgerFilter, ledger_problems, read_balances, read_ledger
from totalplace.engines.pool.fund import create_fund, open_fund, readable_funds, vary_fund
from totalplace.engines.pool.movement_file import read_movements
from totalplace.engines.pool.movements import POSTABLE, Movement, post_agreed, post_movements
from totalplace.engines.pool.report import fund_summary, reconciled_statements
from totalplace.engines.pool.settle import preview, settle, to_record
from totalplace.engines.pool.spend_import import import_spend
from totalplace.errors import InvalidInputError, LedgerInconsistentError
from totalplace.governance.roles import OPERATOR
from totalplace.money import Money
from totalplace.place import Place
from totalplace.reports import pool as views
from totalplace.reports.render import to_pdf

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
_DATE = click.DateTime(formats=["%Y-%m-%d"])
ACTOR = "cli"
# The command line acts as the trusted local operator; the pool engine still asks the policy (it refuses,
# for example, a posting that names no partner).
PRINCIPAL = OPERATOR


def _show(out: Output, view: views.CommandView) -> None:
    """Print the view's JSON document with --json, else its headline and tables."""
    out.emit(view.data, lambda: print_tables(view.tables, view.headline))


@click.group("pool")
def pool_group() -> None:
    """Pooled funds: agreements, the ledger, the risk share and the year-end settlement."""


@pool_group.command("list")
@with_place
def list_cmd(place: Place, out: Output) -> None:
    """The place's pooled funds."""
    with place.read() as conn:
        funds = readable_funds(conn, PRINCIPAL)
    _show(out, views.funds_text(funds))


@pool_group.command("create")
@click.argument("file", type=_FILE)
@with_place
def create_cmd(place: Place, out: Output, file: Path) -> None:
    """Create a pool from its agreement YAML (partners must already be partners of the place)."""
    _show(out, views.created_text(create_fund(place, file.read_bytes(), file.name, principal=PRINCIPAL)))


@pool_group.command("vary")
@click.argument("name")
@click.argument("file", type=_FILE)
@with_place
def vary_cmd(place: Place, out: Output, name: str, file: Path) -> None:
    """Vary a pool's agreement from a dated variation file (a new version; the old ones are kept)."""
    _show(out, views.varied_text(vary_fund(place, name, file.read_bytes(), file.name, principal=PRINCIPAL)))


@pool_group.command("show")
@click.argument("name")
@click.option("--year", help='Financial year, like "2025-26" (default: the current one).')
@click.option("--as-of", "as_of", type=_DATE, help="Figures as at this date (default: today).")
@with_place
def show_cmd(place: Place, out: Output, name: str, year: str | None, as_of: datetime | None) -> None:
    """The fund: contributions, schemes' budget against actual with forecast outturn, and the risk share."""
    summary = fund_summary(place, name, year, as_of.date() if as_of else None, principal=PRINCIPAL)
    with place.read() as conn:
        versions = open_fund(conn, name).versions
    _show(out, views.fund_text(summary, versions))


@pool_group.command("post")
@click.argument("name")
@click.argument("file", type=_FILE, required=False)
@click.option("--key", help="Idempotency key: a retry with the same key is never posted twice.")
@click.option("--kind", type=click.Choice(POSTABLE))
@click.option("--date", "day", type=_DATE)
@click.option("--amount", help='Money, like "12,500.00".')
@click.option("--partner")
@click.option("--scheme")
@click.option("--memo", default="")
@click.option("--reverses", help="For a reversal: the key of the transaction it undoes.")
@with_place
def post_cmd(
    place: Place,
    out: Output,
    name: str,
    file: Path | None,
    key: str | None,
    kind: str | None,
    day: datetime | None,
    amount: str | None,
    partner: str | None,
    scheme: str | None,
    memo: str,
    reverses: str | None,
) -> None:
    """Post movements from a CSV or YAML FILE (all or none), or one movement from the options."""
    if file is not None:
        movements = read_movements(file.read_bytes(), file.name)
    else:
        if not (key and kind and day):
            raise InvalidInputError(
                "give a FILE, or --key, --kind and --date (and --amount)",
                hint="see `totalplace pool post --help`",
            )
        pence = Money.parse(amount).pence if amount else 0
        movements = [Movement(key, kind, day.date(), pence, partner, scheme, memo, reverses)]
    with out.progress(f"posting {len(movements):,} movement(s) to {name}"):
        posted = post_movements(place, name, movements, principal=PRINCIPAL)
    _show(out, views.posted_text(posted))


@pool_group.command("contribute")
@click.argument("name")
@click.option("--year", required=True)
@click.option("--date", "day", type=_DATE, help="Date of the postings (default: the first day of the year).")
@with_place
def contribute_cmd(place: Place, out: Output, name: str, year: str, day: datetime | None) -> None:
    """Post the contributions the agreement in force on the date says are due in YEAR and are not yet posted,
    and list what later versions agree for the year that is not yet due on that date."""
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.pool_money import contributed_text

    when = day.date() if day else year_bounds(year)[0]
    _show(out, contributed_text(post_agreed(place, name, year, when, principal=OPERATOR)))


@pool_group.command("balances")
@click.argument("name")
@click.option("--as-of", "as_of", type=_DATE, help="Balances at the end of this date.")
@with_place
def balances_cmd(place: Place, out: Output, name: str, as_of: datetime | None) -> None:
    """Every account's balance, derived from the postings."""
    day = as_of.date() if as_of else None
    _show(out, views.balances_text(name, read_balances(place, name, day, principal=PRINCIPAL), day))


@pool_group.command("ledger")
@click.argument("name")
@click.option("--kind")
@click.option("--year")
@click.option("--account", help="Only transactions touching accounts that start with this.")
@click.option("--limit", type=int, default=200, show_default=True)
@with_place
def ledger_cmd(
    place: Place, out: Output, name: str, kind: str | None, year: str | None, account: str | None, limit: int
) -> None:
    """The ledger's transactions, newest last."""
    found = read_ledger(place, name, LedgerFilter(kind, year, account), principal=PRINCIPAL, limit=limit)
    _show(out, views.ledger_text(found))


@pool_group.command("settle")
@click.argument("name")
@click.option("--year", required=True)
@click.option("--dry-run", is_flag=True, help="Show the settlement without posting it.")
@click.option("--yes", is_flag=True, help="Post without asking for confirmation.")
@click.option("--early", is_flag=True, help="Settle before the year's last day (needs --reason).")
@click.option("--reason", help="Why the year is settled early (kept in the audit trail).")
@with_place
def settle_cmd(
    place: Place, out: Output, name: str, year: str, dry_run: bool, yes: bool, early: bool, reason: str | None
) -> None:
    """Apply the risk share to YEAR and, on confirmation, post the settlement as one atomic batch.

    Before the year's last day it is refused unless --early with a --reason.
    """
    from totalplace.errors import ReasonRequiredError
    from totalplace.governance.roles import OPERATOR

    if reason is not None and not early:
        raise InvalidInputError(
            "--reason is for an early settlement", hint="add --early, or leave out --reason"
        )
    if early and not (reason or "").strip():
        raise ReasonRequiredError(
            "--early needs --reason TEXT: say why the year is settled before its last day"
        )
    result = preview(place, name, year)
    if not dry_run:
        if not yes and not out.as_json:
            shown = views.settlement_text(to_record(result), posted=False)
            print_tables(shown.tables, shown.headline)
            click.confirm(f"Post the settlement of {year} for {name}?", abort=True)
        elif not yes:
            raise InvalidInputError("settling with --json needs --yes (or --dry-run)")
        with out.progress(f"settling {year}"):
            result = settle(place, name, year, principal=OPERATOR, early_reason=reason if early else None)
    _show(out, views.settlement_text(to_record(result), posted=not dry_run))


@pool_group.command("reopen")
@click.argument("name")
@click.option("--year", required=True)
@click.option("--reason", required=True, help="Why the settled year is reopened (kept in the audit trail).")
@click.option("--yes", is_flag=True, help="Reopen without asking for confirmation.")
@with_place
def reopen_cmd(place: Place, out: Output, name: str, year: str, reason: str, yes: bool) -> None:
    """Reopen a settled YEAR: reverse its settlement so it can be corrected and settled again."""
    from totalplace.engines.pool.settle import reopen
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.pool_money import reopened_text

    if not yes and not out.as_json:
        click.confirm(f"Reverse the settlement of {year} for {name}?", abort=True)
    elif not yes:
        raise InvalidInputError("reopening with --json needs --yes")
    posted = reopen(place, name, year, principal=OPERATOR, reason=reason)
    _show(out, reopened_text(name, year, reason, posted))


@pool_group.command("adjust")
@click.argument("name")
@click.option(
    "--key", required=True, help="Idempotency key: a retry with the same key is never posted twice."
)
@click.option("--partner", required=True)
@click.option("--amount", required=True, help='Money the partner pays in ("1,000.00"); negative: paid back.')
@click.option("--date", "day", type=_DATE, required=True, help="A date after the pool's term.")
@click.option("--reason", required=True)
@with_place
def adjust_cmd(
    place: Place, out: Output, name: str, key: str, partner: str, amount: str, day: datetime, reason: str
) -> None:
    """Post a post-term adjustment: a correction after the pool's last year is settled."""
    from totalplace.engines.pool.adjust import Adjustment, adjust
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.pool_money import adjusted_text

    wanted = Adjustment(key, partner, Money.parse(amount).pence, day.date(), reason)
    _show(out, adjusted_text(name, adjust(place, name, wanted, principal=OPERATOR)))


@pool_group.command("adjustments")
@click.argument("name")
@with_place
def adjustments_cmd(place: Place, out: Output, name: str) -> None:
    """The pool's post-term adjustments, and each partner's net."""
    from totalplace.engines.pool.adjust import adjustments
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.pool_money import adjustments_text

    _show(out, adjustments_text(adjustments(place, name, principal=OPERATOR)))


@pool_group.group("forecast")
def forecast_group() -> None:
    """The forecast outturn: the method the fund manager chose, and partners' own monthly forecasts."""


@forecast_group.command("show")
@click.argument("name")
@click.option("--year", help='Financial year, like "2025-26" (default: the current one).')
@click.option("--as-of", "as_of", type=_DATE, help="Forecast as at this date (default: today).")
@with_place
def forecast_show_cmd(place: Place, out: Output, name: str, year: str | None, as_of: datetime | None) -> None:
    """The method in force, each scheme's forecast outturn and what it read, and the method's versions."""
    from totalplace.engines.pool.forecast import forecast_entries, method_history
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.pool_money import forecast_text

    summary = fund_summary(place, name, year, as_of.date() if as_of else None, principal=OPERATOR)
    history = method_history(place, name, principal=OPERATOR)
    entries = forecast_entries(place, name, summary.year, principal=OPERATOR)
    _show(out, forecast_text(summary.forecast, history, summary.year, entries))


@forecast_group.command("method")
@click.argument("name")
@click.argument("method")
@click.option(
    "--reason", required=True, help="Why this method (kept with the version and in the audit trail)."
)
@with_place
def forecast_method_cmd(place: Place, out: Output, name: str, method: str, reason: str) -> None:
    """Choose the forecast METHOD (to_last_complete_month, straight_line, last_year_profile or
    partner_forecasts)."""
    from totalplace.engines.pool.forecast import choose_method
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.pool_money import method_text

    _show(out, method_text(name, choose_method(place, name, method, principal=OPERATOR, reason=reason)))


@forecast_group.command("enter")
@click.argument("name")
@click.option("--scheme", required=True)
@click.option("--month", required=True, help="The month forecast, as YYYY-MM.")
@click.option("--amount", required=True, help='The spend forecast in that month, like "120,000.00".')
@with_place
def forecast_enter_cmd(place: Place, out: Output, name: str, scheme: str, month: str, amount: str) -> None:
    """Enter the scheme owner's forecast of a scheme's spend in a month (the newest entry counts)."""
    from totalplace.engines.pool.forecast import enter_forecast
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.pool_money import entry_text

    entry = enter_forecast(place, name, scheme, month, Money.parse(amount).pence, principal=OPERATOR)
    _show(out, entry_text(name, entry))


@pool_group.command("statement")
@click.argument("name")
@click.option("--year", required=True)
@click.option("--partner", help="One partner's statement (default: the fund summary with every statement).")
@click.option("--pdf", "pdf_path", type=click.Path(path_type=Path, dir_okay=False), help="Write a PDF here.")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), help="Write HTML here.")
@with_place
def statement_cmd(
    place: Place,
    out: Output,
    name: str,
    year: str,
    partner: str | None,
    pdf_path: Path | None,
    html_path: Path | None,
) -> None:
    """Settlement statements that reconcile to the penny, as a table, JSON, HTML or PDF."""
    found = reconciled_statements(place, name, year, partner, principal=PRINCIPAL, via="cli")
    if html_path or pdf_path:
        html = (
            views.statement_html(found[0], place.config.name)
            if partner
            else views.summary_html(
                fund_summary(place, name, year, principal=PRINCIPAL), found, place.config.name
            )
        )
        if html_path:
            html_path.write_bytes(html.encode("utf-8"))
        if pdf_path:
            pdf_path.write_bytes(to_pdf(html))
    _show(out, views.statements_text(found, year))


@pool_group.command("check")
@click.argument("name")
@with_place
def check_cmd(place: Place, out: Output, name: str) -> None:
    """Check the pool's ledger: balanced transactions, stored totals, reversals, closed years."""
    problems = ledger_problems(place, name, principal=PRINCIPAL)
    _show(out, views.check_text(name, problems))
    if problems:
        raise LedgerInconsistentError(f"{len(problems)} problem(s) in the ledger of {name}")


@pool_group.command("import-spend")
@click.argument("name")
@with_place
def import_spend_cmd(place: Place, out: Output, name: str) -> None:
    """Post actual spend from partners' imported spending files, matched to schemes by their `match`."""
    with out.progress(f"matching imported spending to the schemes of {name}"):
        report = import_spend(place, name, principal=PRINCIPAL)
    _show(out, views.spend_import_text(report))
