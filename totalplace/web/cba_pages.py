"""The cost-benefit pages: the place's interventions compared, each one's appraisal (by agency and year, the
waterfall, the simulated distribution, the tornado, the settlement), its report as PDF, and a form to add a
model. Every page has a ``.json`` twin."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from totalplace.engines.cba.models import (
    appraise_in_place,
    assess,
    kept_appraisals,
    kept_model,
    library_in_place,
    save_model,
)
from totalplace.engines.cba.settlement import draft_variation
from totalplace.engines.cba.share import Method, share
from totalplace.engines.cba.unit_costs import LIBRARY_NAME, read_unit_cost_file, save_library
from totalplace.engines.pool.fund import list_funds
from totalplace.engines.spendmap.deflators import load_deflators
from totalplace.errors import InputRefusedError, InvalidInputError, TotalplaceError
from totalplace.governance.roles import Principal
from totalplace.history import may_view
from totalplace.place import Place
from totalplace.reports.cba import (
    LibraryImported,
    appraisal_view,
    draft_view,
    interventions_view,
    library_page,
)
from totalplace.reports.render import to_pdf
from totalplace.web import params
from totalplace.web.render import page, twin
from totalplace.web.session import acting_user, current_principal
from totalplace.web.upload_stream import receive_upload, upload_route

router = APIRouter()


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


METHODS = ("shapley", "proportional")


@twin(router, "/cba", "cba.html")
def interventions(request: Request, principal: Principal) -> dict[str, Any]:
    """Every intervention the place has modelled, on one framework, best NPV first."""
    principal.require("figures.read")
    view = interventions_view(kept_appraisals(_place(request)), can_add=principal.may("model.change"))
    return {**view.to_dict(), "_charts": view.charts()}


@twin(router, "/cba-unit-costs", "cba_unit_costs.html")
def unit_costs(request: Request, principal: Principal) -> dict[str, Any]:
    """The unit-cost library: the packaged starter set and the place's imports, each with its provenance;
    ``?price_year=YYYY-YY`` uprates every value by the place's GDP deflator."""
    principal.require("figures.read")
    place = _place(request)
    price_year = params.financial_year(request, "price_year")
    deflators = load_deflators(place.dir)
    years = () if deflators is None else deflators.index
    entries = library_in_place(place, price_year)
    view = library_page(entries, price_year, years, can_import=principal.may("library.change"))
    return {**view.to_dict(), "history": _history_link(place, principal, "unit_costs", LIBRARY_NAME)}


def _history_link(place: Place, principal: Principal, kind: str, name: str) -> str | None:
    """The object's history page, for those who may see it (audit readers and those who may change it)."""
    with place.read() as conn:
        return f"/history/{kind}/{name}" if may_view(principal, conn, kind, name) else None


def _problems(error: TotalplaceError) -> dict[str, Any]:
    """A refusal as a form shows it beside its fields: code, message and hint, and any located problems."""
    out = error.to_dict()
    if isinstance(error, InputRefusedError):
        out["problems"] = [p.to_dict() for p in error.problems]
    return out


@upload_route(router, "/cba-unit-costs")
async def import_unit_costs(request: Request) -> Response:
    """Add a GMCA-layout CSV or XLSX to the place's library as its next version (every problem located;
    nothing half-added), if the user may change the place's library; a refusal is shown on the page."""
    async with receive_upload(request, "library.change") as form:
        principal, upload = form.principal, form.file("file")
        name = upload.filename or "unit_costs.csv"
        reason = form.text("reason")[:500]
        entries = await run_in_threadpool(read_unit_cost_file, upload.path)
    place = _place(request)
    try:
        save_library(place, entries, name, principal, reason=reason)
    except TotalplaceError as exc:
        shown = library_page(library_in_place(place), None, (), can_import=True)
        data = {**shown.to_dict(), "error": _problems(exc), "reason": reason, "history": None}
        return page(request, "cba_unit_costs.html", data, status_code=exc.http_status, principal=principal)
    view = LibraryImported(tuple(library_in_place(place)), name, len(entries))
    data = {**view.to_dict(), "history": _history_link(place, principal, "unit_costs", LIBRARY_NAME)}
    return page(request, "cba_unit_costs.html", data, principal=principal)


