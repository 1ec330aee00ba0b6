"""The spend commands: the place spending map, drill-down to lines, and testing classification rules."""

from __future__ import annotations

from pathlib import Path

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, print_tables
from totalplace.datasets.spend_formats import FORMATS
from totalplace.place import Place

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


@click.group("spend")
def spend_group() -> None:
    """The place spending map: who spends what, on what, where, per head, and on prevention."""


@spend_group.command("map")
@click.option("--year", default=None, help="Financial year, e.g. 2024-25 (default: every year together).")
@click.option("--level", default="lsoa", show_default=True, help="Small-area level for per-area spending.")
@click.option("--top", default=5, show_default=True, help="How many top suppliers per theme.")
@with_place
def spend_map(place: Place, out: Output, year: str | None, level: str, top: int) -> None:
    """Build the place spending map from every partner's imported spending."""
    from totalplace.engines.spendmap import build_spend_map, load_rules
    from totalplace.reports.spend import spend_map_command

    with out.progress("classifying and mapping spending") as say, place.analytics() as engine:
        say("classifying")
        spend = build_spend_map(engine, load_rules(place), year=year, area_level=level, top=top)
    view = spend_map_command(spend)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@spend_group.command("lines")
@click.option("--partner", default=None)
@click.option("--theme", default=None, help="A theme id, e.g. adult_social_care.")
@click.option("--rule", "rule_id", default=None, help="Lines classified by this rule.")
@click.option("--unclassified", is_flag=True, help="Only lines no rule classified.")
@click.option("--supplier", default=None, help="Suppliers whose name contains this text.")
@click.option("--year", default=None)
@click.option("--limit", default=50, show_default=True)
@with_place
def spend_lines(
    place: Place,
    out: Output,
    partner: str | None,
    theme: str | None,
    rule_id: str | None,
    unclassified: bool,
    supplier: str | None,
    year: str | None,
    limit: int,
) -> None:
    """Drill down from any cell of the map to its lines, each with the rule that classified it."""
    from totalplace.engines.spendmap import load_rules
    from totalplace.engines.spendmap.lines import LineFilters, lines_matching
    from totalplace.reports.spend import lines_command

    filters = LineFilters(partner, theme, rule_id, unclassified, supplier, year)
    with place.analytics() as engine:
        found = lines_matching(engine, load_rules(place), filters, limit=limit)
    view = lines_command(found)
    out.emit(view.to_dict(), lambda: print_tables(view.tables))


@spend_group.group("rules")
def rules_group() -> None:
    """Classification rules (place rules in <place>/rules/*.yaml come before the defaults)."""


@rules_group.command("test")
@click.argument("file", type=_FILE)
@click.option("--format", "fmt", type=click.Choice(["auto", *FORMATS]), default="auto", show_default=True)
@click.option(
    "--rules", "extra", type=_FILE, multiple=True, help="Also try the rules in this YAML file first."
)
@with_place
def rules_test(place: Place, out: Output, file: Path, fmt: str, extra: tuple[Path, ...]) -> None:
    """Show how the rules classify a file, without importing it: coverage and what is left unclassified."""
    from totalplace.datasets.importer import ImportRequest, parse_file
    from totalplace.datasets.limits import ImportLimits
    from totalplace.datasets.source import read_path
    from totalplace.engines.spendmap import load_rules
    from totalplace.engines.spendmap.preview import preview_map
    from totalplace.reports.spend import spend_map_command

    limits = ImportLimits.from_settings()
    parsed = parse_file(read_path(file, limits), file.name, ImportRequest("spend", None, format=fmt), limits)
    spend = preview_map(parsed, load_rules(place, list(extra)), file.name)
    view = spend_map_command(spend)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@rules_group.command("list")
@with_place
def rules_list(place: Place, out: Output) -> None:
    """List the rules in the order they are tried."""
    from totalplace.engines.spendmap import load_rules
    from totalplace.reports.spend import rules_json, rules_tables

    ruleset = load_rules(place)
    out.emit(rules_json(ruleset), lambda: print_tables(rules_tables(ruleset)))


