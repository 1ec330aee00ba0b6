"""The spending map pages: the map, drill-down to lines (with export), and classification coverage."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from totalplace.datasets.export import ExportFormat, rows_to_csv, rows_to_xlsx
from totalplace.engines.spendmap import SpendMap, build_spend_map, load_rules
from totalplace.engines.spendmap.deflators import load_deflators, real_terms
from totalplace.engines.spendmap.lines import LineFilters, lines_matching
from totalplace.engines.spendmap.map import spend_years, year_start
from totalplace.engines.spendmap.rules import RuleSet, rules_signature
from totalplace.errors import NotFoundError
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.reports.spend import (
    EXPORT_COLUMNS,
    coverage_view,
    lines_view,
    spend_charts,
    spend_map_view,
)
from totalplace.web import params
from totalplace.web.cache import PageCache, catalog_at, catalog_version, page_cache, version_of
from totalplace.web.render import twin
from totalplace.web.session import current_principal

router = APIRouter()


DEFAULT_LEVEL = "lsoa"
LINE_FILTERS = ("partner", "theme", "rule", "unclassified", "supplier", "year", "area")


def _place(request: Request) -> Place:
    place: Place = request.app.state.place
    return place


def _rules_files(place: Place) -> tuple[tuple[str, int], ...]:
    """The place's rules as (name, version in force): they are versioned objects in the store."""
    return rules_signature(place)


def _rules(request: Request) -> RuleSet:
    """The place's rules, read again only when a rules file changes."""
    return _ruleset(_place(request), page_cache(request))


def _ruleset(place: Place, cache: PageCache) -> RuleSet:
    return cache.get(("rules", _rules_files(place)), lambda: load_rules(place))


def _cached_map(request: Request, year: str | None, level: str) -> SpendMap:
    """The map, rebuilt only when the active batches, the areas or the place's rules change."""
    return _map(_place(request), page_cache(request), catalog_version(request), year, level)


def _map(place: Place, cache: PageCache, catalog: str, year: str | None, level: str) -> SpendMap:
    """The map over the catalog ``catalog`` (batches are immutable, so a map over one set of them stays
    right whatever else changes in the store)."""

    def build() -> SpendMap:
        ruleset = _ruleset(place, cache)
        with place.analytics() as engine:
            return build_spend_map(engine, ruleset, year=year, area_level=level)

    return cache.get(("spend-map", catalog, _rules_files(place), year, level), build)


def _latest_year(request: Request) -> str | None:
    return _latest(_place(request), page_cache(request), catalog_version(request))


def _latest(place: Place, cache: PageCache, catalog: str) -> str | None:
    def latest() -> str | None:
        with place.analytics() as engine:
            years = spend_years(engine)
        return years[-1] if years else None

    return cache.get(("spend-latest-year", catalog), latest)


def warm(place: Place, cache: PageCache) -> None:
    """Build the map the spending page opens on (the latest year by small area) and its charts."""
    catalog = catalog_at(place, cache, version_of(place).seq)
    spend = _map(place, cache, catalog, _latest(place, cache, catalog), DEFAULT_LEVEL)
    spend_charts(place, spend)


def _year(request: Request) -> str | None:
    year = params.financial_year(request)
    if year is not None:
        year_start(year)  # refuses 2024-26: the two years must follow (HTTP 400)
    return year


@twin(router, "/spend", "spend.html", cache=True)
def spend_map(request: Request, principal: Principal) -> dict[str, Any]:
    """The place spending map for a financial year (default: the latest)."""
    principal.require("figures.read")
    level = params.level(request)
    year = _year(request)
    base = params.financial_year(request, "base")
    place = _place(request)
    spend = _cached_map(request, year or _latest_year(request), level)
    real = real_terms(spend.by_year_theme, load_deflators(place), base, spend.theme_labels())
    view = spend_map_view(spend, real_terms=real, charts=spend_charts(place, spend))
    return {**view.to_dict(), "_charts": dict(view.charts)}


def _line_filters(request: Request) -> LineFilters:
    return LineFilters(
        partner=params.text(request, "partner"),
        theme=params.text(request, "theme"),
        rule_id=params.text(request, "rule"),
        unclassified=params.choice(request, "unclassified", ("0", "1"), "0") == "1",
        supplier=params.text(request, "supplier"),
        year=_year(request),
        area=params.text(request, "area"),
    )


@twin(router, "/spend/lines", "spend_lines.html")
def spend_lines(request: Request, principal: Principal) -> dict[str, Any]:
    """The lines behind a cell of the map, biggest first, each with its rule."""
    principal.require("figures.read")
    filters = _line_filters(request)
    limit = params.whole(request, "limit", 200, 1, 5000)
    with _place(request).analytics() as engine:
        found = lines_matching(engine, _rules(request), filters, limit=limit)
    query = urlencode([(k, v) for k, v in request.query_params.items() if k in LINE_FILTERS])
    return lines_view(found, filters, query).to_dict()


@router.get("/spend/lines.{fmt}")
def export_lines(request: Request, fmt: str) -> Response:
    """The drill-down's lines as CSV or XLSX (up to 100,000), formulas neutralised."""
    principal = current_principal(request)
    principal.require("figures.read")
    if fmt not in ("csv", "xlsx"):
        raise NotFoundError(f"no export format {fmt[:20]!r}", hint="use .csv or .xlsx")
    filters = _line_filters(request)
    with _place(request).analytics() as engine:
        found = lines_matching(engine, _rules(request), filters, limit=100_000)
    chosen: ExportFormat = "xlsx" if fmt == "xlsx" else "csv"
    rows = lines_view(found, filters).export_rows()
    body = (rows_to_xlsx if chosen == "xlsx" else rows_to_csv)(list(EXPORT_COLUMNS), rows)
    media = (
        "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="spend-lines.{fmt}"'}
    )


@twin(router, "/spend/coverage", "spend_coverage.html", cache=True)
def spend_coverage(request: Request, principal: Principal) -> dict[str, Any]:
    """How much of the spending the rules classify, and the biggest pounds they do not."""
    principal.require("figures.read")
    spend = _cached_map(request, _year(request), params.level(request))
    return coverage_view(spend, _rules(request)).to_dict()
