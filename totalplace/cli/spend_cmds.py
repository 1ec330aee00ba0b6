"""The spend commands: the place spending map, drill-down to lines, and testing classification rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, table
from totalplace.datasets.importer import ImportRequest, parse_file
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import read_path
from totalplace.datasets.spend_formats import FORMATS
from totalplace.engines.spendmap import SpendMap, build_spend_map, load_rules
from totalplace.engines.spendmap.deflators import (
    load_deflators,
    read_hmt_deflators,
    real_terms,
    save_deflators,
)
from totalplace.engines.spendmap.lines import find_lines
from totalplace.engines.spendmap.preview import preview_map
from totalplace.money import Money
from totalplace.place import Place

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


def _pounds(pence: int | None) -> str:
    return "" if pence is None else str(Money(int(pence)))


def _pct(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}%"


def _show_map(spend: SpendMap) -> None:
    year = spend.year or "all years"
    console.print(
        f"[bold]Place spending map, {year}[/]: {_pounds(spend.total_pence)} over {spend.lines:,} lines; "
        f"{_pct(spend.coverage)} of pounds classified"
        + (f"; {_pounds(spend.per_head_pence)} per resident" if spend.per_head_pence is not None else "")
        + (f"; prevention share {_pct(spend.prevention_share)}" if spend.prevention_share is not None else "")
    )
    table(
        "By theme",
        ("theme", "COFOG", "spend", "share", "per head", "lines"),
        [
            (
                r.get("label") or "(unclassified)",
                r.get("cofog") or "",
                _pounds(r["pence"]),
                _pct(r["share"]),
                _pounds(r["per_head_pence"]),
                f"{r['lines']:,}",
            )
            for r in spend.by_theme
        ],
    )
    table(
        "By partner",
        ("partner", "spend", "share", "lines"),
        [(r["partner"], _pounds(r["pence"]), _pct(r["share"]), f"{r['lines']:,}") for r in spend.by_partner],
    )
    if len(spend.years) > 1:
        _show_years(spend)
    table(
        "By prevention stage",
        ("stage", "spend", "share"),
        [(r["stage"] or "(unclassified)", _pounds(r["pence"]), _pct(r["share"])) for r in spend.by_stage],
    )
    if spend.overlaps:
        table(
            "Themes several partners fund",
            ("theme", "partners", "spend"),
            [
                (o["label"], ", ".join(p["partner"] for p in o["partners"]), _pounds(o["pence"]))
                for o in spend.overlaps
            ],
        )
    unclassified = spend.unclassified
    table(
        f"Unclassified: {_pounds(unclassified['pence'])} over {unclassified['lines']:,} lines; "
        "biggest suppliers",
        ("supplier", "spend", "lines"),
        [(r["supplier"], _pounds(r["pence"]), f"{r['lines']:,}") for r in unclassified["top_suppliers"]],
    )
    table(
        "Unclassified, biggest categories",
        ("category", "spend", "lines"),
        [(r["category"], _pounds(r["pence"]), f"{r['lines']:,}") for r in unclassified["top_categories"]],
    )


def _show_years(spend: SpendMap, shown: int = 5) -> None:
    years = spend.years[-shown:]  # a terminal fits a few; --json and the web page have every year
    cells: dict[str, dict[str, int]] = {}
    for row in spend.by_year_theme:
        if row["year"] in years:
            cells.setdefault(row["theme"] or "(unclassified)", {})[row["year"]] = row["pence"]
    more = f"; the latest {shown} of {len(spend.years)} years" if len(spend.years) > shown else ""
    table(
        f"Years side by side (cash, not adjusted for inflation{more})",
        ("theme", *years),
        [(theme, *(_pounds(by_year.get(y)) for y in years)) for theme, by_year in cells.items()],
    )


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
    with out.progress("classifying and mapping spending") as say, place.analytics() as engine:
        say("classifying")
        spend = build_spend_map(engine, load_rules(place.dir), year=year, area_level=level, top=top)
    out.emit(spend.to_dict(), lambda: _show_map(spend))


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
    with place.analytics() as engine:
        found = find_lines(
            engine,
            load_rules(place.dir),
            partner=partner,
            theme=theme,
            rule_id=rule_id,
            unclassified=unclassified,
            supplier=supplier,
            year=year,
            limit=limit,
        )
    out.emit(
        found,
        lambda: table(
            f"{found['count']:,} lines, {_pounds(found['pence'])} (showing {len(found['lines'])})",
            ("date", "partner", "supplier", "amount", "theme", "rule", "description"),
            [
                (
                    r["date"],
                    r["partner"],
                    r["supplier"],
                    _pounds(r["amount_pence"]),
                    r["theme"] or "",
                    r["rule_id"] or "",
                    (r["description"] or "")[:40],
                )
                for r in found["lines"]
            ],
        ),
    )


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
    limits = ImportLimits.from_settings()
    parsed = parse_file(
        read_path(file, limits), file.name, ImportRequest("spend", None, "cli", format=fmt), limits
    )
    spend = preview_map(parsed, load_rules(place.dir, list(extra)), file.name)
    out.emit(spend.to_dict(), lambda: _show_map(spend))


@rules_group.command("list")
@with_place
def rules_list(place: Place, out: Output) -> None:
    """List the rules in the order they are tried."""
    ruleset = load_rules(place.dir)
    data: list[dict[str, Any]] = [
        {
            "id": r.id,
            "source": r.source,
            "priority": r.priority,
            "theme": r.theme,
            "cohort": r.cohort,
            "stage": r.stage,
            "when": [f"{c.field} {c.op} {c.value}" for c in r.conditions],
        }
        for r in ruleset.rules
    ]
    out.emit(
        data,
        lambda: table(
            f"{len(data)} rules",
            ("id", "when", "theme", "stage", "from"),
            [(d["id"], "; ".join(d["when"]), d["theme"], d["stage"], d["source"]) for d in data],
        ),
    )


@spend_group.group("deflators")
def deflators_group() -> None:
    """The GDP deflator series that puts several years of spending in one year's prices."""


