"""Sending one file through one importer, as the CLI and the web app do, and what the store holds after."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from totalplace.datasets.assets import assets_to_csv
from totalplace.datasets.census import census_to_csv
from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.mapping import load_column_mapping
from totalplace.datasets.source import read_path
from totalplace.engines.cba.models import save_model
from totalplace.engines.cba.unit_costs import read_unit_cost_file, save_library
from totalplace.engines.outcomes.framework import save_framework
from totalplace.engines.pool.fund import create_fund
from totalplace.engines.pool.movement_file import read_movements
from totalplace.engines.pool.movements import post_movements
from totalplace.engines.segment.assign import read_centroids
from totalplace.engines.segment.census import table_spec
from totalplace.engines.segment.spec import load_spec
from totalplace.engines.spendmap.rules import load_rules
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.areas import list_areas
from totalplace.store.catalog import list_batches
from totalplace.store.schema import ledger_entries, ledger_txns, outcome_frameworks, pools

KNOWN_AREAS = {"E00000001", "E00000002"}
POOL_YAML = b"""name: fund
title: Fund
partners: [Council, NHS]
host: Council
fund_manager: Director
start_year: 2025-26
term_years: 1
schemes: [{name: care, owner: Council, budget: "600,000.00"}]
"""


def _import(kind: str, **extra: object) -> Callable[[Place, Path], object]:
    def run(place: Place, path: Path) -> object:
        options = {"level": "lsoa"} if kind == "geography" else {}
        partner = "Council" if kind in ("spend", "assets") else None
        request = ImportRequest(kind, partner, options=options, **extra)  # type: ignore[arg-type]
        return import_file(place, path, request, principal=OPERATOR)

    return run


def _census(place: Place, path: Path) -> object:
    limits = ImportLimits.from_settings()
    specs = table_spec(load_spec("oac2021"))
    body, _ = census_to_csv(
        read_path(path, limits),
        path.name,
        specs=specs,
        known_areas=KNOWN_AREAS,
        limits=limits,
        table="accommodation_type",
    )
    return import_file(
        place, body, ImportRequest("census", None), principal=OPERATOR, source_name=path.name, limits=limits
    )


def _assets(place: Place, path: Path) -> object:
    limits = ImportLimits.from_settings()
    body, _ = assets_to_csv(
        read_path(path, limits), path.name, limits=limits, areas=None, asset_type="library"
    )
    return import_file(
        place, body, ImportRequest("assets", "Council"), principal=OPERATOR, source_name=path.name
    )


def _movements(place: Place, path: Path) -> object:
    with place.read() as conn:
        exists = conn.execute(select(func.count()).select_from(pools)).scalar_one() > 0
    if not exists:
        create_fund(place, POOL_YAML, "fund.yaml", principal=OPERATOR)
    return post_movements(place, "fund", read_movements(path.read_bytes(), path.name), principal=OPERATOR)


def _rules(place: Place, path: Path) -> object:
    return load_rules(None, [path])


def _unit_costs(place: Place, path: Path) -> object:
    return save_library(place, read_unit_cost_file(path), path.name, OPERATOR)


def _framework(place: Place, path: Path) -> object:
    with place.begin() as conn:
        return save_framework(conn, path.read_bytes(), principal=OPERATOR)


RUNNERS: dict[str, Callable[[Place, Path], object]] = {
    "spend": _import("spend"),
    "spend-mapped": _import(
        "spend", format="mapped", mapping={"date": "Posted", "supplier": "Vendor", "amount": "Net"}
    ),
    "geography": _import("geography"),
    "observations": _import("observations"),
    "census": _census,
    "assets": _assets,
    "agreement": lambda place, path: create_fund(place, path.read_bytes(), path.name, principal=OPERATOR),
    "movements": _movements,
    "movements-yaml": _movements,
    "model": lambda place, path: save_model(place, path.read_bytes(), path.name, OPERATOR),
    "unit-costs": _unit_costs,
    "framework": _framework,
    "rules": _rules,
    "spec": lambda place, path: load_spec(path),
    "centroids": lambda place, path: read_centroids(path),
    "mapping": lambda place, path: load_column_mapping(path),
}


def snapshot(place: Place) -> tuple[object, ...]:
    """Everything an import could have stored: catalog, audit chain, areas, ledger, pools, frameworks, files."""
    with place.read() as conn:
        counts = tuple(
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (ledger_txns, ledger_entries, pools, outcome_frameworks)
        )
        return (
            [b.id for b in list_batches(conn)],
            audit.verify(conn).records,
            len(list_areas(conn)),
            counts,
            sorted(str(p.relative_to(place.dir)) for p in place.dir.rglob("*") if "store" not in p.name),
        )
