"""The pooled-fund pages: the fund, its ledger, the settlement with statements, and forms that change them.

Only the pool's partners and the auditor see a pool; each partner's finance role sees its own statement
(``Principal.pool_statements``). Changes (create, vary, post, settle) go through the same engine functions as
the CLI, each behind a CSRF-checked POST.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from totalplace.engines.pool.adjust import adjustments
from totalplace.engines.pool.agreement import year_bounds
from totalplace.engines.pool.books import LedgerFilter, YearSettlement, read_ledger, year_settlement
from totalplace.engines.pool.forecast import METHODS, choose_method, enter_forecast
from totalplace.engines.pool.fund import Fund, create_fund, list_funds, open_fund, revise_fund, vary_fund
from totalplace.engines.pool.movements import LEDGER_KINDS, Movement, post_agreed, post_movements
from totalplace.engines.pool.report import fund_summary, statements
from totalplace.engines.pool.settle import reopen, settle
from totalplace.errors import (
    AgreementInvalidError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ReasonRequiredError,
    SettlementTooEarlyError,
    TotalplaceError,
)
from totalplace.governance.policy import Resource, partners_shown
from totalplace.governance.roles import Principal
from totalplace.money import Money, MoneyParseError
from totalplace.place import Place
from totalplace.reports.pool import (
    Document,
    fund_view,
    ledger_view,
    pools_view,
    settlement_view,
    statement_document,
    summary_document,
)
from totalplace.store.partners import list_partners
from totalplace.web import params
from totalplace.web.render import page, twin
from totalplace.web.session import acting_user, current_principal

router = APIRouter()


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


def _form_date(text: str, field: str) -> date:
    """A date from a form or query field, or a coded error naming the field."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{field} {text!r} is not a date", hint="write it as YYYY-MM-DD") from None


def _visible(place: Place, principal: Principal, fund: Fund) -> set[str]:
    """The partners whose statements this user may see in ``fund`` (raises 403 if none)."""
    with place.read() as conn:
        ids = {p.name: p.id for p in list_partners(conn)}
    members = {p: ids[p] for p in fund.agreement.partners if p in ids}
    pool = Resource("pool", fund.name, members=frozenset(members.values()), host=ids.get(fund.agreement.host))
    shown = partners_shown(principal, pool)
    return {p for p, pid in members.items() if shown is None or pid in shown}


def _fund(request: Request, principal: Principal, name: str) -> tuple[Fund, set[str]]:
    params.safe_name(name, "pool name")
    place = _place(request)
    with place.read() as conn:
        fund = open_fund(conn, name)
    return fund, _visible(place, principal, fund)


@twin(router, "/pools", "pools.html", cache=True)
def pools_page(request: Request, principal: Principal) -> dict[str, Any]:
    """The pools this user can see."""
    principal.require("pool.read")
    place = _place(request)
    with place.read() as conn:
        funds = list_funds(conn)
    shown = []
    for fund in funds:
        try:
            _visible(place, principal, fund)
        except TotalplaceError:
            continue
        shown.append(fund)
    return pools_view(shown, can_manage=principal.may("pool.manage")).to_dict()


@twin(router, "/pools/{name}", "pool.html", cache=True)
def pool_page(request: Request, principal: Principal) -> dict[str, Any]:
    """The fund: contributions, schemes' budget against actual and forecast, the risk-share preview."""
    name = params.path_name(request, "name", "pool name")
    fund, _ = _fund(request, principal, name)
    year = params.financial_year(request)
    as_of = params.text(request, "as_of", longest=10)
    summary = fund_summary(_place(request), name, year, _form_date(as_of, "as_of") if as_of else None)
    view = fund_view(
        summary, fund, can_manage=principal.may("pool.manage"), can_post=principal.may("pool.post")
    )
    return {**view.to_dict(), "_charts": view.charts()}


