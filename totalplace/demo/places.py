"""The demo's census counts, its segmentation and its public estate, made to look like a real town.

Each output area is given one of five neighbourhood kinds by where it lies (a dense centre, older terraces,
estates, suburbs, an edge of town), and its census counts are drawn around that kind's profile for every table
of the 2021 OAC specification. Partners' sites are scattered over the town with a few sharing a building,
each partner's register in its own layout (one in British National Grid metres). Everything is imported
through the same census, estate and geography paths a real place uses.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from totalplace.datasets.assets import to_bng
from totalplace.demo.principal import DEMO
from totalplace.engines.estate.sites import import_sites
from totalplace.engines.segment.census import import_census
from totalplace.engines.segment.run import BuildRequest, build_segmentation
from totalplace.engines.segment.spec import SegmentSpec, load_spec
from totalplace.place import Place

KINDS = ("centre", "terraces", "estates", "suburbs", "edge")
# Categories each kind of neighbourhood has more of (x3) or fewer of (/3) than the town as a whole.
_TILTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "centre": (
        (
            "Private rented",
            "In a purpose-built",
            "Aged 20 to 24",
            "Aged 25 to 29",
            "L15 Full-time students",
            "No cars",
            "Professional",
            "Level 4",
            "One-person household",
            "Chinese",
            "Indian",
        ),
        ("Detached", "Aged 70", "Owned: Owns outright", "3 or more cars"),
    ),
    "terraces": (
        (
            "Terraced",
            "Pakistani",
            "Bangladeshi",
            "Muslim",
            "Cannot speak English",
            "Process, plant",
            "Elementary",
            "Occupancy rating of rooms: -",
        ),
        ("Detached", "Level 4", "Managers"),
    ),
    "estates": (
        (
            "Social rented",
            "Lone parent",
            "Unemployed",
            "No qualifications",
            "Level 1",
            "Elementary",
            "Long-term sick",
            "Provides 50 or more",
            "Semi-detached",
            "No cars",
        ),
        ("Owned: Owns with a mortgage", "Level 4", "Managers", "Detached", "3 or more cars"),
    ),
    "suburbs": (
        (
            "Owned: Owns with a mortgage",
            "Semi-detached",
            "Detached",
            "2 cars",
            "Dependent children",
            "Aged 5 to 9",
            "Aged 10 to 14",
            "Aged 40 to 44",
            "Managers",
            "Associate professional",
        ),
        ("Social rented", "In a purpose-built", "Unemployed"),
    ),
    "edge": (
        (
            "Detached",
            "Owned: Owns outright",
            "Aged 65 to 69",
            "Aged 70 to 74",
            "Aged 75 to 79",
            "Aged 80 to 84",
            "3 or more cars",
            "Retired",
            "Skilled trades",
            "Occupancy rating of rooms: +2",
            "Christian",
        ),
        ("Private rented", "In a purpose-built", "Aged 20 to 24", "L15 Full-time students"),
    ),
}
DEMO_SEGMENT_SEED = 2021


def neighbourhood(
    lon: float, lat: float, bounds: tuple[float, float, float, float], rng: random.Random
) -> str:
    """The kind of neighbourhood at a point: the centre in the middle, the edge at the rim, a mix between."""
    west, south, east, north = bounds
    dx = (lon - (west + east) / 2) / ((east - west) / 2)
    dy = (lat - (south + north) / 2) / ((north - south) / 2)
    ring = math.hypot(dx, dy)
    if ring < 0.25:
        return "centre"
    if ring > 1.05:
        return "edge"
    if ring < 0.55:
        return rng.choice(("terraces", "terraces", "estates", "centre"))
    return rng.choice(("suburbs", "suburbs", "estates", "terraces", "edge"))


def _weights(categories: list[str], kind: str, rng: random.Random) -> list[float]:
    more, fewer = _TILTS[kind]
    weights = []
    for category in categories:
        weight = rng.uniform(0.6, 1.4)
        if any(category.startswith(m) or m in category for m in more):
            weight *= 3
        if any(category.startswith(f) or f in category for f in fewer):
            weight /= 3
        weights.append(weight)
    return weights


def census_files(spec: SegmentSpec, areas: list[dict[str, Any]], rng: random.Random) -> dict[str, bytes]:
    """One long census file per complete table of the specification, in Trafford Data Lab's layout."""
    files: dict[str, bytes] = {}
    for name, table in spec.tables.items():
        if not table.complete:
            continue  # the demo, like Trafford, lacks the tables only the full national release has
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ("area_code", "area_name", "geography", "period", "indicator", name, "measure", "unit", "value")
        )
        for area in areas:
            people = area["population"] if table.unit == "persons" else area["population"] // 2
            if name == "population_density":
                counts = [round(area["population"] / area["km2"], 1)]
            else:
                weights = _weights(table.categories, area["kind"], rng)
                total = sum(weights)
                counts = [max(0, round(people * w / total + rng.gauss(0, 2))) for w in weights]
            for category, value in zip(table.categories, counts, strict=True):
                writer.writerow(
                    (
                        area["code"],
                        area["code"],
                        "Output Area",
                        "2021-03-21",
                        table.title,
                        category,
                        "Count",
                        table.unit.title(),
                        value,
                    )
                )
        files[f"northbridge_census2021_{name}.csv"] = out.getvalue().encode("utf-8")
    return files


