"""The outcomes pages: the framework with RAG status, each indicator's trend with intervals, the letters,
and a published view of counts that passes disclosure control."""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from totalplace.datasets.observations import period_start
from totalplace.engines.outcomes.aggregate import aggregate_records
from totalplace.engines.outcomes.benchmark import ENGLAND, benchmark, headline
from totalplace.engines.outcomes.cohorts import cohort_file_reports
from totalplace.engines.outcomes.comparators import current_set
from totalplace.engines.outcomes.framework import Framework, current_framework, save_framework
from totalplace.engines.outcomes.funnel import Funnel, funnel
from totalplace.engines.outcomes.inequality import inequality
from totalplace.engines.outcomes.letters import answer_letter, draft_letters, get_letter, list_letters
from totalplace.errors import InvalidInputError, NotFoundError
from totalplace.governance.disclosure import disclose
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.charts import interval_chart, spine_chart
from totalplace.reports.letter import letter_html
from totalplace.reports.render import to_pdf
from totalplace.store.areas import AREA_LEVELS, list_areas
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


def _status(row: dict[str, Any] | None, lower: float | None, upper: float | None) -> str:
    """Red when outside the tolerance band or worse than England, green when better, amber otherwise."""
    if row is None or row["value"] is None:
        return "grey"
    if (lower is not None and row["value"] < lower) or (upper is not None and row["value"] > upper):
        return "red"
    return {"worse": "red", "better": "green"}.get(row["comparison95"], "amber")


def _by_indicator(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["indicator"], []).append(row)
    return grouped


def _latest_headlines(request: Request) -> dict[str, dict[str, Any]]:
    """Each indicator's latest headline row for the place, for everyone who may read the framework (kept for
    the data version; pages check the permission before asking)."""
    place = _place(request)
    return cached(request, ("outcome-headlines",), lambda: _headlines(place))


def warm(place: Place, cache: PageCache) -> None:
    """Compute the outcomes page's headlines ahead of its first visitor."""
    cache.get(("outcome-headlines", version_of(place)), lambda: _headlines(place))


def _framework(request: Request) -> Framework | None:
    """The framework in force, parsed once per data version (it is YAML, slow to parse)."""

    def read() -> Framework | None:
        with _place(request).read() as conn:
            return current_framework(conn)

    return cached(request, ("outcome-framework",), read)


def _headlines(place: Place) -> dict[str, dict[str, Any]]:
    """Each indicator's latest headline row for the place, from one benchmark of them all (one per indicator
    had taken three seconds for the demo's 26)."""
    try:
        rows = benchmark(place, areas=[place.config.code or ""]).rows()
    except NotFoundError:
        return {}
    latest = {}
    for indicator_id, group in _by_indicator(rows).items():
        series = sorted(headline(group), key=lambda r: period_start(r["period"]) or 0.0)
        if series:
            latest[indicator_id] = series[-1]
    return latest


@twin(router, "/outcomes", "outcomes.html", cache=True)
def outcomes(request: Request, principal: Principal) -> dict[str, Any]:
    """The framework as a tree: outcomes, their indicators, each with its latest value and RAG status."""
    principal.require("datasets.read")
    place = _place(request)
    framework = _framework(request)
    with place.read() as conn:
        letters = list_letters(conn)
    tree = []
    headlines = _latest_headlines(request) if framework else {}
    for outcome in framework.outcomes if framework else []:
        items = []
        for indicator in outcome.indicators:
            latest = headlines.get(indicator.id)
            band = indicator.tolerance
            items.append(
                {
                    "indicator": indicator.model_dump(mode="json"),
                    "latest": latest,
                    "status": _status(latest, band.lower if band else None, band.upper if band else None),
                }
            )
        tree.append({"name": outcome.name, "title": outcome.title, "indicators": items})
    return {
        "framework": None if framework is None else {"name": framework.name, "title": framework.title},
        "outcomes": tree,
        "open_letters": sum(letter.status != "answered" for letter in letters),
        "can_edit": principal.can("place.manage"),
    }


