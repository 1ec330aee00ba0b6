"""What a person reads of a pooled fund: the pools, the fund, its ledger, the settlement and the statements.

Each web page has a view here whose ``to_dict()`` is the page's JSON twin (and what its template draws); each
``pool`` command has a :class:`CommandView`: the headline and tables a person reads, already formatted, and
the document ``--json`` prints. Settlement statements and the board's fund summary are standalone documents
(HTML from ``reports/templates``, printed to PDF by :func:`totalplace.reports.render.to_pdf`).

Money is shown as pounds and pence (``£1,234.50``); the JSON keeps integer pence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from totalplace.engines.pool.books import LedgerExtract, YearSettlement
from totalplace.engines.pool.fund import Fund, agreement_yaml
from totalplace.engines.pool.movements import LEDGER_KINDS, POSTABLE
from totalplace.engines.pool.report import FundSummary, Statement
from totalplace.engines.pool.spend_import import SpendImport
from totalplace.errors import (
    BudgetExceededError,
    IdempotencyKeyReusedError,
    InputRefusedError,
    InvalidInputError,
    LedgerLimitError,
    NotFoundError,
    PartnerRequiredError,
    PermissionDeniedError,
    TotalplaceError,
    YearSettledError,
)
from totalplace.money import Money
from totalplace.reports.render import render_html, to_pdf
from totalplace.reports.table import TableView
from totalplace.store.ledger import Posted, StoredTxn
from totalplace.store.pools import SettlementRecord, VersionRow

if TYPE_CHECKING:
    from totalplace.reports.charts import RenderedChart


def _m(pence: int) -> str:
    """Pence as pounds and pence, the way every table shows money."""
    return str(Money(int(pence)))


def _money(*amounts: int) -> tuple[str, ...]:
    """Each amount in pence as pounds and pence."""
    return tuple(_m(a) for a in amounts)


# -- the pages -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PoolsView:
    """The pools a user may see, and whether they may create one."""

    funds: tuple[Fund, ...]
    can_manage: bool

    def to_dict(self) -> dict[str, Any]:
        """The page's data: each pool as its newest agreement describes it."""
        return {
            "pools": [
                {
                    "name": f.name,
                    "title": f.agreement.title,
                    "budget_type": f.agreement.budget_type,
                    "host": f.agreement.host,
                    "partners": f.agreement.partners,
                    "years": f.agreement.years,
                }
                for f in self.funds
            ],
            "can_manage": self.can_manage,
        }


def pools_view(funds: Sequence[Fund], *, can_manage: bool) -> PoolsView:
    """The list of pools (those the user may see; the caller has chosen them)."""
    return PoolsView(tuple(funds), can_manage)


@dataclass(frozen=True, slots=True)
class FormState:
    """A refused form shown again: which form, what was typed, and each problem beside its field ("" for the
    form as a whole)."""

    form: str
    values: dict[str, str]
    problems: dict[str, tuple[str, ...]]
    code: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The form's state as the page draws it."""
        return {
            "form": self.form,
            "typed": dict(self.values),
            "problems": {k: list(v) for k, v in self.problems.items()},
            "code": self.code,
        }


def form_state(
    form: str, values: dict[str, str], problems: dict[str, list[str]], code: str = ""
) -> FormState:
    """A refused form's state (problems keyed by field)."""
    return FormState(form, dict(values), {k: tuple(v) for k, v in problems.items() if v}, code)


def _sentences(error: TotalplaceError) -> list[str]:
    """A refusal as the sentences shown beside a field: each located problem of refused input, else the
    message with its hint."""
    if isinstance(error, InputRefusedError) and error.problems:
        return [
            (f"line {p.row}, " if p.row else "") + (f"{p.column}: " if p.column else "") + p.message
            for p in error.problems
        ]
    return [f"{error.message} ({error.hint})" if error.hint else error.message]