def add_census_and_segments(
    place: Place, oas: list[dict[str, Any]], rng: random.Random, workdir: Path, say: Callable[[str], None]
) -> dict[str, int]:
    """Import the demo's census tables and build a 4/12 classification of its output areas."""
    spec = load_spec("oac2021")
    lons = [f["lon"] for f in oas]
    lats = [f["lat"] for f in oas]
    bounds = (min(lons), min(lats), max(lons), max(lats))
    areas = [{**f, "kind": neighbourhood(f["lon"], f["lat"], bounds, rng)} for f in oas]
    files = census_files(spec, areas, rng)
    for number, (name, body) in enumerate(sorted(files.items()), start=1):
        say(f"census: table {number} of {len(files)}")
        path = workdir / name
        path.write_bytes(body)
        import_census(place, path, spec, principal=DEMO)
        path.unlink()
    say("segments: clustering output areas")
    seg = build_segmentation(
        place,
        spec,
        # Like Trafford, the demo's tables give 50 of the 60 variables: a partial classification, asked for.
        BuildRequest(
            "northbridge",
            [4, 12],
            DEMO_SEGMENT_SEED,
            starts=50,
            title="Northbridge neighbourhoods",
            allow_partial=True,
        ),
        principal=DEMO,
    )
    return {"census_tables": len(files), "segments": len(seg.levels)}


_SITE_TYPES: tuple[tuple[str, str, int, tuple[int, int]], ...] = (
    # partner key, type, how many, floor area range (m²)
    ("council", "library", 12, (300, 1500)),
    ("council", "children's centre", 14, (200, 700)),
    ("council", "leisure centre", 6, (2000, 6000)),
    ("council", "office", 9, (800, 5000)),
    ("council", "depot", 4, (500, 3000)),
    ("council", "community hub", 25, (150, 600)),
    ("council", "land", 30, (0, 0)),
    ("nhs", "GP practice", 40, (250, 1200)),
    ("nhs", "pharmacy", 50, (80, 250)),
    ("nhs", "dental practice", 20, (100, 400)),
    ("nhs", "clinic", 10, (300, 1500)),
    ("nhs", "hospital", 2, (20000, 60000)),
    ("police", "police station", 6, (600, 3000)),
    ("fire", "fire station", 5, (800, 2000)),
    ("dwp", "jobcentre", 4, (500, 1500)),
    ("vcs", "community centre", 35, (100, 600)),
    ("vcs", "food bank", 20, (50, 300)),
)


# name, type, longitude, latitude, floor area, running cost
_SiteRow = tuple[str, str, float, float, int, int]


