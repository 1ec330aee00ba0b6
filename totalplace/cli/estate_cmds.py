"""The estate commands: import partners' sites, measure access to a service, screen for shared buildings."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, table
from totalplace.datasets.assets import Crs
from totalplace.engines.estate.access import DEFAULT_BANDS, service_access
from totalplace.engines.estate.candidates import CandidateRules, candidates
from totalplace.engines.estate.sites import import_sites, load_sites
from totalplace.money import Money
from totalplace.place import Place
from totalplace.store.areas import AREA_LEVELS

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


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
    with out.progress(f"importing {file.name}") as say:
        result, info = import_sites(
            place,
            file,
            partner=partner,
            crs=cast(Crs, crs),
            asset_type=asset_type,
            postcodes=postcodes,
            skip_unlocated=skip_unlocated,
            actor="cli",
            progress=say,
        )

    def render() -> None:
        if result.status == "unchanged":
            console.print(
                f"[yellow]unchanged[/]: these bytes were imported before as batch {result.batch.id}"
            )
            return
        located = ", ".join(f"{n} by {how}" for how, n in info["located_by"].items())  # type: ignore[attr-defined]
        console.print(
            f"[green]imported[/] {info['rows']} sites of {partner} as batch {result.batch.id} ({located}); "
            f"{info['in_place']} inside the place's {info['area_level'] or 'areas'}"
        )
        if info["swapped_longitude_latitude_rows"]:
            console.print(
                f"  [yellow]put right[/] longitude and latitude written the wrong way round in rows "
                f"{info['swapped_longitude_latitude_rows']}"
            )
        aside = cast(list[dict[str, object]], info["set_aside_unlocated"])
        if aside:
            console.print(
                f"  [yellow]set aside {len(aside)} sites[/] with no coordinates or known postcode "
                f"(rows {', '.join(str(p['row']) for p in aside[:12])}{', …' if len(aside) > 12 else ''})"
            )

    out.emit({**result.to_dict(), "sites": info}, render)


@estate_group.command("list")
@click.option("--type", "asset_type", default=None, help="Only sites of this type or service.")
@with_place
def estate_list(place: Place, out: Output, asset_type: str | None) -> None:
    """The place's sites, by partner and type."""
    with place.analytics() as engine:
        sites = [s for s in load_sites(engine) if asset_type is None or s.offers(asset_type)]
    out.emit(
        {"sites": [s.to_dict() for s in sites]},
        lambda: table(
            f"{len(sites)} sites",
            ("partner", "type", "name", "area", "floor m²", "running cost"),
            [
                (
                    s.partner,
                    s.type,
                    s.name,
                    s.area_code or "(outside)",
                    "" if s.floor_area is None else f"{s.floor_area:,.0f}",
                    "" if s.running_cost_pence is None else str(Money(s.running_cost_pence)),
                )
                for s in sites[:500]
            ],
        ),
    )


def _bands(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} should be metres like 800,1600", param_hint="--bands") from None


@estate_group.command("access")
@click.option("--service", required=True, help="A site type or service, e.g. 'GP practice' or library.")
@click.option("--level", type=click.Choice(AREA_LEVELS), default="lsoa", show_default=True)
@click.option(
    "--bands", default=",".join(map(str, DEFAULT_BANDS)), show_default=True, help="Distances (metres)."
)
@with_place
def estate_access(place: Place, out: Output, service: str, level: str, bands: str) -> None:
    """Distance from each small area's population centre to its nearest site of a service."""
    result = service_access(place, service, level=level, bands=_bands(bands))

    def render() -> None:
        console.print(
            f"[bold]{service}[/]: {result.sites} sites; residents are on average "
            f"{result.mean_distance_m:,.0f} m from the nearest (median {result.median_distance_m:,.0f} m, "
            f"furthest area {result.max_distance_m:,.0f} m)"
        )
        table(
            "Residents within",
            ("distance", "residents", "share", "areas"),
            [
                (f"{b['metres']:,} m", f"{b['population']:,}", f"{100 * (b['share'] or 0):.1f}%", b["areas"])
                for b in result.bands
            ],
        )
        furthest = sorted(result.areas, key=lambda a: -a["distance_m"])[:10]
        table(
            "Furthest areas",
            ("area", "name", "residents", "distance", "nearest"),
            [
                (a["code"], a["name"], f"{a['population']:,}", f"{a['distance_m']:,.0f} m", a["nearest"])
                for a in furthest
            ],
        )

    out.emit(result.to_dict(), render)


@estate_group.command("candidates")
@click.option(
    "--within", type=float, default=250.0, show_default=True, help="Co-location: sites this close (m)."
)
@click.option("--catchment", type=float, default=1600.0, show_default=True, help="Catchment radius (m).")
@click.option(
    "--overlap", type=click.FloatRange(0, 1), default=0.5, show_default=True, help="Shared catchment."
)
@click.option("--standard", type=float, default=1600.0, show_default=True, help="Access standard (m).")
@click.option("--level", type=click.Choice(AREA_LEVELS), default="lsoa", show_default=True)
@with_place
def estate_candidates(
    place: Place, out: Output, within: float, catchment: float, overlap: float, standard: float, level: str
) -> None:
    """Co-location and rationalisation candidates, each with its evidence."""
    found = candidates(place, level=level, rules=CandidateRules(within, catchment, overlap, standard))

    def render() -> None:
        table(
            f"Co-location candidates ({len(found['colocation'])})",
            ("sites", "apart", "shared catchment", "evidence"),
            [
                (
                    " + ".join(s["name"] for s in c["sites"]),
                    f"{c['distance_m']:.0f} m",
                    f"{100 * c['catchment_overlap']:.0f}%",
                    c["evidence"],
                )
                for c in found["colocation"][:30]
            ],
        )
        table(
            f"Rationalisation candidates ({len(found['rationalisation'])})",
            ("site", "residents", "furthest after", "evidence"),
            [
                (
                    c["site"]["name"],
                    f"{c['population_served']:,}",
                    f"{c['max_distance_after_m']:.0f} m",
                    c["evidence"],
                )
                for c in found["rationalisation"][:30]
            ],
        )

    out.emit(found, render)
