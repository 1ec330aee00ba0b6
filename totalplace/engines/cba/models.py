"""Intervention models kept in the place (``cba/NAME.yaml``, written atomically once valid), and appraising
them against the place's unit-cost library and GDP deflators: one model, every kept model, or one model's
whole case (appraisal, simulation and settlement) as its page and report show it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from totalplace.datasets.safe_yaml import decode
from totalplace.engines.cba.appraise import Appraisal, appraise
from totalplace.engines.cba.model import Intervention, load_model
from totalplace.engines.cba.share import Method, Proposal, share
from totalplace.engines.cba.simulate import Simulation, simulate
from totalplace.engines.cba.unit_costs import UnitCost, load_library
from totalplace.engines.spendmap.deflators import load_deflators
from totalplace.errors import CbaError, NotFoundError
from totalplace.place import write_atomically

if TYPE_CHECKING:
    from totalplace.place import Place

MODELS: Final = Path("cba")
_MODEL_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")  # as Intervention.name requires


def model_names(place: Place) -> list[str]:
    """The names of the models kept in the place."""
    folder = place.dir / MODELS
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def save_model(place: Place, source: str | bytes, file: str) -> Intervention:
    """Validate a model, appraise it (so a missing unit cost or deflator is refused now, not later), and keep
    it in the place under its name, replacing one of the same name."""
    text = decode(source, file)
    model = load_model(text, file)
    appraise_in_place(place, model, file)
    (place.dir / MODELS).mkdir(exist_ok=True)
    write_atomically(place.dir / MODELS / f"{model.name}.yaml", text.encode("utf-8"))
    return model


def kept_model(place: Place, name: str) -> tuple[Intervention, str]:
    """A model kept in the place, by its name only (never a path: what the web asks for), and its file name.

    A name that is not one of :func:`model_names` is NotFoundError, whatever files exist elsewhere."""
    if _MODEL_NAME.match(name) is None or name not in model_names(place):
        known = ", ".join(model_names(place)) or "none yet"
        raise NotFoundError(f"no model {name[:60]!r}", hint=f"the place's models: {known}")
    path = place.dir / MODELS / f"{name}.yaml"
    return load_model(path.read_text(encoding="utf-8"), path.name), path.name


def find_model(place: Place, name_or_path: str) -> tuple[Intervention, str]:
    """A model by its name in the place, or from a file (the CLI's operator may name any file); and the file
    name errors are located in. The web uses :func:`kept_model`."""
    kept = place.dir / MODELS / f"{name_or_path}.yaml"
    path = kept if kept.is_file() else Path(name_or_path)
    if not path.is_file():
        known = ", ".join(model_names(place)) or "none yet"
        raise NotFoundError(
            f"no model {name_or_path!r}", hint=f"give a YAML file, or one of the place's models: {known}"
        )
    return load_model(path.read_bytes(), path.name), path.name


def appraise_in_place(place: Place, model: Intervention, file: str) -> Appraisal:
    """Appraise against the place's library (packaged starter set plus its imports) and deflators."""
    deflators = load_deflators(place.dir)
    return appraise(model, load_library(place.dir), {} if deflators is None else deflators.index, file)


def kept_appraisals(place: Place) -> list[tuple[str, Appraisal]]:
    """Every model kept in the place, by name, appraised."""
    return [(name, appraise_in_place(place, *kept_model(place, name))) for name in model_names(place)]


@dataclass(frozen=True, slots=True)
class Assessment:
    """A kept model's whole case: its exact appraisal, a simulation, and the wrong-pocket settlement by
    ``method`` (or, when there can be none, why)."""

    model: Intervention
    appraisal: Appraisal
    simulation: Simulation
    proposal: Proposal | None
    proposal_refused: str | None
    method: Method


def assess(
    place: Place, name: str, *, draws: int = 2_000, seed: int = 1, method: Method = "shapley"
) -> Assessment:
    """Appraise, simulate (``draws`` draws from ``seed``) and settle the kept model ``name``."""
    model, file = kept_model(place, name)
    appraisal = appraise_in_place(place, model, file)
    proposal: Proposal | None = None
    refused: str | None = None
    try:
        proposal = share(appraisal, method)
    except CbaError as exc:
        refused = exc.message
    simulation = simulate(model, appraisal.prepared, draws, seed)
    return Assessment(model, appraisal, simulation, proposal, refused, method)


def library_in_place(place: Place, price_year: str | None = None) -> list[UnitCost]:
    """The place's unit-cost library by code, each in its published prices or, given ``price_year``, uprated
    to it by the place's GDP deflator (TP801 naming the missing year when the series lacks one)."""
    entries = sorted(load_library(place.dir).entries.values(), key=lambda e: e.code)
    if price_year is None:
        return entries
    deflators = load_deflators(place.dir)
    index = {} if deflators is None else deflators.index
    return [e.uprated(price_year, index) for e in entries]
