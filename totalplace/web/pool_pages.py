"""The pooled-fund pages: the fund, its ledger, the settlement with statements, and forms that change them.

What each user sees of a pool, and what each may change, the pool engine decides through the access policy
(:mod:`totalplace.engines.pool.access`): these handlers pass the session's principal and show what comes back.
A refused form is shown again inside its page, with what was typed and each problem beside its field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from totalplace.engines.pool import access
from totalplace.engines.pool.adjust import adjustments
from totalplace.engines.pool.agreement import year_bounds
from totalplace.engines.pool.books import LedgerFilter, YearSettlement, read_ledger, year_settlement
from totalplace.engines.pool.forecast import METHODS, choose_method, enter_forecast
from totalplace.engines.pool.fund import (
    create_fund,
    open_fund,
    readable_funds,
    revise_fund,
    vary_fund,
)
from totalplace.engines.pool.movements import LEDGER_KINDS, Movement, post_agreed, post_movements
from totalplace.engines.pool.report import fund_summary, reconciled_statements
from totalplace.engines.pool.settle import reopen, settle
from totalplace.errors import (
    ConflictError,
    InputRefusedError,
    InvalidInputError,
    NotFoundError,
    ReasonRequiredError,
    SettlementTooEarlyError,
    TotalplaceError,
)
from totalplace.governance.roles import Principal
from totalplace.money import Money, MoneyParseError
from totalplace.place import Place
from totalplace.reports.pool import (
    Document,
    FormState,
    fund_view,
    ledger_view,
    pools_view,
    post_problems,
    refused,
    settlement_view,
    statement_document,
    summary_document,
)
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


@twin(router, "/pools", "pools.html", cache=True)
def pools_page(request: Request, principal: Principal) -> dict[str, Any]:
    """The pools this user can see."""
    principal.require_any("pool.read")
    with _place(request).read() as conn:
        funds = readable_funds(conn, principal)
    return pools_view(funds, can_manage=principal.can("pool.create")).to_dict()


def _pool_data(
    request: Request, principal: Principal, name: str, form: FormState | None = None
) -> dict[str, Any]:
    """The fund page's data as ``principal`` may see it, with a refused form to show again."""
    params.safe_name(name, "pool name")
    year = params.financial_year(request)
    as_of = params.text(request, "as_of", longest=10)
    place = _place(request)
    summary = fund_summary(
        place, name, year, _form_date(as_of, "as_of") if as_of else None, principal=principal
    )
    with place.read() as conn:
        fund = open_fund(conn, name)
        can_manage = access.can(conn, fund, principal, "pool.manage")
        postable = access.postable_partners(conn, fund, principal)
    view = fund_view(summary, fund, can_manage=can_manage, postable=postable, form=form)
    return {**view.to_dict(), "_charts": view.charts()}


@twin(router, "/pools/{name}", "pool.html", cache=True)
def pool_page(request: Request, principal: Principal) -> dict[str, Any]:
    """The fund: contributions, schemes' budget against actual and forecast, the risk-share preview."""
    return _pool_data(request, principal, params.path_name(request, "name", "pool name"))


@twin(router, "/pools/{name}/ledger", "pool_ledger.html")
def pool_ledger(request: Request, principal: Principal) -> dict[str, Any]:
    """The ledger's transactions with their entries (the lines the user may see), filtered by kind, year or
    account."""
    name = params.path_name(request, "name", "pool name")
    filters = LedgerFilter(
        kind=params.choice(request, "kind", LEDGER_KINDS),
        year=params.financial_year(request),
        account=params.text(request, "account"),
    )
    limit = params.whole(request, "limit", 500, 1, 10_000)
    found = read_ledger(_place(request), name, filters, principal=principal, limit=limit, with_balances=True)
    return ledger_view(found).to_dict()


# Not kept in the page cache: every read of a settled year's statements is written to the audit log.
@twin(router, "/pools/{name}/settlement", "pool_settlement.html")
def pool_settlement(request: Request, principal: Principal) -> dict[str, Any]:
    """A year's settlement: posted (with the statements this user may see) or previewed from actuals."""
    name = params.path_name(request, "name", "pool name")
    via = "web json" if request.url.path.endswith(".json") else "web page"
    return _settlement_data(request, principal, name, params.financial_year(request), via)


