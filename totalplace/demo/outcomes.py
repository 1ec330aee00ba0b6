"""The demo's shared outcomes: a Lowestoft-style framework of 26 indicators over eight years.

Observations are written in the Fingertips download layout for Northbridge, England and the 20 wards, and go
through the same import as a real file. Most indicators drift gently; child obesity at reception rises out of
its tolerance band in the latest year, so the demo has an exception letter drafted.
"""

from __future__ import annotations

import csv
import io
import random
from importlib import resources
from typing import Any

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.datasets.observations import FINGERTIPS_HEADER
from totalplace.engines.outcomes.framework import parse_framework, save_framework
from totalplace.engines.outcomes.letters import draft_letters
from totalplace.place import Place

YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(2016, 2024)]
OUT_OF_BAND = "D07"  # rises above its band in the latest year


def framework_text() -> str:
    """The demo framework's YAML (packaged with the demo)."""
    return (
        resources.files("totalplace.demo").joinpath("frameworks/northbridge.yaml").read_text(encoding="utf-8")
    )


def _rows(
    indicator: Any, place_code: str, wards: list[tuple[str, str, int]], rng: random.Random
) -> list[tuple[Any, ...]]:
    proportion = indicator.value_type == "proportion"
    base = rng.uniform(0.15, 0.7) if proportion else rng.uniform(0.0008, 0.01)
    drift = rng.uniform(-0.03, 0.03)
    if indicator.id == OUT_OF_BAND:
        base, drift = 0.22, 0.0  # steady at 22% within its band of 26%, until the latest year
    rows: list[tuple[Any, ...]] = []
    for k, year in enumerate(YEARS):
        level = base * (1 + drift * k)
        if indicator.id == OUT_OF_BAND and k == len(YEARS) - 1:
            level = base * 1.35
        ward_counts = []
        for code, name, population in wards:
            denominator = population // (12 if proportion else 1)
            count = max(0, int(rng.gauss(level * denominator, (level * denominator) ** 0.5 + 1)))
            ward_counts.append((count, denominator))
            rows.append(
                (
                    indicator.id,
                    indicator.title,
                    place_code,
                    code,
                    name,
                    "Ward",
                    "Persons",
                    "All ages",
                    year,
                    count,
                    denominator,
                    "",
                )
            )
        count, denominator = (sum(c for c, _ in ward_counts), sum(d for _, d in ward_counts))
        multiplier = indicator.multiplier
        rows.append(
            (
                indicator.id,
                indicator.title,
                "E12000002",
                place_code,
                "Northbridge",
                "District & UA",
                "Persons",
                "All ages",
                year,
                count,
                denominator,
                round(count / denominator * multiplier, 6),
            )
        )
        england_rate = base * (1 + drift * k * 0.5) * 1.05
        england_denominator = 56_000_000 // (12 if proportion else 1)
        england_count = int(england_rate * england_denominator)
        rows.append(
            (
                indicator.id,
                indicator.title,
                "",
                "E92000001",
                "England",
                "Country",
                "Persons",
                "All ages",
                year,
                england_count,
                england_denominator,
                round(england_count / england_denominator * multiplier, 6),
            )
        )
    return rows


def add_outcomes(
    place: Place, place_code: str, wards: list[tuple[str, str, int]], rng: random.Random
) -> dict[str, int]:
    """Put the framework in force, import eight years of observations and draft the exception letters."""
    text = framework_text()
    framework = parse_framework(text, "northbridge.yaml")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FINGERTIPS_HEADER)
    count = 0
    for _outcome, indicator in framework.indicators().values():
        for row in _rows(indicator, place_code, wards, rng):
            writer.writerow(row)
            count += 1
    import_file(
        place,
        out.getvalue().encode(),
        ImportRequest("observations", None, "demo"),
        source_name="northbridge_outcomes.csv",
    )
    with place.begin() as conn:
        save_framework(conn, text, actor="demo")
    letters = draft_letters(place, actor="demo")
    return {"indicators": len(framework.indicators()), "observations": count, "letters": len(letters)}


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
