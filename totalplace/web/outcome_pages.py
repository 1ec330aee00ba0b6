"""The outcomes pages: the framework with RAG status, each indicator's trend with intervals, the letters,
and a published view of counts that passes disclosure control."""

from __future__ import annotations

import math
from typing import Annotated, Any, cast

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from totalplace.engines.outcomes import spine as basket
from totalplace.engines.outcomes.aggregate import aggregate_records
from totalplace.engines.outcomes.benchmark import Against, BenchmarkRow
from totalplace.engines.outcomes.cohorts import cohort_file_reports
from totalplace.engines.outcomes.framework import (
    Framework,
    current_framework,
    current_framework_yaml,
    save_framework,
)
from totalplace.engines.outcomes.indicator import indicator_report
from totalplace.engines.outcomes.letters import answer_letter, draft_letters, get_letter, list_letters
from totalplace.engines.outcomes.published import published_counts
from totalplace.engines.outcomes.spine import framework_status, latest_headlines
from totalplace.errors import InvalidInputError
from totalplace.governance.roles import Principal
from totalplace.history import may_view
from totalplace.place import Place
from totalplace.reports.outcomes import (
    cohorts_view,
    indicator_view,
    letter_html,
    letter_view,
    letters_view,
    outcomes_view,
    published_view,
    spine_view,
)
from totalplace.reports.render import to_pdf
from totalplace.store.areas import AREA_LEVELS
from totalplace.web import params
from totalplace.web.cache import PageCache, cached, version_of
from totalplace.web.render import page, twin
from totalplace.web.session import acting_user, current_principal
from totalplace.web.upload_stream import UploadForm, receive_upload, upload_route

router = APIRouter()
LetterId = Annotated[int, Path(ge=1, le=params.MAX_ID)]


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


def _latest_headlines(request: Request) -> dict[str, BenchmarkRow]:
    """Each indicator's latest headline row for the place, for everyone who may read the framework (kept for
    the data version; pages check the permission before asking)."""
    place = _place(request)
    return cached(request, ("outcome-headlines",), lambda: latest_headlines(place))


def warm(place: Place, cache: PageCache) -> None:
    """Compute the outcomes page's headlines ahead of its first visitor."""
    cache.get(("outcome-headlines", version_of(place)), lambda: latest_headlines(place))


def _framework(request: Request) -> Framework | None:
    """The framework in force, parsed once per data version (it is YAML, slow to parse)."""

    def read() -> Framework | None:
        with _place(request).read() as conn:
            return current_framework(conn)

    return cached(request, ("outcome-framework",), read)


@twin(router, "/outcomes", "outcomes.html", cache=True)
def outcomes(request: Request, principal: Principal) -> dict[str, Any]:
    """The framework as a tree: outcomes, their indicators, each with its latest value and RAG status."""
    principal.require("figures.read")
    framework = _framework(request)
    with _place(request).read() as conn:
        letters = list_letters(conn)
    tree = framework_status(framework, _latest_headlines(request) if framework else {})
    return outcomes_view(framework, tree, letters, can_edit=principal.may("place.manage")).to_dict()


@twin(router, "/outcomes/indicators/{indicator_id}", "outcome_indicator.html", cache=True)
def indicator_page(request: Request, principal: Principal) -> dict[str, Any]:
    """One indicator for the place: every period and breakdown with intervals, comparison and trend."""
    principal.require("figures.read")
    indicator_id = params.path_name(request, "indicator_id", "indicator")
    against = cast(Against, params.choice(request, "against", ("england", "region", "target"), "england"))
    view = indicator_view(indicator_report(_place(request), indicator_id, against=against))
    return {**view.to_dict(), "_charts": view.charts()}


@twin(router, "/outcomes/spine", "outcome_spine.html", cache=True)
def spine(request: Request, principal: Principal) -> dict[str, Any]:
    """The framework's basket of indicators against the comparator set: where the place's latest value sits
    between the comparators' worst and best, with England, each on a 0 (worst) to 1 (best) scale."""
    principal.require("figures.read")
    view = spine_view(basket.spine(_place(request), _latest_headlines(request)))
    return {**view.to_dict(), "_charts": view.charts()}


@twin(router, "/outcomes/published/{indicator_id}", "outcome_published.html", cache=True)
def published(request: Request, principal: Principal) -> dict[str, Any]:
    """Counts of an indicator by area and period as they may be published: small counts suppressed, the rest
    rounded, and enough other cells withheld that no suppressed count can be worked out from the totals."""
    principal.require("figures.read")
    indicator_id = params.path_name(request, "indicator_id", "indicator")
    return published_view(published_counts(_place(request), indicator_id)).to_dict()


@twin(router, "/outcomes/letters", "outcome_letters.html", cache=True)
def letters_page(request: Request, principal: Principal) -> dict[str, Any]:
    """Exception letters, open ones first."""
    principal.require("figures.read")
    with _place(request).read() as conn:
        letters = list_letters(conn)
    return letters_view(letters, can_draft=principal.may("place.manage")).to_dict()