@twin(router, "/pools/{name}/ledger", "pool_ledger.html")
def pool_ledger(request: Request, principal: Principal) -> dict[str, Any]:
    """The ledger's transactions with their entries, filtered by kind, year or account."""
    name = params.path_name(request, "name", "pool name")
    _fund(request, principal, name)
    filters = LedgerFilter(
        kind=params.choice(request, "kind", LEDGER_KINDS),
        year=params.financial_year(request),
        account=params.text(request, "account"),
    )
    limit = params.whole(request, "limit", 500, 1, 10_000)
    return ledger_view(read_ledger(_place(request), name, filters, limit=limit, with_balances=True)).to_dict()


@twin(router, "/pools/{name}/settlement", "pool_settlement.html", cache=True)
def pool_settlement(request: Request, principal: Principal) -> dict[str, Any]:
    """A year's settlement: posted (with the statements this user may see) or previewed from actuals."""
    name = params.path_name(request, "name", "pool name")
    _, visible = _fund(request, principal, name)
    found = year_settlement(_place(request), name, params.financial_year(request))
    view = settlement_view(found, visible, can_manage=principal.may("pool.manage")).to_dict()
    return (
        view
        | _settle_forms(principal, found.year, found.settled)
        | _post_term(request, principal, name, found)
    )


def _pdf(document: Document) -> Response:
    return Response(
        document.pdf(),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )


@router.get("/pools/{name}/statements/{partner}.{fmt}")
def statement_file(request: Request, name: str, partner: str, fmt: str) -> Response:
    """One partner's settlement statement as HTML or PDF."""
    principal = current_principal(request)
    _, visible = _fund(request, principal, name)
    year = params.financial_year(request) or ""
    if partner not in visible:
        raise NotFoundError(f"no statement for {params.safe_name(partner, 'partner')!r} that you may see")
    found = [s for s in statements(_place(request), name, year) if s.partner == partner]
    if not found or fmt not in ("html", "pdf"):
        raise NotFoundError(
            f"no {fmt[:10]} statement for {partner} in {year}", hint="use .html or .pdf and ?year=2025-26"
        )
    document = statement_document(found[0], _place(request).config.name)
    return Response(document.html, media_type="text/html") if fmt == "html" else _pdf(document)


@router.get("/pools/{name}/summary.pdf")
def summary_pdf(request: Request, name: str) -> Response:
    """The board's fund summary as PDF, with the statements the user may see once the year is settled."""
    principal = current_principal(request)
    _, visible = _fund(request, principal, name)
    place = _place(request)
    summary = fund_summary(place, name, params.financial_year(request))
    shown = (
        [s for s in statements(place, name, summary.year) if s.partner in visible] if summary.settled else []
    )
    return _pdf(summary_document(summary, shown, place.config.name))


# -- changes -------------------------------------------------------------------------------------------------
@router.get("/pools-new")
def new_pool_form(request: Request) -> Response:
    """The form to create a pool from agreement YAML."""
    principal = current_principal(request)
    principal.require("pool.create")
    return page(request, "pool_new.html", {"yaml": ""}, principal=principal)


@router.post("/pools-new")
def create_pool(
    request: Request, agreement: Annotated[str, Form()], csrf_token: Annotated[str, Form()]
) -> Response:
    """Create a pool; a refused agreement comes back with every problem by line and field (HTTP 422)."""
    principal = acting_user(request, csrf_token, "pool.create")
    try:
        fund = create_fund(_place(request), agreement, "agreement.yaml", actor=principal.username)
    except AgreementInvalidError as error:
        return page(
            request,
            "pool_new.html",
            {"yaml": agreement, "rejected": error.to_dict()},
            status_code=422,
            principal=principal,
        )
    return RedirectResponse(f"/pools/{fund.name}", status_code=303)


@router.post("/pools/{name}/vary")
def vary_pool(
    request: Request, name: str, variation: Annotated[str, Form()], csrf_token: Annotated[str, Form()]
) -> Response:
    """Add a version of the agreement from variation YAML."""
    principal = acting_user(request, csrf_token, "pool.manage")
    vary_fund(_place(request), name, variation, "variation.yaml", actor=principal.username)
    return RedirectResponse(f"/pools/{name}", status_code=303)


