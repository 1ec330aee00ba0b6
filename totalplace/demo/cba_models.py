"""The demo's cost-benefit models: three interventions modelled on the cases the sector knows (an integrated
early-support service for families, a falls and admissions-avoidance service, a domestic-abuse perpetrator
programme), their illustrative unit costs imported through the GMCA-layout reader, and the family service's
wrong-pocket settlement drafted as a variation of the family-support pool. Every one is a versioned object
kept by the same functions the web and the command line call (the models belong to the partnership)."""

from __future__ import annotations

from importlib import resources

from totalplace.demo.principal import DEMO
from totalplace.engines.cba.models import appraise_in_place, find_model, save_model
from totalplace.engines.cba.settlement import draft_variation
from totalplace.engines.cba.share import share
from totalplace.engines.cba.unit_costs import read_unit_cost_file, save_library
from totalplace.place import Place

MODELS = ("family-support", "falls-service", "domestic-abuse-perpetrators")


def add_cba(place: Place) -> dict[str, object]:
    """Import the demo unit costs, keep the three models, and draft the family service's settlement."""
    folder = resources.files("totalplace.demo").joinpath("cba")
    with resources.as_file(folder.joinpath("unit_costs.csv")) as path:
        entries = read_unit_cost_file(path)
    save_library(place, entries, "unit_costs.csv", DEMO, reason="the demo's illustrative unit costs")
    for name in MODELS:
        text = folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8")
        save_model(place, text, f"{name}.yaml", DEMO, reason="the demo's model", owner=None)
    model, file = find_model(place, "family-support")
    family = appraise_in_place(place, model, file)
    draft = draft_variation(place, "family-support", family, share(family, "shapley"), DEMO)
    return {"unit_costs": len(entries), "models": len(MODELS), "draft": draft.ref}
