"""The pool commands: agreements and variations, postings, balances, the settlement and its statements."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, table
from totalplace.engines.pool.agreement import year_bounds
from totalplace.engines.pool.fund import create_fund, list_funds, open_fund, vary_fund
from totalplace.engines.pool.movement_file import read_movements
from totalplace.engines.pool.movements import POSTABLE, Movement, post_agreed, post_movements
from totalplace.engines.pool.report import fund_summary, statements
from totalplace.engines.pool.settle import preview, settle, settlement_dict
from totalplace.engines.pool.spend_import import import_spend
from totalplace.errors import InvalidInputError, LedgerInconsistentError
from totalplace.money import Money
from totalplace.place import Place
from totalplace.reports.render import to_pdf
from totalplace.reports.statement import statement_html, summary_html
from totalplace.store import ledger

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
_DATE = click.DateTime(formats=["%Y-%m-%d"])
ACTOR = "cli"


def _m(pence: int) -> str:
    return str(Money(int(pence)))


@click.group("pool")
def pool_group() -> None:
    """Pooled funds: agreements, the ledger, the risk share and the year-end settlement."""


@pool_group.command("list")
@with_place
def list_cmd(place: Place, out: Output) -> None:
    """The place's pooled funds."""
    with place.read() as conn:
        funds = list_funds(conn)
    data = [
        {
            "name": f.name,
            "title": f.pool.title,
            "budget_type": f.pool.budget_type,
            "versions": len(f.versions),
        }
        for f in funds
    ]
    out.emit(
        data,
        lambda: table(
            "Pooled funds", ("name", "title", "type", "versions"), [tuple(d.values()) for d in data]
        ),
    )


@pool_group.command("create")
@click.argument("file", type=_FILE)
@with_place
def create_cmd(place: Place, out: Output, file: Path) -> None:
    """Create a pool from its agreement YAML (partners must already be partners of the place)."""
    fund = create_fund(place, file.read_bytes(), file.name, actor=ACTOR)
    agreement = fund.agreement
    data = {"name": fund.name, "version": 1, "years": agreement.years, "partners": agreement.partners}
    out.emit(
        data,
        lambda: console.print(
            f"[green]created[/] pool {fund.name}: {agreement.title}, "
            f"{agreement.years[0]} to {agreement.years[-1]}"
        ),
    )


@pool_group.command("vary")
@click.argument("name")
@click.argument("file", type=_FILE)
@with_place
def vary_cmd(place: Place, out: Output, name: str, file: Path) -> None:
    """Vary a pool's agreement from a dated variation file (a new version; the old ones are kept)."""
    fund = vary_fund(place, name, file.read_bytes(), file.name, actor=ACTOR)
    latest = fund.versions[-1]
    data = {
        "name": fund.name,
        "version": latest.version,
        "effective_from": latest.effective_from,
        "reason": latest.reason,
    }
    out.emit(
        data,
        lambda: console.print(
            f"[green]varied[/] {fund.name}: version {latest.version} "
            f"in effect from {latest.effective_from} ({latest.reason})"
        ),
    )


