"""A small synthetic place for segmentation and estate tests: a grid of output areas in two LSOAs' worth."""

from __future__ import annotations

import json
from pathlib import Path

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.engines.segment.census import import_census
from totalplace.engines.segment.spec import SegmentSpec, load_spec
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

SPEC_YAML = """
name: tiny
title: A tiny specification
level: oa
tables:
  tenure:
    title: Tenure
    unit: households
    categories: [Owned, Social rented, Private rented]
  age:
    title: Age
    categories: [Young, Old]
  density:
    title: Density
    categories: [Persons per square kilometre]
variables:
  - {code: own, name: Owned, table: tenure, numerator: [Owned]}
  - {code: social, name: Social rented, table: tenure, numerator: [Social rented]}
  - {code: private, name: Private rented, table: tenure, numerator: [Private rented]}
  - {code: old, name: Old, table: age, numerator: [Old]}
  - {code: density, name: Density, table: density, numerator: [Persons per square kilometre], measure: value}
"""


def oa_code(i: int) -> str:
    """The i-th synthetic output area's code."""
    return f"E00{900000 + i:06d}"


def add_oas(place: Place, tmp: Path, count: int, *, west: float = -2.40, south: float = 53.40) -> list[str]:
    """``count`` square output areas (about 140 m across) in rows of 10, with populations, as GeoJSON."""
    features = []
    size = 0.002
    for i in range(count):
        x, y = west + (i % 10) * size, south + (i // 10) * size
        ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": oa_code(i), "name": f"OA {i}", "population": 300 + i},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    path = tmp / "oas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    import_file(place, path, ImportRequest("geography", None, options={"level": "oa"}), principal=OPERATOR)
    return [oa_code(i) for i in range(count)]


def tenure_long_csv(codes: list[str], *, skip: str | None = None) -> str:
    """A long census table: two kinds of neighbourhood, owner-occupied and social-rented."""
    lines = ["area_code,area_name,geography,period,indicator,household_tenure,measure,unit,value"]
    for i, code in enumerate(codes):
        owned, social, private = (80, 10, 10) if i % 2 == 0 else (15, 70, 15)
        for category, value in (("Owned", owned), ("Social rented", social), ("Private rented", private)):
            if category != skip:
                lines.append(
                    f"{code},{code},Output Area,2021-03-21,Tenure,{category},Count,Households,{value + i % 3}"
                )
    return "\n".join(lines) + "\n"


def age_wide_csv(codes: list[str]) -> str:
    """A wide table: one column per category."""
    lines = ["OA21CD,Young,Old"]
    for i, code in enumerate(codes):
        lines.append(f"{code},{200 - (i % 2) * 100},{50 + (i % 2) * 150}")
    return "\n".join(lines) + "\n"


def density_long_csv(codes: list[str]) -> str:
    """A one-category long table of values."""
    lines = ["area_code,indicator,value"]
    lines += [f"{code},Persons per square kilometre,{1000 + 500 * (i % 2)}" for i, code in enumerate(codes)]
    return "\n".join(lines) + "\n"


def tiny_spec(tmp: Path) -> SegmentSpec:
    """The tiny specification, loaded from a file as a user's would be."""
    path = tmp / "tiny.yaml"
    path.write_text(SPEC_YAML, encoding="utf-8")
    return load_spec(path)


def import_tiny_census(place: Place, tmp: Path, codes: list[str]) -> SegmentSpec:
    """The three tiny tables for ``codes`` (long, wide and a one-category table), imported; the spec returned."""
    spec = tiny_spec(tmp)
    for name, text in (
        ("tenure.csv", tenure_long_csv(codes)),
        ("age.csv", age_wide_csv(codes)),
        ("density.csv", density_long_csv(codes)),
    ):
        (tmp / name).write_text(text, encoding="utf-8")
        import_census(place, tmp / name, spec, principal=OPERATOR)
    return spec
