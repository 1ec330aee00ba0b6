"""Hostile files are refused within 5 seconds and 256 MB of memory above the process's baseline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.datasets.hostile import BUILDERS
from totalplace.place import Place

EXPECTED = {
    "zip_bomb": "TP518",
    "lying_zip_bomb": "TP518",
    "gzip_bomb": "TP518",
    "zip_slip": "TP518",
    "billion_laughs_xlsx": "TP539",
    "huge_file": "TP510",
    "million_columns": "TP516",  # its header is a 9 MB line, refused by the line limit first
    "wide_xlsx": "TP515",
    "deep_json": "TP555",
}


@pytest.mark.slow
@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_hostile_file_is_refused_fast_in_bounded_memory(
    sqlite_place: Place, tmp_path: Path, builder: str
) -> None:
    path = tmp_path / builder
    BUILDERS[builder](path)
    run = subprocess.run(
        [sys.executable, "-m", "tests.datasets.hostile", str(sqlite_place.dir), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert EXPECTED[builder] in report["codes"], report
    assert report["seconds"] <= 5, report
    assert report["peak_mb_above_baseline"] <= 256, report