@twin(router, "/outcomes/indicators/{indicator_id}", "outcome_indicator.html", cache=True)
def indicator_page(request: Request, principal: Principal) -> dict[str, Any]:
    """One indicator for the place: every period and breakdown with intervals, comparison and trend."""
    principal.require("datasets.read")
    place = _place(request)
    indicator_id = params.path_name(request, "indicator_id", "indicator")
    against = params.choice(request, "against", ("england", "region", "target"), "england")
    rows = benchmark(place, indicator=indicator_id, against=against, areas=[place.config.code or ""]).rows()  # type: ignore[arg-type]
    series = sorted(headline(rows), key=lambda r: period_start(r["period"]) or 0.0)
    chart_rows = [
        {
            "period": r["period"],
            "value": r["value"],
            "lower": r["lower95"],
            "upper": r["upper95"],
            "benchmark": r["benchmark"],
        }
        for r in series
        if r["value"] is not None
    ]
    title = rows[0]["title"] if rows else indicator_id
    extra = gradient_and_comparators(place, indicator_id, series[-1]["period"] if series else None)
    charts = (
        {"trend": interval_chart(chart_rows, title=title, value_title=rows[0]["value_type"] if rows else "")}
        if chart_rows
        else {}
    )
    if extra["inequality"]:
        quantiles = extra["inequality"]["quantiles"]
        charts["inequality"] = interval_chart(
            [
                {
                    "period": f"{q['rank']:02d}",
                    "value": q["value"],
                    "lower": q["lower95"],
                    "upper": q["upper95"],
                }
                for q in quantiles
            ],
            title=f"By deprivation decile, {extra['inequality']['area']} (01 most deprived)",
            value_title="value",
        )
    spread = _funnel(place, indicator_id)
    if spread is not None:
        charts["funnel"] = spread.chart()
    return {
        "indicator": indicator_id,
        "funnel": None if spread is None else spread.to_dict(),
        "title": title,
        "against": against,
        "rows": rows,
        **extra,
        "_charts": charts,
    }


def _funnel(place: Place, indicator_id: str) -> Funnel | None:
    """The indicator's funnel across areas, where it has one (a proportion, rate or ratio published with
    counts for two or more areas of a kind)."""
    try:
        return funnel(place, indicator_id)
    except (NotFoundError, InvalidInputError):
        return None


def gradient_and_comparators(place: Place, indicator_id: str, period: str | None) -> dict[str, Any]:
    """The inequality gradient (the place's deciles, else England's) and the comparator set's values."""
    gradient = None
    for area in (place.config.code or "", ENGLAND):
        try:
            gradient = inequality(place, indicator_id, area=area)
            break
        except NotFoundError:
            continue
    comparators: list[dict[str, Any]] = []
    with place.read() as conn:
        found = current_set(conn)
    if found is not None and period is not None:
        members = {m["code"]: m for m in found[1]}
        rows = benchmark(place, indicator=indicator_id, areas=list(members), period=period).rows()
        comparators = [
            {
                "code": r["area_code"],
                "name": members[r["area_code"]]["name"],
                "value": r["value"],
                "lower95": r["lower95"],
                "upper95": r["upper95"],
                "distance": members[r["area_code"]]["distance"],
            }
            for r in headline(rows)
        ]
    return {"inequality": gradient, "comparators": sorted(comparators, key=lambda c: c["distance"])}


@twin(router, "/outcomes/spine", "outcome_spine.html", cache=True)
def spine(request: Request, principal: Principal) -> dict[str, Any]:
    """The framework's basket of indicators against the comparator set: where the place's latest value sits
    between the comparators' worst and best, with England, each on a 0 (worst) to 1 (best) scale."""
    principal.require("datasets.read")
    place = _place(request)
    with place.read() as conn:
        framework = current_framework(conn)
        found = current_set(conn)
    if framework is None or found is None:
        raise NotFoundError(
            "the spine chart needs a framework and a comparator set",
            hint="totalplace outcomes framework set FILE; totalplace outcomes comparators ... --save NAME",
        )
    members = [m["code"] for m in found[1]]
    headlines = _latest_headlines(request)
    try:
        comparators = _by_indicator(benchmark(place, areas=members).rows())
    except NotFoundError:
        comparators = {}
    rows = []
    for _outcome, indicator in framework.indicators().values():
        latest = headlines.get(indicator.id)
        if latest is None or latest["value"] is None:
            continue
        same_period = [r for r in comparators.get(indicator.id, []) if r["period"] == latest["period"]]
        peers = [r["value"] for r in headline(same_period) if r["value"] is not None]
        if len(peers) < 2:
            continue
        low, q1, q3, high = (float(v) for v in np.percentile(peers, [0, 25, 75, 100]))
        flip = indicator.polarity == "low_is_good"

        def scaled(
            value: float | None, low: float = low, high: float = high, flip: bool = flip
        ) -> float | None:
            if value is None or high == low:
                return None
            position = (value - low) / (high - low)
            return round(1 - position if flip else position, 4)

        ends = sorted([scaled(q1) or 0.0, scaled(q3) or 0.0])
        rows.append(
            {
                "indicator": indicator.title,
                "id": indicator.id,
                "period": latest["period"],
                "value": latest["value"],
                "comparators": len(peers),
                "low": 0.0,
                "high": 1.0,
                "q1": ends[0],
                "q3": ends[1],
                "england": scaled(latest["benchmark"]),
                "place": scaled(latest["value"]),
                "comparison": latest["comparison95"],
            }
        )
    charts = {"spine": spine_chart(rows, title=f"{framework.title} against {found[0]}")} if rows else {}
    return {"framework": framework.title, "comparator_set": found[0], "rows": rows, "_charts": charts}