@pool_group.command("show")
@click.argument("name")
@click.option("--year", help='Financial year, like "2025-26" (default: the current one).')
@click.option("--as-of", "as_of", type=_DATE, help="Figures as at this date (default: today).")
@with_place
def show_cmd(place: Place, out: Output, name: str, year: str | None, as_of: datetime | None) -> None:
    """The fund: contributions, schemes' budget against actual with forecast outturn, and the risk share."""
    summary = fund_summary(place, name, year, as_of.date() if as_of else None)
    with place.read() as conn:
        versions = open_fund(conn, name).versions
    data = summary.to_dict() | {
        "versions": [
            {"version": v.version, "effective_from": v.effective_from, "reason": v.reason} for v in versions
        ]
    }

    def render() -> None:
        console.print(
            f"[bold]{summary.title}[/] ({summary.name}), {summary.budget_type}, host {summary.host}, "
            f"{summary.year} as at {summary.as_of}"
        )
        table(
            "Contributions",
            ("partner", "agreed", "received", "brought forward"),
            [
                (c["partner"], _m(c["agreed"]), _m(c["received"]), _m(c["brought_forward"]))
                for c in summary.contributions
            ],
        )
        table(
            "Schemes",
            ("scheme", "owner", "budget", "allocated", "spent", "forecast", "variance"),
            [
                (
                    s.scheme,
                    s.owner,
                    _m(s.budget),
                    _m(s.allocated),
                    _m(s.spent),
                    _m(s.forecast),
                    _m(s.forecast_variance),
                )
                for s in summary.schemes
            ],
        )
        if summary.preview:
            table(
                "Risk share if the year ends as forecast",
                ("partner", "overspend borne", "returned", "carried forward"),
                [
                    (p["partner"], _m(p["overspend"]), _m(p["returned"]), _m(p["carried_forward"]))
                    for p in summary.preview["partners"]
                ],
            )
        table(
            "Agreement versions",
            ("version", "in effect from", "reason"),
            [(v.version, v.effective_from, v.reason) for v in versions],
        )

    out.emit(data, render)


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
        posted = post_movements(place, name, movements, actor=ACTOR)
    data = [asdict(p) for p in posted]
    new = sum(not p.replayed for p in posted)
    out.emit(
        data,
        lambda: console.print(
            f"[green]posted[/] {new} transaction(s); {len(posted) - new} already posted under the same key"
        ),
    )


@pool_group.command("contribute")
@click.argument("name")
@click.option("--year", required=True)
@click.option("--date", "day", type=_DATE, help="Date of the postings (default: the first day of the year).")
@with_place
def contribute_cmd(place: Place, out: Output, name: str, year: str, day: datetime | None) -> None:
    """Post the contributions the agreement says are due in YEAR and are not yet posted."""
    when = day.date() if day else year_bounds(year)[0]
    posted = post_agreed(place, name, year, when, actor=ACTOR)
    out.emit(
        [asdict(p) for p in posted],
        lambda: console.print(f"[green]posted[/] {len(posted)} contribution(s) due in {year}"),
    )