@deflators_group.command("import")
@click.argument("file", type=_FILE)
@with_place
def deflators_import(place: Place, out: Output, file: Path) -> None:
    """Import HM Treasury's "GDP deflators at market prices, and money GDP" release as published."""
    deflators, base = read_hmt_deflators(file)
    path = save_deflators(place.dir, deflators)
    out.emit(
        {"saved": str(path.relative_to(place.dir)), "base": base, **deflators.to_dict()},
        lambda: console.print(
            f"kept {len(deflators.index)} years ({deflators.vintage}) in {path.relative_to(place.dir)}"
        ),
    )


@spend_group.command("real-terms")
@click.option(
    "--base", default=None, help="The year whose prices to use (default: the latest with spending)."
)
@click.option("--level", default="lsoa", show_default=True)
@with_place
def spend_real_terms(place: Place, out: Output, base: str | None, level: str) -> None:
    """Each theme's spending year by year in one year's prices, by the GDP deflator."""
    with out.progress("building the spending map"), place.analytics() as engine:
        spend = build_spend_map(engine, load_rules(place.dir), year=None, area_level=level)
    labels = {r["theme"]: r.get("label") for r in spend.by_theme}
    found = real_terms(
        [{**r, "label": labels.get(r["theme"])} for r in spend.by_year_theme], load_deflators(place.dir), base
    )
    if not found["available"]:
        raise click.ClickException(found["reason"])

    def render() -> None:
        table(
            f"Spending in {found['base']} prices (GDP deflator {found['vintage']})",
            ("theme", *spend.years),
            [
                (theme, *(_pounds(cells.get(y)) for y in spend.years))
                for theme, cells in found["rows"].items()
            ],
        )

    out.emit(found, render)
