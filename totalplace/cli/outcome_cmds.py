"""The outcomes commands: the framework, importing observations, and benchmarking with intervals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from totalplace.cli.common import parse_pairs, with_place
from totalplace.cli.data_cmds import run_import
from totalplace.cli.output import Output, console, print_tables
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.request import ImportRequest
from totalplace.engines.outcomes.framework import current_framework, save_framework
from totalplace.errors import NotFoundError
from totalplace.governance.roles import OPERATOR, trusted
from totalplace.place import Place

if TYPE_CHECKING:
    from totalplace.engines.outcomes.benchmark import Against

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


@click.group("outcomes")
def outcomes_group() -> None:
    """Shared outcomes: the framework, indicator observations, benchmarking with confidence intervals."""


@outcomes_group.command("import")
@click.argument("file", type=_FILE)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "fingertips", "csv"]),
    default="auto",
    show_default=True,
    help="fingertips (the profiles' download data CSV, its own headers) or csv (any CSV or XLSX with "
    "indicator_id, area_code, period and count/denominator/value columns, or named with --column); auto "
    "tells them apart by the header.",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    help="csv: FIELD=HEADER, a column under the file's own name (e.g. --column period=Year).",
)
@with_place
def outcomes_import(place: Place, out: Output, file: Path, fmt: str, columns: tuple[str, ...]) -> None:
    """Import indicator observations; a bad row (negative denominator, count above it, unknown area or
    period) refuses the whole file with every problem listed."""
    mapping = parse_pairs(columns, "--column")
    if mapping and fmt == "fingertips":
        raise click.BadParameter("--column is for --format csv; a Fingertips download has its own headers")
    request = ImportRequest("observations", None, format="csv" if mapping else fmt, mapping=mapping)
    run_import(place, out, file, request)


@outcomes_group.group("framework")
def framework_group() -> None:
    """The outcomes framework: outcomes, indicators and their metadata (YAML)."""


@framework_group.command("set")
@click.argument("file", type=_FILE)
@with_place
def framework_set(place: Place, out: Output, file: Path) -> None:
    """Put a framework in force (a new version; earlier ones are kept)."""
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.outcomes import framework_saved_headline

    with place.begin() as conn:
        framework = save_framework(conn, file.read_bytes(), principal=OPERATOR)
    out.emit(
        {
            "framework": framework.name,
            "outcomes": len(framework.outcomes),
            "indicators": len(framework.indicators()),
        },
        lambda: console.print(framework_saved_headline(framework)),
    )


@framework_group.command("show")
@with_place
def framework_show(place: Place, out: Output) -> None:
    """The framework in force."""
    from totalplace.reports.outcomes import FrameworkView

    with place.read() as conn:
        framework = current_framework(conn)
    if framework is None:
        raise NotFoundError("no outcomes framework yet", hint="totalplace outcomes framework set FILE")
    view = FrameworkView(framework)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@outcomes_group.command("benchmark")
@click.option("--indicator", default=None, help="Only this indicator id.")
@click.option(
    "--against",
    type=click.Choice(["england", "region", "target", "comparators"]),
    default="england",
    show_default=True,
)
@click.option("--area", "areas", multiple=True, help="Area codes to show (default: the place and its areas).")
@click.option("--period", default=None, help="Only this period, e.g. 2017 or 2017/18.")
@click.option(
    "--limit", type=click.IntRange(1), default=200, show_default=True, help="Most rows to print (not --json)."
)
@with_place
def outcomes_benchmark(
    place: Place,
    out: Output,
    indicator: str | None,
    against: str,
    areas: tuple[str, ...],
    period: str | None,
    limit: int,
) -> None:
    """Each value with its 95% and 99.8% limits, compared with the benchmark, and its trend."""
    from totalplace.engines.outcomes.benchmark import benchmark
    from totalplace.reports.outcomes import benchmark_view

    result = benchmark(
        place, against=cast("Against", against), indicator=indicator, areas=list(areas) or None, period=period
    )
    if out.as_json:  # streamed: a national file's million rows would otherwise be a million dicts at once
        result.write_json(lambda text: click.echo(text, nl=False))
        return
    view = benchmark_view(result, limit=limit)
    print_tables(view.tables, view.headline)


@outcomes_group.command("letters")
@click.option("--no-draft", is_flag=True, help="Only list; do not draft letters for new exceptions.")
@with_place
def outcomes_letters(place: Place, out: Output, no_draft: bool) -> None:
    """Draft an exception letter for every indicator outside its tolerance band, and list all letters."""
    from totalplace.engines.outcomes.letters import draft_letters, list_letters
    from totalplace.reports.outcomes import letters_view

    drafted = [] if no_draft else draft_letters(place, principal=trusted("cli"))
    with place.read() as conn:
        letters = list_letters(conn)
    view = letters_view(letters, drafted=drafted)
    out.emit(view.cli_dict(), lambda: print_tables(view.tables, view.headline))


@outcomes_group.command("letter")
@click.argument("letter_id", type=int)
@click.option("--pdf", "pdf_out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--html", "html_out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--answer", "plan", default=None, help="Record the remedial plan (with --by).")
@click.option("--by", "remedy_by", default=None, help="The date the plan will have worked by (YYYY-MM-DD).")
@with_place
def outcomes_letter(
    place: Place,
    out: Output,
    letter_id: int,
    pdf_out: Path | None,
    html_out: Path | None,
    plan: str | None,
    remedy_by: str | None,
) -> None:
    """Show a letter, write it as PDF or HTML, or record its answer."""
    from totalplace.engines.outcomes.letters import answer_letter, get_letter
    from totalplace.reports.outcomes import letter_view
    from totalplace.reports.render import to_pdf

    if plan is not None:
        if remedy_by is None:
            raise click.BadParameter("an answer needs --by DATE", param_hint="--by")
        with place.begin() as conn:
            letter = answer_letter(conn, letter_id, plan=plan, remedy_by=remedy_by, principal=trusted("cli"))
    else:
        with place.read() as conn:
            letter = get_letter(conn, letter_id)
    view = letter_view(letter, place.config.name)
    if html_out is not None:
        html_out.write_text(view.html, encoding="utf-8")
    if pdf_out is not None:
        pdf_out.write_bytes(to_pdf(view.html))
    out.emit(letter.to_dict(), lambda: console.print(view.headline))


@outcomes_group.command("inequality")
@click.option("--indicator", required=True, help="The indicator id.")
@click.option("--area", default="E92000001", show_default=True, help="The area whose deciles to use.")
@click.option("--period", default=None, help="The period (default: the latest with a deprivation breakdown).")
@with_place
def outcomes_inequality(place: Place, out: Output, indicator: str, area: str, period: str | None) -> None:
    """The slope and relative index of inequality across deprivation deciles, and the gap, with limits."""
    from totalplace.engines.outcomes.inequality import inequality
    from totalplace.reports.outcomes import inequality_view

    view = inequality_view(inequality(place, indicator, area=area, period=period))
    out.emit(view.to_dict(), lambda: console.print(view.headline))


@outcomes_group.command("funnel")
@click.option("--indicator", required=True, help="The indicator id (a proportion, rate or ratio).")
@click.option("--period", default=None, help="The period (default: the latest with areas to compare).")
@click.option(
    "--area-type", default=None, help="Which areas, e.g. 'Ward' (default: the type with most areas)."
)
@click.option(
    "--svg", "svg_out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write the plot."
)
@with_place
def outcomes_funnel(
    place: Place, out: Output, indicator: str, period: str | None, area_type: str | None, svg_out: Path | None
) -> None:
    """Areas against their pooled average with 95% and 99.8% control limits (the profiles' funnel plot)."""
    from totalplace.engines.outcomes.funnel import funnel
    from totalplace.reports.outcomes import funnel_view

    view = funnel_view(funnel(place, indicator, period=period, area_type=area_type))
    if svg_out is not None:
        svg_out.write_text(view.chart().svg, encoding="utf-8")
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@outcomes_group.command("spine")
@click.option(
    "--svg", "svg_out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write the chart."
)
@with_place
def outcomes_spine(place: Place, out: Output, svg_out: Path | None) -> None:
    """The framework's indicators against the comparator set: where the place, England and the comparators'
    middle half sit between the comparators' worst (0) and best (1), as the spine chart page shows."""
    from totalplace.engines.outcomes.spine import spine
    from totalplace.reports.outcomes import spine_view

    view = spine_view(spine(place))
    if svg_out is not None:
        charts = view.charts()
        if not charts:
            raise NotFoundError("no indicator has values for the place and at least two comparators")
        svg_out.write_text(charts["spine"].svg, encoding="utf-8")
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@outcomes_group.command("published")
@click.argument("indicator")
@with_place
def outcomes_published(place: Place, out: Output, indicator: str) -> None:
    """Counts of an indicator by area and period as they may be published: small counts suppressed, the
    rest rounded, and enough other cells withheld that no suppressed count can be worked out."""
    from totalplace.engines.outcomes.published import published_counts
    from totalplace.reports.outcomes import published_view

    view = published_view(published_counts(place, indicator))
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@outcomes_group.command("comparators")
@click.option("--imd", type=_FILE, required=True, help="IoD2019 File 2: LSOA domain ranks with LA codes.")
@click.option("--population", type=_FILE, required=True, help="LSOA populations and areas (ONS SAPE).")
@click.option("--rurality", type=_FILE, required=True, help="LSOA 2011 rural-urban classification.")
@click.option("--area", default=None, help="The authority (default: the place's code).")
@click.option("--k", type=click.IntRange(1, 50), default=15, show_default=True, help="How many neighbours.")
@click.option(
    "--save", "save_as", default=None, help="Keep the set under this name for --against comparators."
)
@with_place
def outcomes_comparators(
    place: Place,
    out: Output,
    imd: Path,
    population: Path,
    rurality: Path,
    area: str | None,
    k: int,
    save_as: str | None,
) -> None:
    """The authorities most like the place on deprivation, size, density and rurality, with why."""
    from totalplace.engines.outcomes.comparators import la_profiles, nearest, save_set
    from totalplace.reports.outcomes import comparators_view

    code = area or place.config.code
    if not code:
        raise click.BadParameter("the place has no code; give --area", param_hint="--area")
    with out.progress("profiling authorities"):
        members = nearest(la_profiles(imd, population, rurality), code, k)
    if save_as:
        with place.begin() as conn:
            save_set(conn, name=save_as, area=code, members=members, actor="cli")
    view = comparators_view(code, members, saved_as=save_as)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@outcomes_group.command("cohort")
@click.argument("file", type=_FILE)
@click.option(
    "--outcome", "outcome_names", multiple=True, required=True, help="Read OUTCOME_before and OUTCOME_after."
)
@click.option("--group", default="group", show_default=True, help="The column saying who was referred.")
@click.option(
    "--referred", "referred_value", default="referred", show_default=True, help="Its value for them."
)
@click.option(
    "--covariates", default="", help="Columns to match on, comma-separated (e.g. age,prior_arrests)."
)
@with_place
def outcomes_cohort(
    place: Place,
    out: Output,
    file: Path,
    outcome_names: tuple[str, ...],
    group: str,
    referred_value: str,
    covariates: str,
) -> None:
    """A cohort before and after referral, and against a matched comparison group, outcome by outcome."""
    from totalplace.datasets.source import read_path
    from totalplace.engines.outcomes.cohorts import cohort_file_reports
    from totalplace.reports.outcomes import cohorts_view

    limits = ImportLimits.from_settings()
    reports = cohort_file_reports(
        read_path(file, limits),
        file.name,
        outcomes=list(outcome_names),
        group=group,
        referred_value=referred_value,
        covariates=[c.strip() for c in covariates.split(",") if c.strip()],
        principal=OPERATOR,
    )
    view = cohorts_view(file.name, reports)
    out.emit({"cohorts": [c.to_dict() for c in reports]}, lambda: print_tables(view.tables, view.headline))


@outcomes_group.command("aggregate")
@click.argument("file", type=_FILE)
@click.option("--indicator", required=True, help="The indicator id these counts are observations of.")
@click.option("--title", default=None, help="Its title (default: the id).")
@click.option("--period", required=True, help="The period the records cover, e.g. 2024/25.")
@click.option(
    "--level", default="lsoa", show_default=True, help="The level of area the records are coded to."
)
@click.option("--area-column", required=True, help="The column holding each record's area code.")
@click.option("--count-column", default=None, help="A column to sum (default: count the records).")
@click.option("--where", default=None, help="COLUMN=VALUE: count only the records where COLUMN holds VALUE.")
@click.option(
    "--per", "multiplier", type=float, default=1000.0, show_default=True, help="Rate per this many people."
)
@with_place
def outcomes_aggregate(
    place: Place,
    out: Output,
    file: Path,
    indicator: str,
    title: str | None,
    period: str,
    level: str,
    area_column: str,
    count_column: str | None,
    where: str | None,
    multiplier: float,
) -> None:
    """Count the place's own records by small area, over each area's population, as observations."""
    from totalplace.engines.outcomes.aggregate import aggregate_records
    from totalplace.reports.outcomes import aggregated_headline

    condition = None
    if where is not None:
        column, sep, value = where.partition("=")
        if not sep:
            raise click.BadParameter("write it as COLUMN=VALUE", param_hint="--where")
        condition = (column.strip(), value.strip())
    result, info = aggregate_records(
        place,
        file,
        indicator=indicator,
        title=title or indicator,
        period=period,
        level=level,
        area_column=area_column,
        count_column=count_column,
        where=condition,
        multiplier=multiplier,
        principal=OPERATOR,
    )
    out.emit(
        {**result.to_dict(), "aggregated": info.to_dict()},
        lambda: console.print(
            aggregated_headline(info, level=level, indicator=indicator, period=period, batch=result.batch.id)
        ),
    )