@pool_group.command("balances")
@click.argument("name")
@click.option("--as-of", "as_of", type=_DATE, help="Balances at the end of this date.")
@with_place
def balances_cmd(place: Place, out: Output, name: str, as_of: datetime | None) -> None:
    """Every account's balance, derived from the postings."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        found = ledger.balances(conn, fund.id, as_of=as_of.date() if as_of else None)
    data = {
        "pool": name,
        "as_of": as_of.date() if as_of else None,
        "balances": found,
        "total": sum(found.values()),
    }
    out.emit(
        data,
        lambda: table(
            f"Balances of {name}", ("account", "balance"), [(a, _m(v)) for a, v in sorted(found.items())]
        ),
    )


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
    with place.read() as conn:
        fund = open_fund(conn, name)
        found = ledger.transactions(conn, fund.id, kind=kind, year=year, account_prefix=account, limit=limit)
    data = [asdict(t) for t in found]
    out.emit(
        data,
        lambda: table(
            f"Ledger of {name}",
            ("id", "date", "kind", "key", "memo", "debits"),
            [
                (
                    t.id,
                    t.effective_date,
                    t.kind,
                    t.key,
                    t.memo,
                    _m(sum(e.amount for e in t.entries if e.amount > 0)),
                )
                for t in found
            ],
        ),
    )


@pool_group.command("settle")
@click.argument("name")
@click.option("--year", required=True)
@click.option("--dry-run", is_flag=True, help="Show the settlement without posting it.")
@click.option("--yes", is_flag=True, help="Post without asking for confirmation.")
@with_place
def settle_cmd(place: Place, out: Output, name: str, year: str, dry_run: bool, yes: bool) -> None:
    """Apply the risk share to YEAR and, on confirmation, post the settlement as one atomic batch."""
    result = preview(place, name, year)
    if not dry_run:
        if not yes and not out.as_json:
            _show_settlement(settlement_dict(result), posted=False)
            click.confirm(f"Post the settlement of {year} for {name}?", abort=True)
        elif not yes:
            raise InvalidInputError("settling with --json needs --yes (or --dry-run)")
        with out.progress(f"settling {year}"):
            result = settle(place, name, year, actor=ACTOR)
    data = settlement_dict(result) | {"posted": not dry_run}
    out.emit(data, lambda: _show_settlement(data, posted=not dry_run))


def _show_settlement(data: dict[str, Any], *, posted: bool) -> None:
    console.print(
        f"[bold]Settlement of {data['year']}[/]: available {_m(data['available_pence'])}, "
        f"spend {_m(data['spend_pence'])}, "
        f"variance {_m(data['variance_pence'])}" + (" [green](posted)[/]" if posted else " (not posted)")
    )
    rows = [
        (
            p["partner"],
            _m(p["contribution"]),
            _m(p["brought_forward"]),
            _m(p["overspend"]),
            _m(p["returned"]),
            _m(p["carried_forward"]),
            _m(p["share_of_spend"]),
        )
        for p in data["partners"]
    ]
    table(
        "Partners",
        (
            "partner",
            "contributed",
            "brought fwd",
            "overspend borne",
            "returned",
            "carried fwd",
            "share of spend",
        ),
        rows,
    )


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
    found = statements(place, name, year)
    if partner:
        found = [s for s in found if s.partner.lower() == partner.lower()]
        if not found:
            raise InvalidInputError(f"{partner!r} is not in the settlement of {year}")
    bad = [s.partner for s in found if not s.reconciles]
    if bad:
        raise LedgerInconsistentError(
            f"the statements of {', '.join(bad)} do not reconcile", hint=f"run `totalplace pool check {name}`"
        )
    html = (
        statement_html(found[0], place.config.name)
        if partner
        else summary_html(fund_summary(place, name, year), found, place.config.name)
    )
    for path, content in ((html_path, html.encode("utf-8")), (pdf_path, to_pdf(html) if pdf_path else b"")):
        if path is not None:
            path.write_bytes(content)
    data = [s.to_dict() for s in found]
    out.emit(
        data,
        lambda: table(
            f"Settlement statements, {year}",
            (
                "partner",
                "contributed",
                "brought fwd",
                "settlement",
                "share of spend",
                "carried fwd",
                "balance",
            ),
            [
                (
                    s.partner,
                    _m(s.contribution),
                    _m(s.brought_forward),
                    _m(s.settlement),
                    _m(s.share_of_spend),
                    _m(s.carried_forward),
                    _m(s.difference),
                )
                for s in found
            ],
        ),
    )


@pool_group.command("check")
@click.argument("name")
@with_place
def check_cmd(place: Place, out: Output, name: str) -> None:
    """Check the pool's ledger: balanced transactions, stored totals, reversals, closed years."""
    with place.read() as conn:
        fund = open_fund(conn, name)
        problems = ledger.check_ledger(conn, fund.id)
    out.emit(
        {"pool": name, "ok": not problems, "problems": problems},
        lambda: console.print("[green]the ledger is sound[/]" if not problems else "\n".join(problems)),
    )
    if problems:
        raise LedgerInconsistentError(f"{len(problems)} problem(s) in the ledger of {name}")


@pool_group.command("import-spend")
@click.argument("name")
@with_place
def import_spend_cmd(place: Place, out: Output, name: str) -> None:
    """Post actual spend from partners' imported spending files, matched to schemes by their `match`."""
    with out.progress(f"matching imported spending to the schemes of {name}"):
        report = import_spend(place, name, actor=ACTOR)

    def render() -> None:
        console.print(
            f"[green]posted[/] {report.posted} monthly spend transaction(s), "
            f"{report.already} already posted, "
            f"{report.reversed} reversed from superseded batches"
        )
        table("Matched spend", ("scheme", "spend"), [(s, _m(v)) for s, v in sorted(report.by_scheme.items())])
        if report.skipped_settled:
            console.print(
                f"[yellow]not posted[/]: lines in settled years {', '.join(report.skipped_settled)}"
            )

    out.emit(asdict(report), render)