def refused(form: str, values: dict[str, str], error: TotalplaceError, field: str) -> tuple[FormState, int]:
    """A form refused by ``error``, its problems beside ``field``, and the page's HTTP status."""
    return form_state(form, values, {field: _sentences(error)}, error.code), _status(error)


def _status(error: TotalplaceError) -> int:
    """The HTTP status of a refused form: the error's own when it is a client's (4xx), else 400."""
    return error.http_status if 400 <= error.http_status < 500 else 400


# Which field of the post form an engine's refusal is about, by its kind of error; an InvalidInputError by
# what its message names.
_POST_FIELD_OF: dict[type[TotalplaceError], str] = {
    PartnerRequiredError: "partner",
    IdempotencyKeyReusedError: "key",
    BudgetExceededError: "amount",
    LedgerLimitError: "amount",
    YearSettledError: "day",
    NotFoundError: "reverses",
}
_POST_WORDS = (("scheme", "scheme"), ("partner", "partner"), ("amount", "amount"), ("term", "day"))


def _post_field(error: TotalplaceError, values: dict[str, str]) -> str:
    """The post form's field a refusal is about ("" for the form as a whole)."""
    for kind, field in _POST_FIELD_OF.items():
        if isinstance(error, kind):
            return field
    if isinstance(error, PermissionDeniedError):
        # A posting belongs to the partner it names, or to the owner of the scheme spend goes to.
        return "scheme" if values.get("kind") in ("spend", "allocation") else "partner"
    if isinstance(error, InvalidInputError):
        if "cannot be posted by hand" in error.message:
            return "kind"
        return next((f for word, f in _POST_WORDS if word in error.message), "")
    return ""


def post_problems(values: dict[str, str], errors: dict[str, TotalplaceError]) -> tuple[FormState, int]:
    """The post form refused: each error beside its field ("" keys: placed by what the error is about)."""
    problems: dict[str, list[str]] = {}
    for field, error in errors.items():
        problems.setdefault(field or _post_field(error, values), []).extend(_sentences(error))
    first = next(iter(errors.values()))
    return form_state("post", values, problems, first.code), _status(first)