@router.post("/outcomes/letters/draft")
def draft(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
    """Draft letters for indicators that have left their bands."""
    principal = acting_user(request, csrf_token, "place.manage")
    draft_letters(_place(request), actor=principal.username)
    return RedirectResponse("/outcomes/letters", status_code=303)


@router.get("/outcomes/letters/{letter_id}.pdf")
def letter_pdf(request: Request, letter_id: LetterId) -> Response:
    """The letter as PDF."""
    current_principal(request).require("figures.read")
    place = _place(request)
    with place.read() as conn:
        letter = get_letter(conn, letter_id)
    return Response(to_pdf(letter_html(letter, place.config.name)), media_type="application/pdf")


@router.get("/outcomes/letters/{letter_id}")
def letter_page(request: Request, letter_id: LetterId) -> Response:
    """The letter, with the form to record its answer."""
    principal = current_principal(request)
    principal.require("figures.read")
    place = _place(request)
    with place.read() as conn:
        letter = get_letter(conn, letter_id)
    view = letter_view(letter, place.config.name, can_answer=principal.may("place.manage"))
    return page(request, "outcome_letter.html", view.to_dict(), principal=principal)


@router.post("/outcomes/letters/{letter_id}/answer")
def answer(
    request: Request,
    letter_id: LetterId,
    plan: Annotated[str, Form()],
    remedy_by: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
) -> Response:
    """Record the remedial plan and its date."""
    principal = acting_user(request, csrf_token, "place.manage")
    with _place(request).begin() as conn:
        answer_letter(conn, letter_id, plan=plan, remedy_by=remedy_by, actor=principal.username)
    return RedirectResponse(f"/outcomes/letters/{letter_id}", status_code=303)


@router.post("/outcomes/framework")
def edit_framework(
    request: Request, framework: Annotated[str, Form()], csrf_token: Annotated[str, Form()]
) -> Response:
    """Put a new version of the framework in force (YAML edited in the page)."""
    principal = acting_user(request, csrf_token, "place.manage")
    with _place(request).begin() as conn:
        save_framework(conn, framework, principal=principal)
    return RedirectResponse("/outcomes", status_code=303)


@router.get("/outcomes/framework")
def framework_form(request: Request) -> Response:
    """The framework's YAML in an editor."""
    principal = current_principal(request)
    principal.require("place.manage")
    with _place(request).read() as conn:
        text = current_framework_yaml(conn)
        kept = current_framework(conn)
        shown = kept is not None and may_view(principal, conn, "framework", kept.name)
        history = f"/history/framework/{kept.name}" if kept is not None and shown else None
    data = {"yaml": text, "history": history}
    return page(request, "outcome_framework.html", data, principal=principal)


@router.get("/outcomes/cohort")
def cohort_form(request: Request) -> Response:
    """The form to analyse a cohort file (people referred and others, outcomes before and after)."""
    principal = current_principal(request)
    principal.require_any("batch.import")
    return page(request, "outcome_cohort.html", {"report": None}, principal=principal)


def _cohort(form: UploadForm) -> dict[str, Any]:
    upload = form.file("file")
    name = upload.filename or "cohort.csv"
    reports = cohort_file_reports(
        upload.path.read_bytes(),  # at most TOTALPLACE_MAX_IMPORT_BYTES: upload_stream refused more
        name,
        outcomes=form.required("outcomes").split(","),
        group=form.text("group", "group"),
        referred_value=form.text("referred", "referred"),
        covariates=[c.strip() for c in form.text("covariates").split(",") if c.strip()],
    )
    return cohorts_view(name, reports).to_dict()


@upload_route(router, "/outcomes/cohort")
async def cohort_page(request: Request) -> Response:
    """The cohort's report: before and after, and against a matched comparison group (nothing is stored)."""
    async with receive_upload(request, "batch.import") as form:
        report = _cohort(form)
    return page(request, "outcome_cohort.html", {"report": report}, principal=form.principal)


@upload_route(router, "/outcomes/cohort.json")
async def cohort_json(request: Request) -> Response:
    """The cohort's report as JSON (the session's token in X-CSRF-Token)."""
    async with receive_upload(request, "batch.import", csrf="header") as form:
        return JSONResponse(_cohort(form))


@router.get("/outcomes/aggregate")
def aggregate_form(request: Request) -> Response:
    """The form to count the place's own records by area into observations of an indicator."""
    principal = current_principal(request)
    principal.require_any("batch.import")
    with _place(request).read() as conn:
        framework = current_framework(conn)
    indicators = (
        [] if framework is None else [(i, ind.title) for i, (_o, ind) in framework.indicators().items()]
    )
    return page(
        request,
        "outcome_aggregate.html",
        {"levels": AREA_LEVELS, "indicators": indicators},
        principal=principal,
    )


@upload_route(router, "/outcomes/aggregate")
async def aggregate_post(request: Request) -> Response:
    """Count the uploaded records by area over the areas' populations and import them as observations;
    then show the indicator (fields: file, indicator, period, area_column, level, title, count_column,
    where, per)."""
    async with receive_upload(request, "batch.import") as form:
        indicator, where = form.required("indicator").strip(), form.text("where")
        condition = None
        if where.strip():
            column, sep, value = where.partition("=")
            if not sep:
                raise InvalidInputError(
                    f"cannot read the condition {where!r}", hint="write it as COLUMN=VALUE"
                )
            condition = (column.strip(), value.strip())
        try:
            per = float(form.text("per", "1000"))
        except ValueError:
            per = math.nan
        if not math.isfinite(per) or per <= 0:
            raise InvalidInputError(f"rate per {form.text('per')!r} is not a positive number")
        upload = form.file("file")
        aggregate_records(
            _place(request),
            upload.path,
            name=upload.filename or "records.csv",
            indicator=indicator,
            title=form.text("title").strip() or indicator,
            period=form.required("period").strip(),
            level=form.text("level", "lsoa"),
            area_column=form.required("area_column").strip(),
            count_column=form.text("count_column").strip() or None,
            where=condition,
            multiplier=per,
            actor=form.principal.username,
        )
    return RedirectResponse(f"/outcomes/indicators/{indicator}", status_code=303)
