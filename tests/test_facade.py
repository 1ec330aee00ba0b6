"""The public facade: ``totalplace`` names its public surface, loads it lazily, and is marked typed."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import totalplace

ROOT = Path(__file__).parents[1]


def test_every_public_name_resolves_to_its_home() -> None:
    assert totalplace.__all__ == sorted(totalplace.__all__)
    for name in totalplace.__all__:
        value = getattr(totalplace, name)
        assert value.__module__.startswith("totalplace."), name
        assert name in dir(totalplace)
    assert totalplace.Money.parse("£1,234.50").pence == 123450


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        getattr(totalplace, "no_such_thing")  # noqa: B009


def test_importing_the_package_loads_no_heavy_library() -> None:
    heavy = ("pyarrow", "duckdb", "sqlalchemy", "pandas", "numpy", "fastapi", "totalplace.engines")
    probe = f"import sys, totalplace; print([m for m in {heavy!r} if m in sys.modules])"
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert shown.stdout.strip() == "[]"


def test_the_package_is_marked_typed_and_the_wheel_ships_it() -> None:
    assert (Path(totalplace.__file__).parent / "py.typed").is_file()
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["hatch"]["build"]["targets"]
    assert wheel["wheel"]["packages"] == ["totalplace"]  # the whole package folder, py.typed included
