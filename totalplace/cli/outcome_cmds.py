"""The outcomes commands: the framework, importing observations, and benchmarking with intervals."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import cast

import click

from totalplace.cli.common import parse_pairs, with_place
from totalplace.cli.data_cmds import run_import
from totalplace.cli.output import Output, console, table
from totalplace.datasets.importer import ImportRequest
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import read_path
from totalplace.engines.outcomes.aggregate import aggregate_records
from totalplace.engines.outcomes.benchmark import Against, benchmark
from totalplace.engines.outcomes.cohorts import cohort_file_reports
from totalplace.engines.outcomes.comparators import la_profiles, nearest, save_set
from totalplace.engines.outcomes.framework import current_framework, save_framework
from totalplace.engines.outcomes.inequality import inequality
from totalplace.engines.outcomes.letters import answer_letter, draft_letters, get_letter, list_letters
from totalplace.errors import NotFoundError
from totalplace.place import Place

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
    request = ImportRequest("observations", None, "cli", format="csv" if mapping else fmt, mapping=mapping)
    run_import(place, out, file, request)


@outcomes_group.group("framework")
def framework_group() -> None:
    """The outcomes framework: outcomes, indicators and their metadata (YAML)."""


@framework_group.command("set")
@click.argument("file", type=_FILE)
@with_place
def framework_set(place: Place, out: Output, file: Path) -> None:
    """Put a framework in force (a new version; earlier ones are kept)."""
    with place.begin() as conn:
        framework = save_framework(conn, file.read_bytes(), actor="cli")
    count = len(framework.indicators())
    out.emit(
        {"framework": framework.name, "outcomes": len(framework.outcomes), "indicators": count},
        lambda: console.print(f"{framework.title}: {len(framework.outcomes)} outcomes, {count} indicators"),
    )


@framework_group.command("show")
@with_place
def framework_show(place: Place, out: Output) -> None:
    """The framework in force."""
    with place.read() as conn:
        framework = current_framework(conn)
    if framework is None:
        raise NotFoundError("no outcomes framework yet", hint="totalplace outcomes framework set FILE")
    out.emit(
        framework.model_dump(mode="json"),
        lambda: table(
            framework.title,
            ("outcome", "indicator", "polarity", "type", "tolerance", "owner"),
            [
                (
                    o.title,
                    f"{i.id} {i.title}",
                    i.polarity,
                    i.value_type,
                    "" if i.tolerance is None else f"{i.tolerance.lower} to {i.tolerance.upper}",
                    i.owner or "",
                )
                for o in framework.outcomes
                for i in o.indicators
            ],
        ),
    )


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
    result = benchmark(
        place, against=cast(Against, against), indicator=indicator, areas=list(areas) or None, period=period
    )
    if out.as_json:  # streamed: a national file's million rows would otherwise be a million dicts at once
        result.write_json(lambda text: click.echo(text, nl=False))
        return
    total = result.table.num_rows
    shown = dataclasses.replace(result, table=result.table.slice(0, limit)).rows()

    def limits(low: float | None, high: float | None) -> str:
        return "" if low is None or high is None else f"{low:,.1f} to {high:,.1f}"

    out.emit(
        None,
        lambda: table(
            f"Compared with {against}"
            + (
                f": the first {limit:,} of {total:,} rows (narrow with --indicator, --area or --period; "
                "--json gives every row)"
                if total > limit
                else ""
            ),
            (
                "indicator",
                "area",
                "period",
                "breakdown",
                "value",
                "95% limits",
                "99.8% limits",
                against,
                "95%",
                "trend",
            ),
            [
                (
                    r["title"][:40],
                    r["area_name"] or r["area_code"],
                    r["period"],
                    ", ".join(r["breakdown"].values()),
                    "" if r["value"] is None else f"{r['value']:,.1f}",
                    limits(r["lower95"], r["upper95"]),
                    limits(r["lower998"], r["upper998"]),
                    "" if r["benchmark"] is None else f"{r['benchmark']:,.1f}",
                    r["comparison95"],
                    r["trend"]["direction"],
                )
                for r in shown
            ],
        ),
    )


@outcomes_group.command("letters")
@click.option("--no-draft", is_flag=True, help="Only list; do not draft letters for new exceptions.")
@with_place
def outcomes_letters(place: Place, out: Output, no_draft: bool) -> None:
    """Draft an exception letter for every indicator outside its tolerance band, and list all letters."""
    drafted = [] if no_draft else draft_letters(place, actor="cli")
    with place.read() as conn:
        letters = list_letters(conn)
    out.emit(
        {"drafted": [x.id for x in drafted], "letters": [x.to_dict() for x in letters]},
        lambda: table(
            f"Exception letters ({len(drafted)} new)",
            ("id", "indicator", "period", "value", "band", "to", "status", "remedy by"),
            [
                (
                    x.id,
                    x.content["indicator"]["title"],
                    x.period,
                    f"{x.content['latest']['value']:,.1f}",
                    f"{x.content['band']['lower']} to {x.content['band']['upper']}",
                    x.addressee,
                    x.status,
                    x.remedy_by or "",
                )
                for x in letters
            ],
        ),
    )


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
    from totalplace.reports.letter import letter_html
    from totalplace.reports.render import to_pdf

    if plan is not None:
        if remedy_by is None:
            raise click.BadParameter("an answer needs --by DATE", param_hint="--by")
        with place.begin() as conn:
            letter = answer_letter(conn, letter_id, plan=plan, remedy_by=remedy_by, actor="cli")
    else:
        with place.read() as conn:
            letter = get_letter(conn, letter_id)
    html = letter_html(letter, place.config.name)
    if html_out is not None:
        html_out.write_text(html, encoding="utf-8")
    if pdf_out is not None:
        pdf_out.write_bytes(to_pdf(html))
    out.emit(
        letter.to_dict(),
        lambda: console.print(
            f"Letter {letter.id} to {letter.addressee}: {letter.content['indicator']['title']} "
            f"{letter.content['side']} its band in {letter.period}; {letter.status}"
            + (f", remedy by {letter.remedy_by}" if letter.remedy_by else "")
        ),
    )


@outcomes_group.command("inequality")
@click.option("--indicator", required=True, help="The indicator id.")
@click.option("--area", default="E92000001", show_default=True, help="The area whose deciles to use.")
@click.option("--period", default=None, help="The period (default: the latest with a deprivation breakdown).")
@with_place
def outcomes_inequality(place: Place, out: Output, indicator: str, area: str, period: str | None) -> None:
    """The slope and relative index of inequality across deprivation deciles, and the gap, with limits."""
    found = inequality(place, indicator, area=area, period=period)
    out.emit(
        found,
        lambda: console.print(
            f"{indicator} in {area}, {found['period']}: slope index of inequality {found['sii']:,.2f} "
            f"(95% {found['sii_lower']:,.2f} to {found['sii_upper']:,.2f}); "
            f"relative index {found['rii']:.3f}; gap least - most deprived {found['gap']:,.2f} "
            f"({found['gap_lower']:,.2f} to {found['gap_upper']:,.2f})"
        ),
    )


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

    found = funnel(place, indicator, period=period, area_type=area_type)
    if svg_out is not None:
        svg_out.write_text(found.chart().svg, encoding="utf-8")

    def render() -> None:
        table(
            f"{found.title}, {found.period}: {len(found.points)} {found.area_type or 'areas'}, "
            f"average {found.baseline:,.2f}",
            ("area", "count", "denominator", "value", "significance", "comparison"),
            [
                (
                    p["area_name"],
                    f"{p['count']:,.0f}",
                    f"{p['denominator']:,.0f}",
                    "" if p["value"] is None else f"{p['value']:,.2f}",
                    p["significance"],
                    p["comparison"],
                )
                for p in found.points
            ],
        )

    out.emit(found.to_dict(), render)


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
    code = area or place.config.code
    if not code:
        raise click.BadParameter("the place has no code; give --area", param_hint="--area")
    with out.progress("profiling authorities"):
        members = nearest(la_profiles(imd, population, rurality), code, k)
    if save_as:
        with place.begin() as conn:
            save_set(conn, name=save_as, area=code, members=members, actor="cli")

    def why(contributions: dict[str, float]) -> str:
        top = sorted(contributions.items(), key=lambda kv: -kv[1])[:2]
        return ", ".join(f"{name} {100 * share:.0f}%" for name, share in top)

    out.emit(
        {"area": code, "saved_as": save_as, "comparators": members},
        lambda: table(
            f"Nearest neighbours of {code}",
            ("authority", "distance", "most of the distance"),
            [(m["name"], f"{m['distance']:.2f}", why(m["contributions"])) for m in members],
        ),
    )


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
    limits = ImportLimits.from_settings()
    reports = cohort_file_reports(
        read_path(file, limits),
        file.name,
        outcomes=list(outcome_names),
        group=group,
        referred_value=referred_value,
        covariates=[c.strip() for c in covariates.split(",") if c.strip()],
    )

    def render() -> None:
        for report in reports:
            ba = report["before_after"]
            console.print(
                f"[bold]{report['outcome']}[/]: {report['referred']} referred; {ba['before']:,.0f} before, "
                f"{ba['after']:,.0f} after ({ba['change_percent']}%; rate ratio {ba['rate_ratio']}, "
                f"95% {ba['lower']} to {ba['upper']})"
            )
            matched = report.get("matched")
            if matched:
                console.print(
                    f"  against {matched['pairs']} matched others: difference in differences "
                    f"{matched['difference_in_differences']} per person (95% {matched['lower']} to "
                    f"{matched['upper']}); {'balanced' if matched['balanced'] else 'NOT balanced'}"
                )

    out.emit({"cohorts": reports}, render)


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
        actor="cli",
    )
    out.emit(
        {**result.to_dict(), "aggregated": info},
        lambda: console.print(
            f"{info['records']:,} records counted into {info['areas']} {level} areas "
            f"({info['total']:,.0f} in all) as indicator {indicator}, {period}; batch {result.batch.id}"
        ),
    )