@twin(router, "/cba/{name}", "cba_model.html")
def intervention(request: Request, principal: Principal) -> dict[str, Any]:
    """One intervention's appraisal: ``?draws=`` (default 2,000), ``?seed=`` (1), ``?method=`` (shapley)."""
    principal.require("figures.read")
    name = params.path_name(request, "name", "model name")
    method = params.choice(request, "method", METHODS, "shapley")
    place = _place(request)
    assessment = assess(
        place,
        name,
        draws=params.whole(request, "draws", 2_000, 100, 200_000),
        seed=params.whole(request, "seed", 1, 0, 2**31),
        method=cast(Method, method),
    )
    funds = []
    if principal.may("pool.manage"):
        with place.read() as conn:
            funds = list_funds(conn)
    view = appraisal_view(assessment, funds)
    history = _history_link(place, principal, "model", name)
    return {**view.to_dict(), "history": history, "_charts": view.charts()}


def _report_html(request: Request, name: str) -> str:
    """The appraisal's report for the board, as HTML (``name`` checked to be one a model could have)."""
    current_principal(request).require("figures.read")
    place = _place(request)
    view = appraisal_view(assess(place, params.safe_name(name, "model name")))
    return view.report_html(place.config.name)


@router.get("/cba/{name}/report.pdf")
def intervention_pdf(request: Request, name: str) -> Response:
    """The appraisal as a report for the board."""
    html = _report_html(request, name)
    return Response(
        to_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@router.get("/cba/{name}/report")
def intervention_report(request: Request, name: str) -> Response:
    """The same report as HTML."""
    return Response(_report_html(request, name), media_type="text/html")


@router.get("/cba/{name}/report.json")
def intervention_report_json(request: Request, name: str) -> Response:
    """The report's figures as JSON: the appraisal the report is written from (default draws and seed)."""
    current_principal(request).require("figures.read")
    view = appraisal_view(assess(_place(request), params.safe_name(name, "model name")))
    return JSONResponse(view.to_dict())


@twin(router, "/cba-new", "cba_new.html")
def new_form(request: Request, principal: Principal) -> dict[str, Any]:
    """The form to add (or replace) a model."""
    principal.require_any("model.change")
    return {"yaml": "", "reason": ""}


@router.post("/cba-new")
def new_model(
    request: Request,
    model: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Check a model (every problem shown with its line) and keep it as the model's next version, if the user
    may change it (a model keeps its owner: a partner's officer may not replace the partnership's); a
    refusal shows the form again with what was typed and the problem beside it."""
    principal = acting_user(request, csrf_token, "model.change")
    place = _place(request)
    try:
        saved = save_model(place, model, "model.yaml", principal, reason=reason[:500])
    except TotalplaceError as exc:
        data = {"yaml": model, "reason": reason, "error": _problems(exc)}
        return page(request, "cba_new.html", data, status_code=exc.http_status, principal=principal)
    return RedirectResponse(f"/cba/{saved.name}", status_code=303)


@router.post("/cba/{name}/draft")
def draft(
    request: Request,
    name: str,
    pool: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    method: Annotated[str, Form()] = "shapley",
) -> Response:
    """Write the settlement as a draft variation of ``pool`` (checked against its agreement) and show it,
    ready to add as a version of the agreement once the partners agree."""
    principal = acting_user(request, csrf_token, "pool.manage")  # the early check; the draft asks of the pool
    if method not in METHODS:
        raise InvalidInputError("no such settlement method", hint="shapley or proportional")
    place = _place(request)
    model, file = kept_model(place, params.safe_name(name, "model name"))
    params.safe_name(pool, "pool name")
    appraisal = appraise_in_place(place, model, file)
    kept = draft_variation(place, pool, appraisal, share(appraisal, cast(Method, method)), principal)
    view = draft_view(name, pool, kept)
    data = {**view.to_dict(), "history": _history_link(place, principal, kept.kind, kept.name)}
    return page(request, "cba_draft.html", data, principal=principal)
