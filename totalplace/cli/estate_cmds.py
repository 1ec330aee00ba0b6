"""The estate commands: import partners' sites, measure access to a service, screen for shared buildings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, print_tables
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place
from totalplace.store.areas import AREA_LEVELS

if TYPE_CHECKING:
    from totalplace.datasets.assets import Crs
    from totalplace.reports.command import CommandView

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
_CITED = "default: the cited parameter, parameters/estate/distances.yaml"


def _print(out: Output, view: CommandView) -> None:
    """The view's ``--json`` document, or its headline and tables for a person."""
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@click.group("estate")
def estate_group() -> None:
    """The public estate: partners' buildings and service points, access to services, candidates to share."""


@estate_group.command("import")
@click.argument("file", type=_FILE)
@click.option("--partner", required=True, help="The partner that holds or runs these sites.")
@click.option(
    "--type", "asset_type", default=None, help="What the sites are, if the file has no type column."
)
@click.option(
    "--crs",
    type=click.Choice(["auto", "wgs84", "bng"]),
    default="auto",
    show_default=True,
    help="Coordinates: WGS84 longitude/latitude or British National Grid metres.",
)
@click.option("--postcodes", type=_FILE, default=None, help="Postcode centroids (pcd, oseast1m, osnrth1m).")
@click.option(
    "--skip-unlocated",
    is_flag=True,
    help="Set aside sites with no coordinates or known postcode, and list them.",
)
@with_place
def estate_import(
    place: Place,
    out: Output,
    file: Path,
    partner: str,
    asset_type: str | None,
    crs: str,
    postcodes: Path | None,
    skip_unlocated: bool,
) -> None:
    """Import an asset register or service points (CSV or GeoJSON), placed in the place's small areas."""
    from totalplace.engines.estate.sites import import_sites
    from totalplace.reports.estate import import_view

    with out.progress(f"importing {file.name}") as say:
        result, info = import_sites(
            place,
            file,
            partner=partner,
            crs=cast("Crs", crs),
            asset_type=asset_type,
            postcodes=postcodes,
            skip_unlocated=skip_unlocated,
            principal=OPERATOR,
            progress=say,
        )
    _print(out, import_view(partner, result, info))


@estate_group.command("list")
@click.option("--type", "asset_type", default=None, help="Only sites of this type or service.")
@with_place
def estate_list(place: Place, out: Output, asset_type: str | None) -> None:
    """The place's sites, by partner and type."""
    from totalplace.engines.estate.sites import load_sites
    from totalplace.reports.estate import sites_view

    with place.analytics() as engine:
        sites = [s for s in load_sites(engine) if asset_type is None or s.offers(asset_type)]
    _print(out, sites_view(sites))


def _bands(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} should be metres like 800,1600", param_hint="--bands") from None


@estate_group.command("access")
@click.option("--service", required=True, help="A site type or service, e.g. 'GP practice' or library.")
@click.option("--level", type=click.Choice(AREA_LEVELS), default="lsoa", show_default=True)
@click.option("--bands", default=None, help=f"Distances (metres), e.g. 800,1600 ({_CITED}).")
@with_place
def estate_access(place: Place, out: Output, service: str, level: str, bands: str | None) -> None:
    """Distance from each small area's population centre to its nearest site of a service."""
    from totalplace.engines.estate.access import service_access
    from totalplace.reports.estate import access_view

    chosen = None if bands is None else _bands(bands)
    _print(out, access_view(service_access(place, service, level=level, bands=chosen)))


@estate_group.command("candidates")
@click.option("--within", type=float, default=None, help=f"Co-location: sites this close (m; {_CITED}).")
@click.option("--catchment", type=float, default=None, help=f"Catchment radius (m; {_CITED}).")
@click.option(
    "--overlap", type=click.FloatRange(0, 1), default=None, help=f"Shared catchment (0-1; {_CITED})."
)
@click.option("--standard", type=float, default=None, help=f"Access standard (m; {_CITED}).")
@click.option("--level", type=click.Choice(AREA_LEVELS), default="lsoa", show_default=True)
@with_place
def estate_candidates(
    place: Place,
    out: Output,
    within: float | None,
    catchment: float | None,
    overlap: float | None,
    standard: float | None,
    level: str,
) -> None:
    """Co-location and rationalisation candidates, each with its evidence."""
    from totalplace.engines.estate.candidates import CandidateRules, candidates
    from totalplace.reports.estate import candidates_view

    given = {"colocate_within_m": within, "catchment_m": catchment, "min_overlap": overlap}
    given["access_standard_m"] = standard
    rules = CandidateRules(**{k: v for k, v in given.items() if v is not None})
    _print(out, candidates_view(candidates(place, level=level, rules=rules)))
