"""What a person reads of a pool's money commands: contributions due and not yet due, reopening a year,
the forecast method and partners' forecasts, and post-term adjustments.

Each function returns a :class:`~totalplace.reports.pool.CommandView` (headline, tables, ``--json`` data).
Money is shown as pounds and pence; the JSON keeps integer pence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from totalplace.engines.pool.adjust import Adjustments
from totalplace.engines.pool.forecast import ForecastBasis
from totalplace.engines.pool.movements import Contributed
from totalplace.money import Money
from totalplace.reports.pool import CommandView
from totalplace.reports.table import TableView
from totalplace.store.ledger import Posted
from totalplace.store.pool_money import ForecastEntry, MethodVersion


def _m(pence: int) -> str:
    return str(Money(int(pence)))


def contributed_text(result: Contributed) -> CommandView:
    """``pool contribute``: what was posted under the version in force, and what is agreed but not yet due."""
    headline = (
        f"[green]posted[/] {len(result.posted)} contribution(s) due in {result.year} on {result.day} "
        f"(agreement version {result.version})"
    )
    tables = []
    if result.not_yet_due:
        tables.append(
            TableView.of(
                "Agreed but not yet due on that date",
                ("partner", "kind", "scheme", "amount", "due from", "version"),
                [
                    (n.partner, n.kind, n.scheme, _m(n.amount), n.due_from, n.version)
                    for n in result.not_yet_due
                ],
                note="post it with `--date` on or after the date it falls due",
            )
        )
    return CommandView(headline, tuple(tables), result.to_dict())


def reopened_text(name: str, year: str, reason: str, posted: Sequence[Posted]) -> CommandView:
    """``pool reopen``: the reversal posted, and that the year can be settled again."""
    ids = ", ".join(str(p.txn_id) for p in posted) or "none (it settled at nil)"
    headline = f"[green]reopened[/] {year} of {name}: settlement reversed by transaction(s) {ids}"
    data = {"pool": name, "year": year, "reason": reason, "reversals": [p.txn_id for p in posted]}
    return CommandView(headline, (), data)


def forecast_text(
    basis: ForecastBasis | None,
    history: Sequence[MethodVersion],
    year: str,
    entries: Sequence[ForecastEntry] = (),
) -> CommandView:
    """``pool forecast show``: the method in force, each scheme's forecast, the method's versions, and the
    partners' forecasts in force for the year."""
    tables = []
    if basis is not None:
        tables.append(
            TableView.of(
                f"Forecast outturn, {year}",
                ("scheme", "actuals to date", "forecast", "method", "note"),
                [(s.scheme, _m(s.actual_to_date), _m(s.forecast), s.method, s.note) for s in basis.schemes],
            )
        )
    if history:  # none until the fund manager first chooses (the headline names the default then)
        tables.append(
            TableView.of(
                "Forecast method versions",
                ("version", "method", "reason", "by", "at"),
                [(v.version, v.method, v.reason, v.set_by, v.set_at) for v in history],
            )
        )
    if entries:
        tables.append(
            TableView.of(
                f"Partners' forecasts, {year} (the newest entry for each month)",
                ("scheme", "month", "forecast", "partner", "by", "at"),
                [(e.scheme, e.month, _m(e.amount), e.partner, e.entered_by, e.entered_at) for e in entries],
            )
        )
    headline = basis.statement if basis else f"{year} is settled: its outturn is the settled spend"
    return CommandView(headline, tuple(tables), _forecast_data(basis, history, year, entries))


def _forecast_data(
    basis: ForecastBasis | None, history: Sequence[MethodVersion], year: str, entries: Sequence[ForecastEntry]
) -> dict[str, Any]:
    """The ``--json`` of ``pool forecast show``."""
    return {
        "year": year,
        "forecast": basis.to_dict() if basis else None,
        "versions": [
            {"version": v.version, "method": v.method, "reason": v.reason, "by": v.set_by, "at": v.set_at}
            for v in history
        ],
        "partner_forecasts": [
            {
                "scheme": e.scheme,
                "month": e.month,
                "amount": e.amount,
                "partner": e.partner,
                "by": e.entered_by,
            }
            for e in entries
        ],
    }


def method_text(name: str, chosen: MethodVersion) -> CommandView:
    """``pool forecast method``: the method chosen and its version."""
    headline = (
        f"[green]forecast method[/] of {name}: {chosen.method} (version {chosen.version}, {chosen.reason})"
    )
    return CommandView(
        headline,
        (),
        {"pool": name, "version": chosen.version, "method": chosen.method, "reason": chosen.reason},
    )


def entry_text(name: str, entry: ForecastEntry) -> CommandView:
    """``pool forecast enter``: the forecast recorded."""
    headline = f"[green]recorded[/] {entry.partner}'s forecast for {entry.scheme} in {entry.month}: "
    headline += _m(entry.amount)
    return CommandView(
        headline,
        (),
        {
            "pool": name,
            "scheme": entry.scheme,
            "month": entry.month,
            "amount": entry.amount,
            "partner": entry.partner,
            "by": entry.entered_by,
        },
    )


def adjustments_text(found: Adjustments) -> CommandView:
    """``pool adjustments``: every post-term adjustment, and each partner's net (paid in +, paid back -)."""
    data = found.to_dict()
    rows = [
        (a["id"], a["date"], a["partner"], _m(a["amount"]), a["reason"], a["by"]) for a in data["adjustments"]
    ]
    tables = (
        TableView.of(
            f"Post-term adjustments (the term ended {found.term_ends})",
            ("id", "date", "partner", "amount", "reason", "by"),
            rows,
        ),
        TableView.of(
            "Net by partner",
            ("partner", "paid in (+) / paid back (-)"),
            [(p, _m(v)) for p, v in found.net.items()],
        ),
    )
    return CommandView(None, tables, data)


def adjusted_text(name: str, posted: Posted) -> CommandView:
    """``pool adjust``: the adjustment posted (or found already posted under its key)."""
    verb = "already posted" if posted.replayed else "[green]posted[/]"
    return CommandView(
        f"{verb} post-term adjustment {posted.key} to {name} (transaction {posted.txn_id})",
        (),
        {"pool": name, **vars_of(posted)},
    )


def vars_of(posted: Posted) -> dict[str, object]:
    """A posting as JSON."""
    return {"txn_id": posted.txn_id, "key": posted.key, "kind": posted.kind, "replayed": posted.replayed}