@router.post("/pools/{name}/revise")
def revise_pool(
    request: Request,
    name: str,
    agreement: Annotated[str, Form()],
    effective: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
) -> Response:
    """Add a version from the edited agreement; refused edits come back with every problem (HTTP 422)."""
    principal = acting_user(request, csrf_token, "pool.manage")
    day = _form_date(effective, "effective")
    try:
        revise_fund(_place(request), name, agreement, effective=day, reason=reason, actor=principal.username)
    except AgreementInvalidError as error:
        data = {
            "yaml": agreement,
            "rejected": error.to_dict(),
            "name": name,
            "effective": effective,
            "reason": reason,
        }
        return page(request, "pool_new.html", data, status_code=422, principal=principal)
    return RedirectResponse(f"/pools/{name}", status_code=303)


@router.post("/pools/{name}/post")
def post_movement(
    request: Request,
    name: str,
    key: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    day: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    amount: Annotated[str, Form()] = "",
    partner: Annotated[str, Form()] = "",
    scheme: Annotated[str, Form()] = "",
    memo: Annotated[str, Form()] = "",
    reverses: Annotated[str, Form()] = "",
) -> Response:
    """Post one movement; the form's key makes a double submission harmless."""
    principal = acting_user(request, csrf_token, "pool.post")
    _, visible = _fund(request, principal, name)
    if partner and partner not in visible:
        raise InvalidInputError(f"you may post only for {', '.join(sorted(visible))}")
    when = _form_date(day, "day")
    pence = Money.parse(amount).pence if amount else 0
    post_movements(
        _place(request),
        name,
        [Movement(key, kind, when, pence, partner or None, scheme or None, memo, reverses or None)],
        actor=principal.username,
    )
    return RedirectResponse(f"/pools/{name}/ledger", status_code=303)


# -- money: settling and reopening a year, the forecast method and partners' forecasts ----------------------
def _settle_forms(principal: Principal, year: str, settled: bool) -> dict[str, Any]:
    """What the settlement page's forms need: whether the year may still settle only early (with a reason),
    and whether the user may reopen it."""
    last_day = year_bounds(year)[1]
    return {
        "last_day": last_day.isoformat(),
        "early": date.today() < last_day,
        "can_reopen": settled and principal.may("pool.manage"),
    }


def _post_term(request: Request, principal: Principal, name: str, found: YearSettlement) -> dict[str, Any]:
    """On the settlement page of the pool's last year, once settled: the post-term adjustments the user may
    see (corrections after the term; docs/pools.md)."""
    if not found.settled or found.year != found.years[-1]:
        return {}
    return {"post_term": adjustments(_place(request), name, principal=principal).to_dict()}


def _settlement_refused(
    request: Request, principal: Principal, name: str, year: str, typed: dict[str, str], problem: str
) -> Response:
    """The settlement page again, with what the user typed and the problem beside the reason (HTTP 409)."""
    _, visible = _fund(request, principal, name)
    found = year_settlement(_place(request), name, year)
    data = settlement_view(found, visible, can_manage=principal.may("pool.manage")).to_dict()
    data |= _settle_forms(principal, found.year, found.settled) | _post_term(request, principal, name, found)
    data |= {"form": typed, "problems": {"reason": problem}}
    return page(request, "pool_settlement.html", data, status_code=409, principal=principal)


