"""The demo's shared outcomes: a Lowestoft-style framework of 26 indicators over eight years.

Observations are written in the Fingertips download layout for Northbridge, England and the 20 wards, and go
through the same import as a real file. Most indicators drift gently; child obesity at reception rises out of
its tolerance band in the latest year, so the demo has an exception letter drafted.
"""

from __future__ import annotations

import csv
import io
import math
import random
from importlib import resources
from typing import Any

import numpy as np

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.datasets.observations import FINGERTIPS_HEADER
from totalplace.demo.principal import DEMO
from totalplace.engines.outcomes.comparators import DOMAINS, Neighbour, Profiles, nearest, save_set
from totalplace.engines.outcomes.framework import parse_framework, save_framework
from totalplace.engines.outcomes.letters import draft_letters
from totalplace.place import Place

YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(2016, 2024)]
OUT_OF_BAND = "D07"  # rises above its band in the latest year

# Each indicator's level as a share of its denominator: illustrative, chosen only to be of the order a
# scrutiny member would expect of such an indicator in England (a suicide rate near 10 per 100,000, a good
# level of development near two in three), so that the demo reads as a real place. Not data.
LEVELS = {
    "W01": 0.05,
    "W02": 0.0016,
    "W03": 0.05,
    "W04": 0.07,
    "W05": 0.0001,
    "Y01": 0.67,
    "Y02": 0.055,
    "Y03": 0.21,
    "Y04": 0.0015,
    "Y05": 0.006,
    "S01": 0.018,
    "S02": 0.034,
    "S03": 0.0015,
    "S04": 0.31,
    "S05": 0.72,
    "S06": 0.25,
    "D01": 0.034,
    "D02": 0.007,
    "D03": 0.0045,
    "D04": 0.10,
    "D05": 0.49,
    "D06": 0.0076,
    "D07": 0.095,
    "E01": 0.08,
    "E02": 0.026,
    "E03": 0.03,
}


def framework_text() -> str:
    """The demo framework's YAML (packaged with the demo)."""
    return (
        resources.files("totalplace.demo").joinpath("frameworks/northbridge.yaml").read_text(encoding="utf-8")
    )


# Thirty made-up metropolitan districts (codes in an unused range), from which the twelve most like
# Northbridge are picked as its comparators by the same nearest-neighbour method a real place uses.
AUTHORITIES = (
    "Ashcombe",
    "Eastwick",
    "Fellgate",
    "Greystone",
    "Harbourside",
    "Ironbridge",
    "Kettleby",
    "Lowmoor",
    "Marlvale",
    "Netherfield",
    "Oakhampton",
    "Pennington",
    "Queensbury",
    "Redcliffe",
    "Saltmarsh",
    "Thornbury",
    "Underwood",
    "Valleyfield",
    "Westmere",
    "Yarrowby",
    "Allerton",
    "Brackenridge",
    "Coldharbour",
    "Dunmere",
    "Elmswell",
    "Farrowdale",
    "Gildersome",
    "Hollinwood",
    "Kirkstall",
    "Linthorpe",
)
NEIGHBOURS = 12


def _profiles(place_code: str, rng: random.Random) -> Profiles:
    """Northbridge and the made-up districts described as a real place's comparators are (mean ranks of the
    seven deprivation domains, log population and density, rural share)."""
    codes, names, values = [place_code], ["Northbridge"], [[12_000.0] * len(DOMAINS) + [12.4, 7.6, 0.04]]
    for n, name in enumerate(AUTHORITIES):
        codes.append(f"E08999{n + 900:03d}")
        names.append(name)
        deprivation = rng.uniform(6_000, 24_000)
        domains = [deprivation * rng.uniform(0.8, 1.2) for _ in DOMAINS]
        population = rng.uniform(150_000, 600_000)
        values.append([*domains, math.log(population), rng.uniform(6.0, 8.5), rng.uniform(0.0, 0.3)])
    variables = [*(f"{d}_mean_rank" for d, _ in DOMAINS), "log_population", "log_density", "rural_share"]
    return Profiles(codes, names, variables, np.array(values))


def _row(
    indicator: Any, parent: str, area: tuple[str, str, str], year: str, count: int, denominator: int
) -> tuple[Any, ...]:
    """One line of the Fingertips download; wards leave the value for the import to calculate."""
    code, name, area_type = area
    value = "" if area_type == "Ward" else round(count / denominator * indicator.multiplier, 6)
    return (
        indicator.id,
        indicator.title,
        parent,
        code,
        name,
        area_type,
        "Persons",
        "All ages",
        year,
        count,
        denominator,
        value,
    )