@twin(router, "/outcomes/published/{indicator_id}", "outcome_published.html", cache=True)
def published(request: Request, principal: Principal) -> dict[str, Any]:
    """Counts of an indicator by area and period as they may be published: small counts suppressed, the rest
    rounded, and enough other cells withheld that no suppressed count can be worked out from the totals."""
    principal.require("datasets.read")
    place = _place(request)
    indicator_id = params.path_name(request, "indicator_id", "indicator")
    with place.read() as conn:
        small = [a.code for a in list_areas(conn)]
    everything = benchmark(
        place, indicator=indicator_id, areas=small or [place.config.code or ""]
    ).table.to_pylist()
    rows = [
        r
        for r in everything
        if r["count"] is not None and not r.get("category") and r.get("sex") in (None, "Persons")
    ]
    if not rows:
        raise NotFoundError(f"no counts of {indicator_id} for the place's areas")
    areas = sorted({r["area_code"] for r in rows})
    periods = sorted({r["period"] for r in rows}, key=lambda p: period_start(p) or 0.0)
    ages = {r.get("age") for r in rows}
    age = "All ages" if "All ages" in ages else sorted(a or "" for a in ages)[0]
    counts = {
        (r["area_code"], r["period"]): int(r["count"]) for r in rows if (r.get("age") or "") == (age or "")
    }
    table = [[counts.get((a, p), 0) for p in periods] for a in areas]
    result = disclose(table)
    return {
        "indicator": indicator_id,
        "areas": areas,
        "periods": periods,
        "age": age,
        "table": result.to_dict(),
    }


@twin(router, "/outcomes/letters", "outcome_letters.html", cache=True)
def letters_page(request: Request, principal: Principal) -> dict[str, Any]:
    """Exception letters, open ones first."""
    principal.require("datasets.read")
    with _place(request).read() as conn:
        letters = list_letters(conn)
    return {"letters": [x.to_dict() for x in letters], "can_draft": principal.can("place.manage")}


@router.post("/outcomes/letters/draft")
def draft(request: Request, csrf_token: Annotated[str, Form()]) -> Response:
    """Draft letters for indicators that have left their bands."""
    principal = acting_user(request, csrf_token, "place.manage")
    draft_letters(_place(request), actor=principal.username)
    return RedirectResponse("/outcomes/letters", status_code=303)


@router.get("/outcomes/letters/{letter_id}.pdf")
def letter_pdf(request: Request, letter_id: LetterId) -> Response:
    """The letter as PDF."""
    current_principal(request).require("datasets.read")
    place = _place(request)
    with place.read() as conn:
        letter = get_letter(conn, letter_id)
    return Response(to_pdf(letter_html(letter, place.config.name)), media_type="application/pdf")


@router.get("/outcomes/letters/{letter_id}")
def letter_page(request: Request, letter_id: LetterId) -> Response:
    """The letter, with the form to record its answer."""
    principal = current_principal(request)
    principal.require("datasets.read")
    place = _place(request)
    with place.read() as conn:
        letter = get_letter(conn, letter_id)
    data = {
        "letter": letter.to_dict(),
        "html": letter_html(letter, place.config.name),
        "can_answer": principal.can("place.manage"),
    }
    return page(request, "outcome_letter.html", data, principal=principal)


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
        save_framework(conn, framework, actor=principal.username)
    return RedirectResponse("/outcomes", status_code=303)


@router.get("/outcomes/framework")
def framework_form(request: Request) -> Response:
    """The framework's YAML in an editor."""
    principal = current_principal(request)
    principal.require("place.manage")
    from sqlalchemy import select

    from totalplace.store.schema import outcome_frameworks

    with _place(request).read() as conn:
        row = conn.execute(
            select(outcome_frameworks.c.yaml).order_by(outcome_frameworks.c.id.desc()).limit(1)
        ).first()
    return page(
        request, "outcome_framework.html", {"yaml": "" if row is None else row.yaml}, principal=principal
    )


@router.get("/outcomes/cohort")
def cohort_form(request: Request) -> Response:
    """The form to analyse a cohort file (people referred and others, outcomes before and after)."""
    principal = current_principal(request)
    principal.require("datasets.import")
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
    return {"file": name, "cohorts": reports}


@upload_route(router, "/outcomes/cohort")
async def cohort_page(request: Request) -> Response:
    """The cohort's report: before and after, and against a matched comparison group (nothing is stored)."""
    async with receive_upload(request, "datasets.import") as form:
        report = _cohort(form)
    return page(request, "outcome_cohort.html", {"report": report}, principal=form.principal)


@upload_route(router, "/outcomes/cohort.json")
async def cohort_json(request: Request) -> Response:
    """The cohort's report as JSON (the session's token in X-CSRF-Token)."""
    async with receive_upload(request, "datasets.import", csrf="header") as form:
        return JSONResponse(_cohort(form))


@router.get("/outcomes/aggregate")
def aggregate_form(request: Request) -> Response:
    """The form to count the place's own records by area into observations of an indicator."""
    principal = current_principal(request)
    principal.require("datasets.import")
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
    async with receive_upload(request, "datasets.import") as form:
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