@router.post("/pools/{name}/settle")
def settle_pool(
    request: Request,
    name: str,
    year: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Post the settlement of a year; before the year's last day only with a reason (an early settlement)."""
    principal = acting_user(request, csrf_token, "pool.manage")
    year = params.safe_name(year, "year")
    try:
        settle(_place(request), name, year, principal=principal, early_reason=reason.strip() or None)
    except (SettlementTooEarlyError, ReasonRequiredError) as error:
        return _settlement_refused(request, principal, name, year, {"reason": reason}, error.message)
    return RedirectResponse(f"/pools/{name}/settlement?year={year}", status_code=303)


@router.post("/pools/{name}/reopen")
def reopen_pool(
    request: Request,
    name: str,
    year: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Reopen a settled year with a reason: its settlement is reversed so it can be corrected and settled."""
    principal = acting_user(request, csrf_token, "pool.manage")
    year = params.safe_name(year, "year")
    try:
        reopen(_place(request), name, year, principal=principal, reason=reason)
    except (ReasonRequiredError, ConflictError) as error:
        return _settlement_refused(request, principal, name, year, {"reason": reason}, error.message)
    return RedirectResponse(f"/pools/{name}/settlement?year={year}", status_code=303)


def _pool_refused(
    request: Request, principal: Principal, form: str, typed: dict[str, str], problems: dict[str, str]
) -> Response:
    """The fund page again with the form's typed values and each problem beside its field (HTTP 422)."""
    data = pool_page(request, principal)
    charts = data.pop("_charts", {})
    data |= {f"{form}_form": typed, f"{form}_problems": problems}
    return page(request, "pool.html", data, status_code=422, principal=principal, charts=charts)


@router.post("/pools/{name}/forecast-method")
def choose_forecast_method(
    request: Request,
    name: str,
    method: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Choose the pool's forecast method (a new version, with its reason)."""
    principal = acting_user(request, csrf_token, "pool.manage")
    typed = {"method": method, "reason": reason}
    problems = {}
    if method not in METHODS:
        problems["method"] = "choose one of the methods listed"
    if not reason.strip():
        problems["reason"] = "say why this method"
    if problems:
        return _pool_refused(request, principal, "method", typed, problems)
    choose_method(_place(request), name, method, principal=principal, reason=reason)
    return RedirectResponse(f"/pools/{name}", status_code=303)


@router.post("/pools/{name}/forecasts")
def enter_partner_forecast(
    request: Request,
    name: str,
    scheme: Annotated[str, Form()],
    month: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    amount: Annotated[str, Form()] = "",
) -> Response:
    """Record a scheme owner's forecast of the scheme's spend in a month."""
    principal = acting_user(request, csrf_token, "pool.post")
    typed = {"scheme": scheme, "month": month, "amount": amount}
    try:
        pence = Money.parse(amount).pence
    except MoneyParseError as error:
        return _pool_refused(request, principal, "entry", typed, {"amount": error.message})
    try:
        enter_forecast(_place(request), name, scheme, month, pence, principal=principal)
    except InvalidInputError as error:
        field = "month" if "month" in error.message else "scheme"
        return _pool_refused(request, principal, "entry", typed, {field: error.message})
    return RedirectResponse(f"/pools/{name}", status_code=303)


@router.post("/pools/{name}/contribute")
def contribute_pool(
    request: Request,
    name: str,
    year: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    day: Annotated[str, Form()] = "",
) -> Response:
    """Post the contributions the version in force on the date says are due, and show what was posted and
    what later versions agree for the year that is not yet due on that date."""
    principal = acting_user(request, csrf_token, "pool.post")
    fund, _ = _fund(request, principal, name)
    typed = {"year": year, "day": day}
    if year not in fund.agreement.years:
        return _pool_refused(
            request, principal, "contribute", typed, {"year": "choose a year of the pool's term"}
        )
    try:
        when = _form_date(day, "day") if day else year_bounds(year)[0]
    except InvalidInputError as error:
        return _pool_refused(request, principal, "contribute", typed, {"day": error.message})
    result = post_agreed(_place(request), name, year, when, principal=principal)
    data = pool_page(request, principal)
    charts = data.pop("_charts", {})
    data["contributed"] = result.to_dict()
    return page(request, "pool.html", data, principal=principal, charts=charts)
