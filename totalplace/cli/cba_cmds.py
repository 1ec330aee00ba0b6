"""The cost-benefit commands: run, simulate, share, compare, and the unit-cost library."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import cast

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, table
from totalplace.errors import CbaError
from totalplace.place import Place

# The engines load on first use: they bring numpy, pydantic models and the parameter files, which every
# other command would otherwise pay for at start-up.

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


@click.group("cba")
def cba_group() -> None:
    """Cost-benefit analysis by agency (the HM Treasury-endorsed GMCA method), with uncertainty and the
    wrong-pocket settlement. MODEL is a YAML file or the name of a model kept in the place (`cba add`)."""


@cba_group.command("add")
@click.argument("file", type=_FILE)
@with_place
def cba_add(place: Place, out: Output, file: Path) -> None:
    """Check a model and keep it in the place (the web app shows the place's models)."""
    from totalplace.engines.cba.models import save_model

    model = save_model(place, file.read_bytes(), file.name)
    out.emit({"name": model.name, "title": model.title}, lambda: console.print(f"kept model {model.name}"))


@cba_group.command("list")
@with_place
def cba_list(place: Place, out: Output) -> None:
    """The models kept in the place."""
    from totalplace.engines.cba.models import model_names

    names = model_names(place)
    out.emit({"models": names}, lambda: console.print("\n".join(names) or "no models yet (cba add FILE)"))


@cba_group.command("run")
@click.argument("model")
@with_place
def cba_run(place: Place, out: Output, model: str) -> None:
    """Gross and net benefits, NPV, BCR, returns on investment and payback, by agency and by year."""
    from totalplace.engines.cba.appraise import pounds_text
    from totalplace.engines.cba.models import appraise_in_place, find_model

    found, file = find_model(place, model)
    result = appraise_in_place(place, found, file).to_dict()

    def render() -> None:
        t = result["totals"]
        console.print(
            f"[bold]{result['title']}[/bold] ({result['price_year']} prices): NPV {pounds_text(t['npv'])}, "
            f"BCR {t['bcr']}, financial ROI {t['financial_roi']}, "
            f"payback {t['payback_year'] or 'not reached'}"
        )
        table(
            "By agency (present values)",
            ("agency", "costs", "fiscal benefits", "cashable", "NPV", "payback"),
            [
                (
                    a["agency"],
                    *(pounds_text(a[k]) for k in ("costs", "fiscal_benefits", "cashable", "npv")),
                    a["payback_year"],
                )
                for a in result["by_agency"]
            ],
        )
        table(
            "From gross to net",
            ("stage", "£"),
            [(w["stage"], pounds_text(w["value"])) for w in result["waterfall"]],
        )
        for warning in result["warnings"]:
            console.print(f"[yellow]note:[/yellow] {warning}")

    out.emit(result, render)


@cba_group.command("simulate")
@click.argument("model")
@click.option("--draws", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True)
@click.option("--seed", type=int, default=None, help="Fix the draws, so the figures can be reproduced.")
@click.option(
    "--tornado",
    "tornado_svg",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the tornado chart (SVG).",
)
@with_place
def cba_simulate(
    place: Place, out: Output, model: str, draws: int, seed: int | None, tornado_svg: Path | None
) -> None:
    """Percentiles of NPV and BCR, P(BCR > 1) overall and for each agency, switching values, a tornado."""
    from totalplace.engines.cba.models import appraise_in_place, find_model
    from totalplace.engines.cba.simulate import simulate

    found, file = find_model(place, model)
    appraisal = appraise_in_place(place, found, file)
    result = simulate(found, appraisal.prepared, draws, seed)
    if tornado_svg is not None:
        from totalplace.reports.charts import tornado_chart

        if not result["tornado"]:
            raise CbaError(
                "no input of this model has a range, so there is no tornado to draw",
                hint="give an input a low and a high, e.g. success: {value: 0.3, low: 0.2, high: 0.4}",
            )
        centre = float(appraisal.to_dict()["totals"]["npv"])
        tornado_svg.write_text(
            tornado_chart(result["tornado"], centre=centre, title=found.title).svg, "utf-8"
        )

    def render() -> None:
        npv = result["npv"]
        console.print(
            f"{draws:,} draws: NPV 5th-95th percentile £{npv['p5']:,.0f} to £{npv['p95']:,.0f} "
            f"(median £{npv['p50']:,.0f}); P(BCR > 1) = {result['p_bcr_above_one']:.1%}"
        )
        table(
            "By agency",
            ("agency", "median NPV", "P(NPV >= 0)", "P(BCR > 1)"),
            [
                (
                    a["agency"],
                    f"{a['npv']['p50']:,.0f}",
                    f"{a['p_npv_at_least_zero']:.1%}",
                    "" if a["p_bcr_above_one"] is None else f"{a['p_bcr_above_one']:.1%}",
                )
                for a in result["by_agency"]
            ],
        )
        table(
            "Switching values (NPV reaches nil)",
            ("input", "central", "switches at", "change"),
            [
                (s["input"], s["central"], s["switching_value"] or "never", s["change_percent"])
                for s in result["switching_values"]
            ],
        )

    out.emit(result, render)


@cba_group.command("share")
@click.argument("model")
@click.option(
    "--method", type=click.Choice(["proportional", "shapley"]), default="shapley", show_default=True
)
@click.option("--into", "pool", default=None, help="Write the proposal as a draft variation of this pool.")
@with_place
def cba_share(place: Place, out: Output, model: str, method: str, pool: str | None) -> None:
    """Propose each partner's contribution so that none loses (the wrong-pocket settlement)."""
    from totalplace.engines.cba.models import appraise_in_place, find_model
    from totalplace.engines.cba.share import Method, share

    found, file = find_model(place, model)
    appraisal = appraise_in_place(place, found, file)
    result = share(appraisal, cast(Method, method))
    if pool is not None:
        from totalplace.engines.cba.settlement import draft_variation

        result["draft_variation"] = str(draft_variation(place, pool, appraisal, result))

    def render() -> None:
        console.print(f"{method}: {result['note']}")
        for row in result["partners"]:
            console.print(f"- {row['explanation']}")
        if pool is not None:
            console.print(f"draft variation of {pool}: {result['draft_variation']}")

    out.emit(result, render)


@cba_group.command("compare")
@click.argument("models", nargs=-1, required=True)
@with_place
def cba_compare(place: Place, out: Output, models: tuple[str, ...]) -> None:
    """Several interventions on one framework, best NPV first."""
    from totalplace.engines.cba.models import appraise_in_place, find_model

    rows = []
    for name in models:
        found, file = find_model(place, name)
        result = appraise_in_place(place, found, file).to_dict()
        rows.append({"name": result["name"], "title": result["title"], **result["totals"]})
    rows.sort(key=lambda r: -Decimal(r["npv"]))
    out.emit(
        {"interventions": rows},
        lambda: table(
            "Interventions compared (present values)",
            ("model", "costs", "benefits", "NPV", "BCR", "financial ROI", "payback"),
            [
                (
                    r["name"],
                    r["costs"],
                    r["benefits"],
                    r["npv"],
                    r["bcr"],
                    r["financial_roi"],
                    r["payback_year"],
                )
                for r in rows
            ],
        ),
    )


@cba_group.group("unit-costs")
def unit_costs_group() -> None:
    """The unit-cost library (GMCA Unit Cost Database layout)."""


@unit_costs_group.command("import")
@click.argument("file", type=_FILE)
@with_place
def unit_costs_import(place: Place, out: Output, file: Path) -> None:
    """Add a CSV or XLSX of unit costs to the place's library (the same code replaces)."""
    from totalplace.engines.cba.unit_costs import read_unit_cost_file, save_library

    entries = read_unit_cost_file(file)
    path = save_library(place.dir, entries, file.name)
    out.emit(
        {"imported": len(entries), "library": str(path)},
        lambda: console.print(f"{len(entries)} unit costs added to {path}"),
    )


@unit_costs_group.command("list")
@click.option(
    "--price-year",
    metavar="YYYY-YY",
    help="Uprate every value to this financial year's prices by the place's GDP deflator.",
)
@with_place
def unit_costs_list(place: Place, out: Output, price_year: str | None) -> None:
    """Every unit cost the place's models can use, with its source and grade."""
    from totalplace.engines.cba.models import library_in_place

    entries = library_in_place(place, price_year)
    out.emit(
        {"price_year": price_year, "unit_costs": [e.to_dict() for e in entries]},
        lambda: table(
            "Unit costs" + (f" in {price_year} prices" if price_year else ""),
            ("code", "description", "fiscal", "economic", "social", "price year", "grade", "checked"),
            [
                (
                    e.code,
                    e.description,
                    e.fiscal_total,
                    e.economic,
                    e.social,
                    e.price_year + (f" (from {e.uprated_from})" if e.uprated_from else ""),
                    e.grade,
                    "illustrative" if e.illustrative else ("yes" if e.verified else "unverified"),
                )
                for e in entries
            ],
        ),
    )
