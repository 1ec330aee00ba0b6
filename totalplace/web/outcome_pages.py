"""The outcomes pages: the framework with RAG status, each indicator's trend with intervals, the letters,
and a published view of counts that passes disclosure control."""

from __future__ import annotations

import math
from datetime import date
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
from totalplace.engines.outcomes.owners import indicator_resources
from totalplace.engines.outcomes.published import published_counts
from totalplace.engines.outcomes.spine import framework_status, latest_headlines
from totalplace.errors import (
    ImportRejectedError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RequestInvalidError,
    TotalplaceError,
)
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
from totalplace.web.forms import form_page
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
    return outcomes_view(framework, tree, letters, can_edit=principal.may("framework.change")).to_dict()


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
    return letters_view(letters, can_draft=principal.may("framework.change")).to_dict()


@router.post("/outcomes/letters/draft")
def draft(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
    """Draft letters for indicators that have left their bands."""
    principal = acting_user(request, csrf_token, "framework.change")
    draft_letters(_place(request), principal=principal)
    return RedirectResponse("/outcomes/letters", status_code=303)


@router.get("/outcomes/letters/{letter_id}.pdf")
def letter_pdf(request: Request, letter_id: LetterId) -> Response:
    """The letter as PDF."""
    current_principal(request).require("figures.read")
    place = _place(request)
    with place.read() as conn:
        letter = get_letter(conn, letter_id)
    return Response(to_pdf(letter_html(letter, place.config.name)), media_type="application/pdf")


@form_page(router, "/outcomes/letters/{letter_id}", "outcome_letter.html")
def letter_page(request: Request, principal: Principal) -> dict[str, Any]:
    """The letter, with the form to record its answer."""
    principal.require("figures.read")
    letter_id = params.path_id(request, "letter_id")
    place = _place(request)
    with place.read() as conn:
        letter = get_letter(conn, letter_id)
    return letter_view(letter, place.config.name, can_answer=principal.may("framework.change")).to_dict()


def _answer_problems(plan: str, remedy_by: str) -> list[dict[str, str]]:
    """What is wrong with an answer's fields, each named, so the page can show it beside its field."""
    problems = []
    if not plan.strip():
        problems.append({"parameter": "plan", "message": "write the remedial plan"})
    try:
        date.fromisoformat(remedy_by)
    except ValueError:
        problems.append({"parameter": "remedy_by", "message": "give the date as day, month and year"})
    return problems


@router.post("/outcomes/letters/{letter_id}/answer")
def answer(
    request: Request,
    letter_id: LetterId,
    plan: Annotated[str, Form()],
    remedy_by: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
) -> Response:
    """Record the remedial plan and its date; a refused answer is shown again beside its fields."""
    principal = acting_user(request, csrf_token, "framework.change")

    def record() -> Response:
        problems = _answer_problems(plan, remedy_by)
        if problems:
            raise RequestInvalidError(problems)
        with _place(request).begin() as conn:
            answer_letter(conn, letter_id, plan=plan, remedy_by=remedy_by, principal=principal)
        return RedirectResponse(f"/outcomes/letters/{letter_id}", status_code=303)

    return letter_page.submit(request, principal, {"plan": plan, "remedy_by": remedy_by}, record)


letter_page.receives("/outcomes/letters/{letter_id}/answer")


@form_page(router, "/outcomes/framework", "outcome_framework.html")
def framework_form(request: Request, principal: Principal) -> dict[str, Any]:
    """The framework's YAML in an editor."""
    principal.require("framework.change")
    with _place(request).read() as conn:
        text = current_framework_yaml(conn)
        kept = current_framework(conn)
        shown = kept is not None and may_view(principal, conn, "framework", kept.name)
    return {
        "yaml": text,
        "history": f"/history/framework/{kept.name}" if kept is not None and shown else None,
    }


@router.post("/outcomes/framework")
def edit_framework(
    request: Request, framework: Annotated[str, Form()], csrf_token: Annotated[str, Form()]
) -> Response:
    """Put a new version of the framework in force (YAML edited in the page); a refused one is shown
    again in the editor, each problem with its line."""
    principal = acting_user(request, csrf_token, "framework.change")

    def save() -> Response:
        with _place(request).begin() as conn:
            save_framework(conn, framework, principal=principal)
        return RedirectResponse("/outcomes", status_code=303)

    return framework_form.submit(request, principal, {"framework": framework}, save, main="framework")


framework_form.receives("/outcomes/framework", main="framework")


COHORT_FIELDS = ("outcomes", "group", "referred", "covariates")
AGGREGATE_FIELDS = ("indicator", "title", "period", "level", "area_column", "count_column", "where", "per")


def _refused(
    request: Request,
    template: str,
    data: dict[str, Any],
    form: UploadForm,
    field: str,
    error: TotalplaceError,
) -> Response:
    """A refused form again, inside its page, with what was typed and the problem beside ``field``."""
    message = (
        f"{error.message} ({error.hint}) [{error.code}]" if error.hint else f"{error.message} [{error.code}]"
    )
    shown = {
        **data,
        "typed": {name: form.text(name) for name in (*COHORT_FIELDS, *AGGREGATE_FIELDS)},
        "problems": {field: message},
        "rejected": error.to_dict() if isinstance(error, ImportRejectedError) else None,
    }
    return page(request, template, shown, status_code=error.http_status, principal=form.principal)


@twin(router, "/outcomes/cohort", "outcome_cohort.html")
def cohort_form(request: Request, principal: Principal) -> dict[str, Any]:
    """The form to analyse a cohort file (people referred and others, outcomes before and after)."""
    principal.require_any("indicator.count")
    return {"report": None, "typed": {"group": "group", "referred": "referred"}, "problems": {}}


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
        principal=form.principal,
    )
    return cohorts_view(name, reports).to_dict()