def _rows(
    indicator: Any,
    place_code: str,
    wards: list[tuple[str, str, int]],
    neighbours: list[Neighbour],
    rng: random.Random,
) -> list[tuple[Any, ...]]:
    proportion = indicator.value_type == "proportion"
    base = LEVELS[indicator.id] * rng.uniform(0.9, 1.1)
    drift = rng.uniform(-0.03, 0.03)
    if indicator.id == OUT_OF_BAND:  # steady at 9.5%, inside its band up to 11%, until the latest year
        base, drift = LEVELS[indicator.id], 0.0
    spreads = [rng.uniform(0.85, 1.25) for _ in neighbours]

    def drawn(rate: float, denominator: int) -> int:
        expected = min(rate, 0.95 if proportion else rate) * denominator  # no share above 95%
        return min(denominator, max(0, int(rng.gauss(expected, expected**0.5 + 1))))

    rows: list[tuple[Any, ...]] = []
    for k, year in enumerate(YEARS):
        level = base * (1 + drift * k)
        if indicator.id == OUT_OF_BAND and k == len(YEARS) - 1:
            level = base * 1.35
        ward_counts = []
        for code, name, population in wards:
            denominator = population // (12 if proportion else 1)
            count = drawn(level, denominator)
            ward_counts.append((count, denominator))
            rows.append(_row(indicator, place_code, (code, name, "Ward"), year, count, denominator))
        count, denominator = (sum(c for c, _ in ward_counts), sum(d for _, d in ward_counts))
        place = (place_code, "Northbridge", "District & UA")
        rows.append(_row(indicator, "E12000002", place, year, count, denominator))
        for neighbour, spread in zip(neighbours, spreads, strict=True):
            denominator = 280_000 // (12 if proportion else 1)
            count = drawn(base * (1 + drift * k * 0.5) * spread, denominator)
            area = (neighbour.code, neighbour.name, "District & UA")
            rows.append(_row(indicator, "E12000002", area, year, count, denominator))
        england_denominator = 56_000_000 // (12 if proportion else 1)
        england_count = int(base * (1 + drift * k * 0.5) * 1.05 * england_denominator)
        england = ("E92000001", "England", "Country")
        rows.append(_row(indicator, "", england, year, england_count, england_denominator))
    return rows


def add_outcomes(
    place: Place, place_code: str, wards: list[tuple[str, str, int]], rng: random.Random
) -> dict[str, int]:
    """Put the framework in force, import eight years of observations (the wards, the place, its comparators
    and England), keep the comparator set, and draft the exception letters."""
    text = framework_text()
    neighbours = nearest(_profiles(place_code, rng), place_code, k=NEIGHBOURS)
    framework = parse_framework(text, "northbridge.yaml")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FINGERTIPS_HEADER)
    count = 0
    for _outcome, indicator in framework.indicators().values():
        for row in _rows(indicator, place_code, wards, neighbours, rng):
            writer.writerow(row)
            count += 1
    import_file(
        place,
        out.getvalue().encode(),
        ImportRequest("observations"),
        principal=DEMO,
        source_name="northbridge_outcomes.csv",
    )
    with place.begin() as conn:
        save_framework(conn, text, principal=DEMO)
        save_set(conn, name="northbridge-neighbours", area=place_code, members=neighbours, actor="demo")
    letters = draft_letters(place, principal=DEMO)
    return {
        "indicators": len(framework.indicators()),
        "observations": count,
        "comparators": len(neighbours),
        "letters": len(letters),
    }


def write_cohort(place: Place, rng: random.Random) -> str:
    """A family-support cohort file (pseudonymised people, police occurrences and arrests a year before and
    after referral, and others to match against), written to the place's ``cohorts/`` folder."""
    folder = place.dir / "cohorts"
    folder.mkdir(exist_ok=True)
    path = folder / "family-support.csv"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        (
            "person",
            "group",
            "age",
            "prior_occurrences",
            "imd_decile",
            "occurrences_before",
            "occurrences_after",
            "arrests_before",
            "arrests_after",
        )
    )
    for n in range(1800):
        referred = n < 180
        age = rng.gauss(34 if referred else 31, 7)
        prior = max(0, round(rng.gauss(5 if referred else 2.5, 2)))
        decile = min(10, max(1, round(rng.gauss(3 if referred else 5, 2))))
        occurrences = max(0, round(prior + rng.gauss(1, 1)))
        arrests = max(0, round(occurrences * 0.4 + rng.gauss(0, 0.5)))
        # Everyone drifts down a little (regression to the mean); the programme takes about a tenth more off.
        after_occ = max(0, round(occurrences * (0.85 if referred else 0.95) + rng.gauss(0, 0.6)))
        after_arr = max(0, round(arrests * (0.88 if referred else 0.96) + rng.gauss(0, 0.4)))
        writer.writerow(
            (
                f"P{n:05d}",
                "referred" if referred else "not referred",
                round(age),
                prior,
                decile,
                occurrences,
                after_occ,
                arrests,
                after_arr,
            )
        )
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path.relative_to(place.dir))