@dataclass(frozen=True, slots=True)
class FundView:
    """The fund page: the summary of a year, the agreement's versions, and the forms the user may use.

    ``postable`` are the partners the user may post for (the post form is shown when there is one);
    ``form`` is a refused form to show again with its problems.
    """

    summary: FundSummary
    fund: Fund
    can_manage: bool
    postable: tuple[str, ...]
    form: FormState | None = None

    @property
    def can_post(self) -> bool:
        """Whether the user may post for some partner of the pool."""
        return bool(self.postable)

    def to_dict(self) -> dict[str, Any]:
        """The page's data: the summary, the versions, and what the forms offer."""
        agreement = self.fund.agreement
        return self.summary.to_dict() | {
            "versions": [
                {
                    "version": v.version,
                    "effective_from": v.effective_from.isoformat(),
                    "reason": v.reason,
                    "by": v.created_by,
                }
                for v in self.fund.versions
            ],
            "years": agreement.years,
            # A scheme's spend, allocations and forecasts are its owner's: offer only those the user may post.
            "schemes_list": [s.name for s in agreement.schemes if s.owner in self.postable],
            "partners_list": list(self.postable),
            "kinds": list(POSTABLE),
            "can_manage": self.can_manage,
            "can_post": self.can_post,
            "agreement_yaml": agreement_yaml(self.fund) if self.can_manage else "",
            "form": self.form.to_dict() if self.form else None,
        }

    def charts(self) -> dict[str, RenderedChart]:
        """Forecast variance by scheme, and contributions received by partner."""
        from totalplace.reports.charts import bar_chart

        summary = self.summary
        return {
            "variance": bar_chart(
                [{"scheme": s.title, "pounds": s.forecast_variance // 100} for s in summary.schemes],
                category="scheme",
                value="pounds",
                title="Forecast outturn against budget (over +, under -)",
                value_title="£",
            ),
            "contributions": bar_chart(
                [{"partner": c.partner, "pounds": c.received // 100} for c in summary.contributions],
                category="partner",
                value="pounds",
                title=f"Contributions received in {summary.year}",
                value_title="£",
            ),
        }


def fund_view(
    summary: FundSummary,
    fund: Fund,
    *,
    can_manage: bool,
    postable: Sequence[str] = (),
    form: FormState | None = None,
) -> FundView:
    """The fund page of ``summary``'s year (the agreement's YAML only for those who may edit it)."""
    return FundView(summary, fund, can_manage, tuple(postable), form)


@dataclass(frozen=True, slots=True)
class LedgerView:
    """The ledger page: the transactions with their entries, and every account's balance."""

    extract: LedgerExtract

    def to_dict(self) -> dict[str, Any]:
        """The page's data: transactions oldest first, each with its entries (debit positive)."""
        found = self.extract
        return {
            "name": found.pool,
            "title": found.title,
            "filters": found.filters.to_dict(),
            "transactions": [
                {
                    "id": t.id,
                    "key": t.key,
                    "kind": t.kind,
                    "date": t.effective_date.isoformat(),
                    "year": t.year,
                    "memo": t.memo,
                    "reverses": t.reverses_id,
                    "posted_by": t.posted_by,
                    "entries": [
                        {"account": e.account, "amount": e.amount, "partner": e.partner, "scheme": e.scheme}
                        for e in t.entries
                    ],
                }
                for t in found.transactions
            ],
            "balances": found.balances,
            "totals": found.totals,
            "partners_shown": list(found.shown) if found.shown is not None else None,
            "years": list(found.years),
            "kinds": list(LEDGER_KINDS),
        }


def ledger_view(extract: LedgerExtract) -> LedgerView:
    """The ledger page of what was read."""
    return LedgerView(extract)


@dataclass(frozen=True, slots=True)
class SettlementView:
    """The settlement page: the statements a user may see once the year is posted, or the preview before
    (the engine has kept only the lines the user may see)."""

    settlement: YearSettlement
    can_manage: bool

    def to_dict(self) -> dict[str, Any]:
        """The page's data."""
        s = self.settlement
        data: dict[str, Any] = {
            "name": s.pool,
            "title": s.title,
            "year": s.year,
            "years": list(s.years),
            "settled": s.settled,
            "partners_shown": list(s.shown) if s.shown is not None else None,
        }
        if s.settled:
            data["statements"] = [st.to_dict() for st in s.statements]
        elif s.preview is not None:
            data["preview"] = s.preview.to_dict()
        data["can_settle"] = self.can_manage and not s.settled
        return data


def settlement_view(settlement: YearSettlement, *, can_manage: bool) -> SettlementView:
    """The settlement page of what the user may see."""
    return SettlementView(settlement, can_manage)


# -- documents -----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Document:
    """A standalone HTML document, and the name its PDF is saved under."""

    html: str
    filename: str

    def pdf(self) -> bytes:
        """The document printed to PDF."""
        return to_pdf(self.html)


def statement_html(statement: Statement, place_name: str) -> str:
    """One partner's settlement statement as a standalone HTML document."""
    return render_html("statement.html", s=statement, place_name=place_name)


def summary_html(summary: FundSummary, statements: Sequence[Statement], place_name: str) -> str:
    """The fund summary for the board, with every partner's statement when the year is settled."""
    return render_html("fund_summary.html", f=summary, statements=statements, place_name=place_name)


def statement_document(statement: Statement, place_name: str) -> Document:
    """One partner's statement, saved as ``<pool>-<year>-<partner>.pdf``."""
    filename = f"{statement.pool}-{statement.year}-{statement.partner}.pdf".replace(" ", "_")
    return Document(statement_html(statement, place_name), filename)


def summary_document(summary: FundSummary, statements: Sequence[Statement], place_name: str) -> Document:
    """The board's fund summary, saved as ``<pool>-<year>-summary.pdf``."""
    return Document(
        summary_html(summary, statements, place_name), f"{summary.name}-{summary.year}-summary.pdf"
    )


# -- the commands --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CommandView:
    """What a command shows: a headline (rich markup) and tables for a person, ``data`` for ``--json``."""

    headline: str | None
    tables: tuple[TableView, ...]
    data: Any


def funds_text(funds: Sequence[Fund]) -> CommandView:
    """``pool list``: each pool's name, title, budget type and number of agreement versions."""
    data = [
        {
            "name": f.name,
            "title": f.pool.title,
            "budget_type": f.pool.budget_type,
            "versions": len(f.versions),
        }
        for f in funds
    ]
    rows = [tuple(d.values()) for d in data]
    return CommandView(
        None, (TableView.of("Pooled funds", ("name", "title", "type", "versions"), rows),), data
    )


def created_text(fund: Fund) -> CommandView:
    """``pool create``: the pool made, its term and partners."""
    a = fund.agreement
    headline = f"[green]created[/] pool {fund.name}: {a.title}, {a.years[0]} to {a.years[-1]}"
    return CommandView(
        headline, (), {"name": fund.name, "version": 1, "years": a.years, "partners": a.partners}
    )


def varied_text(fund: Fund) -> CommandView:
    """``pool vary``: the version added, when it takes effect and why."""
    v = fund.versions[-1]
    headline = (
        f"[green]varied[/] {fund.name}: version {v.version} in effect from {v.effective_from} ({v.reason})"
    )
    data = {
        "name": fund.name,
        "version": v.version,
        "effective_from": v.effective_from.isoformat(),
        "reason": v.reason,
    }
    return CommandView(headline, (), data)


def fund_text(summary: FundSummary, versions: Sequence[VersionRow]) -> CommandView:
    """``pool show``: contributions, schemes against budget and forecast, the risk-share preview, versions."""
    headline = (
        f"[bold]{summary.title}[/] ({summary.name}), {summary.budget_type}, host {summary.host}, "
        f"{summary.year} as at {summary.as_of}"
    )
    if summary.forecast:
        headline += f"\n{summary.forecast.statement}"
    tables = [
        TableView.of(
            "Contributions",
            ("partner", "agreed", "received", "brought forward"),
            [(c.partner, _m(c.agreed), _m(c.received), _m(c.brought_forward)) for c in summary.contributions],
        ),
        TableView.of(
            "Schemes",
            ("scheme", "owner", "budget", "allocated", "spent", "forecast", "variance"),
            [
                (s.scheme, s.owner, *_money(s.budget, s.allocated, s.spent, s.forecast, s.forecast_variance))
                for s in summary.schemes
            ],
        ),
    ]
    if summary.preview:
        tables.append(
            TableView.of(
                "Risk share if the year ends as forecast",
                ("partner", "overspend borne", "returned", "carried forward"),
                [
                    (p.partner, _m(p.overspend), _m(p.returned), _m(p.carried_forward))
                    for p in summary.preview.partners
                ],
            )
        )
    tables.append(
        TableView.of(
            "Agreement versions",
            ("version", "in effect from", "reason"),
            [(v.version, v.effective_from, v.reason) for v in versions],
        )
    )
    shown = [
        {"version": v.version, "effective_from": v.effective_from.isoformat(), "reason": v.reason}
        for v in versions
    ]
    return CommandView(headline, tuple(tables), summary.to_dict() | {"versions": shown})


def posted_text(posted: Sequence[Posted]) -> CommandView:
    """``pool post``: how many transactions were new, and how many were retries of ones already posted."""
    new = sum(not p.replayed for p in posted)
    headline = f"[green]posted[/] {new} transaction(s); {len(posted) - new} already posted under the same key"
    return CommandView(headline, (), [asdict(p) for p in posted])


def contributed_text(posted: Sequence[Posted], year: str) -> CommandView:
    """``pool contribute``: the contributions posted as due in ``year``."""
    headline = f"[green]posted[/] {len(posted)} contribution(s) due in {year}"
    return CommandView(headline, (), [asdict(p) for p in posted])


def balances_text(name: str, balances: dict[str, int], as_of: date | None) -> CommandView:
    """``pool balances``: every account's balance, by account."""
    rows = [(account, _m(pence)) for account, pence in sorted(balances.items())]
    data = {
        "pool": name,
        "as_of": as_of.isoformat() if as_of else None,
        "balances": balances,
        "total": sum(balances.values()),
    }
    return CommandView(None, (TableView.of(f"Balances of {name}", ("account", "balance"), rows),), data)


def ledger_text(extract: LedgerExtract) -> CommandView:
    """``pool ledger``: each transaction with the total of its debits."""
    rows = [
        (t.id, t.effective_date, t.kind, t.key, t.memo, _m(sum(e.amount for e in t.entries if e.amount > 0)))
        for t in extract.transactions
    ]
    table = TableView.of(f"Ledger of {extract.pool}", ("id", "date", "kind", "key", "memo", "debits"), rows)
    return CommandView(None, (table,), [_txn_data(t) for t in extract.transactions])


def _txn_data(t: StoredTxn) -> dict[str, Any]:
    """A transaction as ``--json`` shows it: every field, its date as ISO text, its entries in a list."""
    data: dict[str, Any] = asdict(t)
    data["effective_date"] = t.effective_date.isoformat()
    data["entries"] = list(data["entries"])
    return data


def settlement_text(record: SettlementRecord, *, posted: bool) -> CommandView:
    """``pool settle``: the year's variance, and each partner's lines of the settlement."""
    headline = (
        f"[bold]Settlement of {record.year}[/]: available {_m(record.available_pence)}, "
        f"spend {_m(record.spend_pence)}, "
        f"variance {_m(record.variance_pence)}" + (" [green](posted)[/]" if posted else " (not posted)")
    )
    columns = (
        "partner",
        "contributed",
        "brought fwd",
        "overspend borne",
        "returned",
        "carried fwd",
        "share of spend",
    )
    rows = [
        (
            p.partner,
            *_money(p.contribution, p.brought_forward, p.overspend, p.returned, p.carried_forward),
            _m(p.share_of_spend),
        )
        for p in record.partners
    ]
    return CommandView(
        headline, (TableView.of("Partners", columns, rows),), record.to_dict() | {"posted": posted}
    )


def statements_text(statements: Sequence[Statement], year: str) -> CommandView:
    """``pool statement``: each partner's statement lines, and what is left (nil when it reconciles)."""
    columns = (
        "partner",
        "contributed",
        "brought fwd",
        "settlement",
        "share of spend",
        "carried fwd",
        "balance",
    )
    rows = [
        (
            s.partner,
            *_money(s.contribution, s.brought_forward, s.settlement, s.share_of_spend, s.carried_forward),
            _m(s.difference),
        )
        for s in statements
    ]
    table = TableView.of(f"Settlement statements, {year}", columns, rows)
    return CommandView(None, (table,), [s.to_dict() for s in statements])


def check_text(name: str, problems: Sequence[str]) -> CommandView:
    """``pool check``: the ledger is sound, or every problem found."""
    headline = "[green]the ledger is sound[/]" if not problems else "\n".join(problems)
    return CommandView(headline, (), {"pool": name, "ok": not problems, "problems": list(problems)})


def spend_import_text(report: SpendImport) -> CommandView:
    """``pool import-spend``: what was posted, the spend matched to each scheme, and what could not be."""
    headline = (
        f"[green]posted[/] {report.posted} monthly spend transaction(s), "
        f"{report.already} already posted, "
        f"{report.reversed} reversed from superseded batches"
    )
    note = (
        f"[yellow]not posted[/]: lines in settled years {', '.join(report.skipped_settled)}"
        if report.skipped_settled
        else None
    )
    rows = [(scheme, _m(pence)) for scheme, pence in sorted(report.by_scheme.items())]
    table = TableView.of("Matched spend", ("scheme", "spend"), rows, note=note)
    return CommandView(headline, (table,), report.to_dict())
