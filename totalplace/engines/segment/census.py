"""Importing census topic tables for a specification: recognise each file's table, check it, keep it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from totalplace.datasets.census import CensusFile, CensusTableSpec, Layout, census_to_csv
from totalplace.datasets.importer import ImportRequest, ImportResult, Progress, import_file
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import read_path
from totalplace.engines.segment.spec import SegmentSpec
from totalplace.errors import SegmentationError
from totalplace.store.areas import list_areas

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place


def table_spec(spec: SegmentSpec) -> CensusTableSpec:
    """The tables a specification reads, as the census reader needs them."""
    return CensusTableSpec(spec.categories, {name: frozenset(spec.required(name)) for name in spec.tables})


def import_census(
    place: Place,
    path: Path,
    spec: SegmentSpec,
    *,
    table: str | None = None,
    layout: Layout = "auto",
    principal: Principal,
    progress: Progress | None = None,
) -> tuple[ImportResult, CensusFile]:
    """Import one census file (long or wide) as a ``census`` batch; refused whole if any row is bad.

    Census tables are the whole place's data: ``principal`` needs geography.change, asked before the file
    is read. Returns the import's result and what was read (the table, its layout, areas and counts).
    """
    principal.require("geography.change")
    with place.read() as conn:
        known = {a.code for a in list_areas(conn, spec.level)}
    if not known:
        raise SegmentationError(
            f"the place has no areas of level {spec.level!r} to hold census counts",
            hint=f"import them first: totalplace geography import FILE --level {spec.level}",
        )
    limits = ImportLimits.from_settings()
    body, info = census_to_csv(
        read_path(path, limits),
        path.name,
        specs=table_spec(spec),
        known_areas=known,
        limits=limits,
        table=table,
        layout=layout,
    )
    result = import_file(
        place,
        body,
        ImportRequest("census"),
        principal=principal,
        source_name=f"{path.name} [{info.table}]",
        limits=limits,
        progress=progress,
    )
    return result, info
