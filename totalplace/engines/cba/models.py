"""Intervention models kept in the place's store as versioned objects (kind ``model``: every change a
version with who, when and why, audited), and appraising them against the place's unit-cost library and GDP
deflators: one model, every kept model, or one model's whole case (appraisal, simulation and settlement) as
its page and report show it.

A model belongs to the partner whose officer first kept it, or to the partnership (owner None) when a
place-wide role kept it; only a role that reaches its owner may change or restore it (``model.change``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from totalplace.datasets.safe_yaml import decode
from totalplace.engines.cba.unit_costs import UnitCost, load_library
from totalplace.engines.spendmap.deflators import load_deflators
from totalplace.errors import CbaError, NotFoundError, OwnerUnclearError
from totalplace.governance.policy import BY_ACTION, Resource
from totalplace.store import versions

if TYPE_CHECKING:  # the engines load NumPy and pydantic: only when a model is read or appraised
    from totalplace.engines.cba.appraise import Appraisal
    from totalplace.engines.cba.model import Intervention
    from totalplace.engines.cba.share import Method, Proposal
    from totalplace.engines.cba.simulate import Simulation
    from totalplace.governance.roles import Principal
    from totalplace.place import Place
    from totalplace.store.versions import Version

KIND: Final = "model"
MODELS: Final = Path("cba")  # where a place made before versioning kept its models (imported when opened)
_MODEL_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")  # as Intervention.name requires
_PARTNERSHIP: Final = object()  # "no owner given": the owner is worked out from who keeps the model


def model_names(place: Place) -> list[str]:
    """The names of the models kept in the place."""
    with place.read() as conn:
        return [v.name for v in versions.currents(conn, KIND)]


def model_resource(name: str, owner: int | None) -> Resource:
    """The model as the access policy sees it."""
    return Resource(KIND, name, owner=owner)


def new_owner(principal: Principal, owner: int | object | None = _PARTNERSHIP) -> int | None:
    """Who owns a new model: the owner given, else the partnership for a place-wide role (or the operator),
    else the one partner the principal changes models for (OwnerUnclearError when it acts for several)."""
    if owner is not _PARTNERSHIP:
        return owner if isinstance(owner, int) else None
    rule = BY_ACTION["model.change"]
    scoped = [g for g in principal.grants if rule.scope_for(g.role) is not None]
    if principal.is_admin or any(g.partner_id is None for g in scoped):
        return None
    partners = sorted({g.partner_id for g in scoped if g.partner_id is not None})
    if len(partners) > 1:
        raise OwnerUnclearError(
            f"{principal.username} may keep models for several partners", hint="choose the owning partner"
        )
    return partners[0] if partners else None


def save_model(
    place: Place,
    source: str | bytes,
    file: str,
    principal: Principal,
    *,
    reason: str = "",
    owner: int | object | None = _PARTNERSHIP,
    restored_from: int | None = None,
) -> Intervention:
    """Validate a model, check that ``principal`` may change it (a model of the same name keeps its owner),
    appraise it (so a missing unit cost or deflator is refused now, not later), and keep it as the model's
    next version."""
    from totalplace.engines.cba.model import load_model

    text = decode(source, file)
    model = load_model(text, file)
    with place.read() as conn:
        existing = versions.current(conn, KIND, model.name)
    owner_id = existing.owner_id if existing is not None else new_owner(principal, owner)
    principal.require("model.change", model_resource(model.name, owner_id))
    appraise_in_place(place, model, file)
    with place.begin() as conn:
        existing = versions.current(conn, KIND, model.name)  # again, in the writing transaction
        owner_id = existing.owner_id if existing is not None else owner_id
        principal.require("model.change", model_resource(model.name, owner_id))
        verb = "replaced" if existing is not None else "added"
        versions.add(
            conn,
            kind=KIND,
            name=model.name,
            body=text,
            owner_id=owner_id,
            actor=principal.username,
            reason=reason.strip() or f"{verb} from {file}",
            restored_from=restored_from,
        )
    return model


def kept_version(place: Place, name: str) -> Version:
    """The version in force of the model ``name`` (never a path: what the web asks for); NotFoundError
    naming the place's models when there is none."""
    found = None
    if _MODEL_NAME.match(name) is not None:
        with place.read() as conn:
            found = versions.current(conn, KIND, name)
    if found is None:
        known = ", ".join(model_names(place)) or "none yet"
        raise NotFoundError(f"no model {name[:60]!r}", hint=f"the place's models: {known}")
    return found


def kept_model(place: Place, name: str) -> tuple[Intervention, str]:
    """A model kept in the place, by its name, and the file name errors are located in."""
    from totalplace.engines.cba.model import load_model

    kept = kept_version(place, name)
    return load_model(kept.body, f"{name}.yaml"), f"{name}.yaml"


def find_model(place: Place, name_or_path: str) -> tuple[Intervention, str]:
    """A model by its name in the place, or from a file (the CLI's operator may name any file); and the file
    name errors are located in. The web uses :func:`kept_model`."""
    from totalplace.engines.cba.model import load_model

    if _MODEL_NAME.match(name_or_path) is not None and name_or_path in model_names(place):
        return kept_model(place, name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(model_names(place)) or "none yet"
        raise NotFoundError(
            f"no model {name_or_path!r}", hint=f"give a YAML file, or one of the place's models: {known}"
        )
    return load_model(path.read_bytes(), path.name), path.name


def appraise_in_place(place: Place, model: Intervention, file: str) -> Appraisal:
    """Appraise against the place's library (packaged starter set plus its imports) and deflators."""
    from totalplace.engines.cba.appraise import appraise

    deflators = load_deflators(place)
    return appraise(model, load_library(place), {} if deflators is None else deflators.index, file)


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
    from totalplace.engines.cba.share import share
    from totalplace.engines.cba.simulate import simulate

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
    entries = sorted(load_library(place).entries.values(), key=lambda e: e.code)
    if price_year is None:
        return entries
    deflators = load_deflators(place)
    index = {} if deflators is None else deflators.index
    return [e.uprated(price_year, index) for e in entries]