def _settlement_data(
    request: Request, principal: Principal, name: str, year: str | None, via: str
) -> dict[str, Any]:
    """The settlement page's data, with its forms (settle or reopen) and the post-term adjustments."""
    place = _place(request)
    found = year_settlement(place, name, year, principal=principal, via=via)
    with place.read() as conn:
        can_manage = access.can(conn, open_fund(conn, name), principal, "pool.manage")
    view = settlement_view(found, can_manage=can_manage).to_dict()
    return (
        view
        | _settle_forms(can_manage, found.year, found.settled)
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
    """One partner's settlement statement as HTML, PDF or JSON (each read audited)."""
    principal = current_principal(request)
    params.safe_name(name, "pool name")
    year = params.financial_year(request) or ""
    if fmt not in ("html", "pdf", "json"):
        raise NotFoundError(
            f"no {fmt[:10]} statement for {params.safe_name(partner, 'partner')}",
            hint="use .html, .pdf or .json and ?year=2025-26",
        )
    found = reconciled_statements(_place(request), name, year, partner, principal=principal, via=f"web {fmt}")
    if fmt == "json":
        return Response(JSONResponse(found[0].to_dict()).body, media_type="application/json")
    document = statement_document(found[0], _place(request).config.name)
    return Response(document.html, media_type="text/html") if fmt == "html" else _pdf(document)


@router.get("/pools/{name}/summary.pdf")
def summary_pdf(request: Request, name: str) -> Response:
    """The board's fund summary as PDF: the lines the user may see, with the statements it may read once the
    year is settled."""
    principal = current_principal(request)
    params.safe_name(name, "pool name")
    place = _place(request)
    summary = fund_summary(place, name, params.financial_year(request), principal=principal)
    shown = (
        reconciled_statements(place, name, summary.year, principal=principal, via="web summary pdf")
        if summary.settled
        else []
    )
    return _pdf(summary_document(summary, shown, place.config.name))


# -- changes -------------------------------------------------------------------------------------------------
def _new_pool_data(
    principal: Principal, text: str = "", error: TotalplaceError | None = None
) -> dict[str, Any]:
    """The create form's data: what was typed, and the refusal with each problem by line and field."""
    principal.require("pool.create")
    return {"yaml": text, "rejected": error.to_dict() if error else None}


@twin(router, "/pools-new", "pool_new.html")
def new_pool_form(request: Request, principal: Principal) -> dict[str, Any]:
    """The form to create a pool from agreement YAML."""
    return _new_pool_data(principal)


@router.post("/pools-new")
def create_pool(
    request: Request, csrf_token: Annotated[str, Form()], agreement: Annotated[str, Form()] = ""
) -> Response:
    """Create a pool; a refused agreement comes back with every problem by line and field (HTTP 422)."""
    principal = acting_user(request, csrf_token, "pool.create")
    try:
        fund = create_fund(_place(request), agreement, "agreement.yaml", principal=principal)
    except (InputRefusedError, InvalidInputError, ConflictError) as error:
        data = _new_pool_data(principal, agreement, error)
        return page(request, "pool_new.html", data, status_code=error.http_status, principal=principal)
    return RedirectResponse(f"/pools/{fund.name}", status_code=303)


def _refused_page(
    request: Request, principal: Principal, name: str, form: FormState, status: int
) -> Response:
    """The fund page again, with the refused form's values and problems."""
    data = _pool_data(request, principal, name, form)
    charts = data.pop("_charts", {})
    data["charts"] = {k: c.to_dict() for k, c in charts.items()}
    return page(request, "pool.html", data, status_code=status, principal=principal, charts=charts)


@router.post("/pools/{name}/vary")
def vary_pool(
    request: Request, name: str, csrf_token: Annotated[str, Form()], variation: Annotated[str, Form()] = ""
) -> Response:
    """Add a version of the agreement from variation YAML; a refused one comes back beside the field."""
    principal = acting_user(request, csrf_token, "pool.manage")
    try:
        vary_fund(_place(request), name, variation, "variation.yaml", principal=principal)
    except TotalplaceError as error:
        form, status = refused("vary", {"variation": variation}, error, "variation")
        return _refused_page(request, principal, name, form, status)
    return RedirectResponse(f"/pools/{name}", status_code=303)


@router.post("/pools/{name}/revise")
def revise_pool(
    request: Request,
    name: str,
    csrf_token: Annotated[str, Form()],
    agreement: Annotated[str, Form()] = "",
    effective: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Add a version from the edited agreement; refused edits come back with every problem (HTTP 4xx)."""
    principal = acting_user(request, csrf_token, "pool.manage")
    values = {"agreement": agreement, "effective": effective, "reason": reason}
    try:
        day = _form_date(effective, "effective")
    except InvalidInputError as error:
        form, status = refused("revise", values, error, "effective")
        return _refused_page(request, principal, name, form, status)
    try:
        revise_fund(_place(request), name, agreement, effective=day, reason=reason, principal=principal)
    except TotalplaceError as error:
        field = (
            "reason" if isinstance(error, InvalidInputError) and "reason" in error.message else "agreement"
        )
        form, status = refused("revise", values, error, field)
        return _refused_page(request, principal, name, form, status)
    return RedirectResponse(f"/pools/{name}", status_code=303)


def _require_partner(request: Request, principal: Principal, name: str, kind: str, partner: str) -> None:
    """Refuse, before the form's other fields are read, a movement naming a partner the user may not post for
    (a spend or allocation belongs to its scheme's owner, and a reversal to what it reverses: the engine
    decides those once the scheme or the reversed movement is known)."""
    if partner and kind not in ("allocation", "spend", "reversal"):
        with _place(request).read() as conn:
            principal.require("pool.post", access.posting_resource(conn, open_fund(conn, name), partner))


@router.post("/pools/{name}/post")
def post_movement(
    request: Request,
    name: str,
    csrf_token: Annotated[str, Form()],
    key: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    partner: Annotated[str, Form()] = "",
    scheme: Annotated[str, Form()] = "",
    memo: Annotated[str, Form()] = "",
    reverses: Annotated[str, Form()] = "",
) -> Response:
    """Post one movement; the form's key makes a double submission harmless. The pool engine decides who may
    post what; a refused movement comes back in the page with each problem beside its field."""
    principal = acting_user(request, csrf_token, "pool.post")
    values = {
        "key": key, "kind": kind, "day": day, "amount": amount, "partner": partner,
        "scheme": scheme, "memo": memo, "reverses": reverses,
    }  # fmt: skip
    _require_partner(request, principal, name, kind, partner)
    problems: dict[str, TotalplaceError] = {}
    if not key.strip():
        problems["key"] = InvalidInputError(
            "give the movement a key", hint="any text unique to this movement"
        )
    try:
        when = _form_date(day, "day")
    except InvalidInputError as error:
        problems["day"] = error
    try:
        pence = Money.parse(amount).pence if amount else 0
    except InvalidInputError as error:
        problems["amount"] = error
    if not problems:
        movement = Movement(key, kind, when, pence, partner or None, scheme or None, memo, reverses or None)
        try:
            post_movements(_place(request), name, [movement], principal=principal)
        except TotalplaceError as error:
            problems[""] = error
    if problems:
        form, status = post_problems(values, problems)
        return _refused_page(request, principal, name, form, status)
    return RedirectResponse(f"/pools/{name}/ledger", status_code=303)


# -- money: settling and reopening a year, the forecast method and partners' forecasts ----------------------
def _settle_forms(can_manage: bool, year: str, settled: bool) -> dict[str, Any]:
    """What the settlement page's forms need: whether the year may still settle only early (with a reason),
    and whether the user may reopen it."""
    last_day = year_bounds(year)[1]
    return {
        "last_day": last_day.isoformat(),
        "early": date.today() < last_day,
        "can_reopen": settled and can_manage,
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
    data = _settlement_data(request, principal, name, year, "web page")
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
    with _place(request).read() as conn:
        fund = open_fund(conn, name)
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