@upload_route(router, "/outcomes/cohort")
async def cohort_page(request: Request) -> Response:
    """The cohort's report: before and after, and against a matched comparison group (nothing is stored);
    a refused file or field is shown beside its field in the form."""
    async with receive_upload(request, "indicator.count") as form:
        try:
            report = _cohort(form)
        except TotalplaceError as error:
            field = "outcomes" if isinstance(error, InvalidInputError) else "file"
            return _refused(request, "outcome_cohort.html", {"report": None}, form, field, error)
    data = {"report": report, "typed": {n: form.text(n) for n in COHORT_FIELDS}, "problems": {}}
    return page(request, "outcome_cohort.html", data, principal=form.principal)


@upload_route(router, "/outcomes/cohort.json")
async def cohort_json(request: Request) -> Response:
    """The cohort's report as JSON (the session's token in X-CSRF-Token)."""
    async with receive_upload(request, "indicator.count", csrf="header") as form:
        return JSONResponse(_cohort(form))


def _aggregate_choices(place: Place, principal: Principal) -> dict[str, Any]:
    """The levels, and the framework's indicators this principal may count records into."""
    with place.read() as conn:
        framework = current_framework(conn)
        listed = {} if framework is None else framework.indicators()
        resources = indicator_resources(conn, listed, strict=False)
    indicators = [
        (i, ind.title, ind.partner or "the whole place")
        for i, (_o, ind) in listed.items()
        if i in resources and principal.can("indicator.count", resources[i])
    ]
    return {"levels": AREA_LEVELS, "indicators": indicators}


@twin(router, "/outcomes/aggregate", "outcome_aggregate.html")
def aggregate_form(request: Request, principal: Principal) -> dict[str, Any]:
    """The form to count the place's own records by area into observations of an indicator."""
    principal.require_any("indicator.count")
    choices = _aggregate_choices(_place(request), principal)
    return {**choices, "typed": {"level": "lsoa", "per": "1000"}, "problems": {}}


_BAD_CONDITION, _BAD_RATE = "cannot read the condition", "rate per"


def _condition_and_rate(form: UploadForm) -> tuple[tuple[str, str] | None, float]:
    """The form's condition (COLUMN=VALUE, or none) and rate per, or the field that cannot be read."""
    where, condition = form.text("where"), None
    if where.strip():
        column, sep, value = where.partition("=")
        if not sep:
            raise InvalidInputError(f"{_BAD_CONDITION} {where!r}", hint="write it as COLUMN=VALUE")
        condition = (column.strip(), value.strip())
    try:
        per = float(form.text("per", "1000"))
    except ValueError:
        per = math.nan
    if not math.isfinite(per) or per <= 0:
        raise InvalidInputError(f"{_BAD_RATE} {form.text('per')!r} is not a positive number")
    return condition, per


def _aggregate(place: Place, form: UploadForm) -> str:
    """Count the form's records into its indicator (the engine asks the policy); the indicator's id."""
    indicator = form.required("indicator").strip()
    condition, per = _condition_and_rate(form)
    upload = form.file("file")
    aggregate_records(
        place,
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
        principal=form.principal,
    )
    return indicator


def _aggregate_field(error: TotalplaceError) -> str:
    """The field of the aggregate form a refusal is about."""
    if isinstance(error, PermissionDeniedError | NotFoundError):
        return "indicator"
    if not isinstance(error, InvalidInputError):
        return "file"
    for start, field in ((_BAD_CONDITION, "where"), (_BAD_RATE, "per")):
        if error.message.startswith(start):
            return field
    return "period" if "period" in error.message else "level"


@upload_route(router, "/outcomes/aggregate")
async def aggregate_post(request: Request) -> Response:
    """Count the uploaded records by area over the areas' populations and import them as observations;
    then show the indicator (fields: file, indicator, period, area_column, level, title, count_column,
    where, per). A refusal is shown in the form, beside its field."""
    place = _place(request)
    async with receive_upload(request, "indicator.count") as form:
        try:
            indicator = _aggregate(place, form)
        except TotalplaceError as error:
            choices = _aggregate_choices(place, form.principal)
            return _refused(request, "outcome_aggregate.html", choices, form, _aggregate_field(error), error)
    return RedirectResponse(f"/outcomes/indicators/{indicator}", status_code=303)