@rules_group.command("suggest")
@click.option("--year", default=None, help="Learn from one financial year, e.g. 2024-25 (default: all).")
@click.option(
    "--min-pounds",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Only rules that would classify at least this many unclassified pounds.",
)
@click.option(
    "--min-share",
    type=click.FloatRange(0.5, 1.0),
    default=0.95,
    show_default=True,
    help="Share of a cost centre's (or word's) classified pounds that must land in one theme.",
)
@click.option(
    "--min-lines",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Classified lines a cost centre or word must have been seen on to be learned from.",
)
@click.option(
    "--write",
    "write_to",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the suggestions as a rules file to check, edit and keep with `spend rules add`.",
)
@with_place
def rules_suggest(
    place: Place,
    out: Output,
    year: str | None,
    min_pounds: int,
    min_share: float,
    min_lines: int,
    write_to: Path | None,
) -> None:
    """Propose rules learned from the place's classified lines: cost centres and purpose words whose
    pounds all (or --min-share) land in one theme, with the unclassified pounds each would classify."""
    from totalplace.engines.spendmap import load_rules
    from totalplace.engines.spendmap.suggest import active_lines, suggest_rules
    from totalplace.reports.spend import suggestions_command

    with out.progress("learning from classified lines"), place.analytics() as engine:
        lines = active_lines(engine, year)
    found = suggest_rules(
        lines, load_rules(place), min_pence=min_pounds * 100, min_share=min_share, min_evidence=min_lines
    )
    if write_to is not None:
        write_to.write_text(found.rules_yaml(), "utf-8")
    view = suggestions_command(found)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@rules_group.command("add")
@click.argument("file", type=_FILE)
@click.option("--name", default=None, help="The rules' name in the place (default: the file's name).")
@click.option("--reason", default="", help="Why: kept with the new version in its history.")
@with_place
def rules_add(place: Place, out: Output, file: Path, name: str | None, reason: str) -> None:
    """Keep a YAML file of the place's own rules (tried before the packaged ones) as a new version."""
    from totalplace.engines.spendmap.rules import save_rules
    from totalplace.governance.roles import OPERATOR

    kept = save_rules(place, name or file.stem, file.read_text("utf-8"), OPERATOR, reason=reason)
    out.emit(kept.to_dict(body=False), lambda: console.print(f"kept {kept.ref} version {kept.version}"))


@spend_group.group("deflators")
def deflators_group() -> None:
    """The GDP deflator series that puts several years of spending in one year's prices."""


@deflators_group.command("import")
@click.argument("file", type=_FILE)
@with_place
def deflators_import(place: Place, out: Output, file: Path) -> None:
    """Import HM Treasury's "GDP deflators at market prices, and money GDP" release as published."""
    from totalplace.engines.spendmap.deflators import read_hmt_deflators, save_deflators
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.spend import deflators_saved

    deflators, base = read_hmt_deflators(file)
    kept = save_deflators(place, deflators, OPERATOR, reason=f"imported from {file.name}")
    view = deflators_saved(deflators, base, f"{kept.ref} version {kept.version}")
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@spend_group.command("real-terms")
@click.option(
    "--base", default=None, help="The year whose prices to use (default: the latest with spending)."
)
@click.option("--level", default="lsoa", show_default=True)
@with_place
def spend_real_terms(place: Place, out: Output, base: str | None, level: str) -> None:
    """Each theme's spending year by year in one year's prices, by the GDP deflator."""
    from totalplace.engines.spendmap import build_spend_map, load_rules
    from totalplace.engines.spendmap.deflators import load_deflators, real_terms
    from totalplace.reports.spend import real_terms_command

    with out.progress("building the spending map"), place.analytics() as engine:
        spend = build_spend_map(engine, load_rules(place), year=None, area_level=level)
    found = real_terms(spend.by_year_theme, load_deflators(place), base, spend.theme_labels())
    if not found.available:
        raise click.ClickException(found.reason or "no real terms")
    view = real_terms_command(found, spend.years)
    out.emit(view.to_dict(), lambda: print_tables(view.tables))