def site_files(
    partners: dict[str, str], bounds: tuple[float, float, float, float], rng: random.Random
) -> dict[str, tuple[str, str, bytes]]:
    """Each partner's register: {file name: (partner, layout, bytes)}; police publish grid references."""
    rows = _site_rows(partners, bounds, rng)
    files: dict[str, tuple[str, str, bytes]] = {}
    for key, partner in partners.items():
        if key == "police":
            files[f"northbridge_{key}_sites.csv"] = (partner, "bng", _grid_register(rows[key]))
        else:
            files[f"northbridge_{key}_sites.csv"] = (partner, "wgs84", _register(key, rows[key], rng))
    return files


def _site_rows(
    partners: dict[str, str], bounds: tuple[float, float, float, float], rng: random.Random
) -> dict[str, list[_SiteRow]]:
    """Each partner's sites, scattered over ``bounds``; a few share a building with another partner's."""
    west, south, east, north = bounds
    rows: dict[str, list[_SiteRow]] = {key: [] for key in partners}
    anchors: list[tuple[float, float]] = []
    for key, kind, count, (low, high) in _SITE_TYPES:
        for n in range(count):
            if anchors and rng.random() < 0.12:  # a few services share a building with another partner's
                lon, lat = rng.choice(anchors)
                lon, lat = lon + rng.uniform(-0.0004, 0.0004), lat + rng.uniform(-0.0003, 0.0003)
            else:
                lon, lat = rng.uniform(west, east), rng.uniform(south, north)
                anchors.append((lon, lat))
            floor = rng.randint(low, high)
            rows[key].append(
                (f"{kind[0].upper()}{kind[1:]} {n + 1}", kind, lon, lat, floor, floor * rng.randint(90, 160))
            )
    return rows


def _grid_register(rows: list[_SiteRow]) -> bytes:
    """A register in the police's layout: British National Grid references, costs in pounds with a sign."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("SITE_NAME", "CATEGORY", "EASTING", "NORTHING", "GIA_M2", "RUNNING_COST"))
    for name, kind, lon, lat, floor, cost in rows:
        east_m, north_m = to_bng().transform(lon, lat)
        writer.writerow((name, kind, f"{east_m:.0f}", f"{north_m:.0f}", floor, f"£{cost:,}"))
    return out.getvalue().encode()


def _register(key: str, rows: list[_SiteRow], rng: random.Random) -> bytes:
    """A register in the usual layout: longitude and latitude, tenure, asset codes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        (
            "Asset Code",
            "Property Name",
            "Asset Type",
            "Longitude",
            "Latitude",
            "Floor Area",
            "Tenure",
            "Annual Running Cost",
        )
    )
    for number, (name, kind, lon, lat, floor, cost) in enumerate(rows, start=1):
        tenure = rng.choice(("Freehold", "Freehold", "Leasehold"))
        code = f"{key.upper()}{number:04d}"
        writer.writerow((code, name, kind, f"{lon:.6f}", f"{lat:.6f}", floor, tenure, f"{cost}.00"))
    return out.getvalue().encode()


def add_estate(
    place: Place,
    partners: dict[str, str],
    bounds: tuple[float, float, float, float],
    rng: random.Random,
    workdir: Path,
    say: Callable[[str], None],
) -> int:
    """Import every partner's sites; returns how many."""
    total = 0
    for name, (partner, _layout, body) in sorted(site_files(partners, bounds, rng).items()):
        say(f"estate: {partner}")
        path = workdir / name
        path.write_bytes(body)
        result, _ = import_sites(place, path, partner=partner, principal=DEMO)
        path.unlink()
        total += result.batch.row_count
    return total


def lsoa_centres(oas: list[dict[str, Any]]) -> bytes:
    """Population-weighted centres of the LSOAs (British National Grid), from their output areas."""
    sums: dict[str, list[float]] = {}
    for oa in oas:
        east, north = to_bng().transform(oa["lon"], oa["lat"])
        acc = sums.setdefault(oa["parent"], [0.0, 0.0, 0.0])
        acc[0] += east * oa["population"]
        acc[1] += north * oa["population"]
        acc[2] += oa["population"]
    lines = ["code,x,y"] + [f"{code},{x / w:.1f},{y / w:.1f}" for code, (x, y, w) in sorted(sums.items())]
    return ("\n".join(lines) + "\n").encode()
