"""The cost-benefit commands: run, simulate, share, compare, and the unit-cost library."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, print_tables
from totalplace.place import Place

# The engines load on first use: they bring numpy, pydantic models and the parameter files, which every
# other command would otherwise pay for at start-up.

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
_REASON = click.option("--reason", default="", help="Why: kept with the new version in its history.")


@click.group("cba")
def cba_group() -> None:
    """Cost-benefit analysis by agency (the HM Treasury-endorsed GMCA method), with uncertainty and the
    wrong-pocket settlement. MODEL is a YAML file or the name of a model kept in the place (`cba add`)."""


@cba_group.command("add")
@click.argument("file", type=_FILE)
@_REASON
@with_place
def cba_add(place: Place, out: Output, file: Path, reason: str) -> None:
    """Check a model and keep it in the place as its next version (`versions show model:NAME` shows them)."""
    from totalplace.engines.cba.models import save_model
    from totalplace.governance.roles import OPERATOR

    model = save_model(place, file.read_bytes(), file.name, OPERATOR, reason=reason)
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
    from totalplace.engines.cba.models import appraise_in_place, find_model
    from totalplace.reports.cba import RunView

    view = RunView(appraise_in_place(place, *find_model(place, model)).result)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


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
    from totalplace.reports.cba import simulation_view

    found, file = find_model(place, model)
    appraisal = appraise_in_place(place, found, file)
    view = simulation_view(simulate(found, appraisal.prepared, draws, seed), appraisal)
    if tornado_svg is not None:
        tornado_svg.write_text(view.tornado_chart().svg, "utf-8")
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@cba_group.command("share")
@click.argument("model")
@click.option(
    "--method", type=click.Choice(["proportional", "shapley"]), default="shapley", show_default=True
)
@click.option("--into", "pool", default=None, help="Write the proposal as a draft variation of this pool.")
@_REASON
@with_place
def cba_share(place: Place, out: Output, model: str, method: str, pool: str | None, reason: str) -> None:
    """Propose each partner's contribution so that none loses (the wrong-pocket settlement); with --into,
    keep it as a draft variation (`versions show settlement_draft:POOL.MODEL.METHOD` prints it)."""
    from totalplace.engines.cba.models import appraise_in_place, find_model
    from totalplace.engines.cba.settlement import draft_variation
    from totalplace.engines.cba.share import Method, share
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.cba import ShareView

    appraisal = appraise_in_place(place, *find_model(place, model))
    proposal = share(appraisal, cast(Method, method))
    draft = None
    if pool is not None:
        draft = draft_variation(place, pool, appraisal, proposal, OPERATOR, reason=reason).ref
    view = ShareView(proposal, pool, draft)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@cba_group.command("compare")
@click.argument("models", nargs=-1, required=True)
@with_place
def cba_compare(place: Place, out: Output, models: tuple[str, ...]) -> None:
    """Several interventions on one framework, best NPV first."""
    from totalplace.engines.cba.models import appraise_in_place, find_model
    from totalplace.reports.cba import comparison_view

    view = comparison_view([appraise_in_place(place, *find_model(place, name)).result for name in models])
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@cba_group.group("unit-costs")
def unit_costs_group() -> None:
    """The unit-cost library (GMCA Unit Cost Database layout)."""


@unit_costs_group.command("import")
@click.argument("file", type=_FILE)
@_REASON
@with_place
def unit_costs_import(place: Place, out: Output, file: Path, reason: str) -> None:
    """Add a CSV or XLSX of unit costs to the place's library (the same code replaces) as its next version."""
    from totalplace.engines.cba.unit_costs import read_unit_cost_file, save_library
    from totalplace.governance.roles import OPERATOR

    entries = read_unit_cost_file(file)
    kept = save_library(place, entries, file.name, OPERATOR, reason=reason)
    out.emit(
        {"imported": len(entries), "library": kept.ref, "version": kept.version},
        lambda: console.print(f"{len(entries)} unit costs added: {kept.ref} version {kept.version}"),
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
    from totalplace.reports.cba import UnitCostsView

    view = UnitCostsView(tuple(library_in_place(place, price_year)), price_year)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))
