"""Importing census topic tables for a specification: recognise each file's table, check it, keep it.

Many files at once (``census import DIR/*.csv.gz``): every file is read and checked before any is kept, so a
bad row in any table the specification reads refuses the whole run and nothing is stored; a file holding a
table the specification does not read is skipped and listed, not refused. Then each checked table is imported
as its own ``census`` batch (a table imported again replaces its earlier import, so running it again is safe).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from totalplace.datasets.census import CensusFile, CensusTableSpec, Layout, census_to_csv
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.request import ImportRequest, ImportResult, Progress
from totalplace.datasets.source import read_path
from totalplace.engines.segment.spec import SegmentSpec
from totalplace.errors import (
    CensusTableNotInSpecError,
    ImportRejectedError,
    InvalidInputError,
    SegmentationError,
)
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
    from totalplace.datasets.importer import import_file  # PyArrow: only when importing

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


# _known_areas and _convert repeat the first half of import_census (kept as it is, for the merge with the
# change that makes it take the acting principal); import_census can be written over them afterwards.
def _known_areas(place: Place, spec: SegmentSpec) -> set[str]:
    """The codes of the place's areas at the specification's level (refused when it has none)."""
    with place.read() as conn:
        known = {a.code for a in list_areas(conn, spec.level)}
    if not known:
        raise SegmentationError(
            f"the place has no areas of level {spec.level!r} to hold census counts",
            hint=f"import them first: totalplace geography import FILE --level {spec.level}",
        )
    return known


def _convert(
    path: Path, spec: SegmentSpec, known: set[str], limits: ImportLimits, table: str | None, layout: Layout
) -> tuple[bytes, CensusFile]:
    """The file read and checked as one of the specification's tables (nothing stored)."""
    return census_to_csv(
        read_path(path, limits),
        path.name,
        specs=table_spec(spec),
        known_areas=known,
        limits=limits,
        table=table,
        layout=layout,
    )


# A file holding at least this share of the closest table's needed categories is taken for that table cut
# short (refused, every missing category listed), not for another table (skipped).
CUT_SHORT_OVERLAP = 0.5


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file not imported because it holds no table the specification reads."""

    file: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"file": self.file, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ImportedTable:
    """One file imported as one of the specification's tables."""

    file: str
    result: ImportResult
    info: CensusFile

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the file, the import's status and batch, and what was read."""
        return {
            "file": self.file,
            "status": self.result.status,
            "batch": self.result.batch.id,
            **self.info.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class CensusImport:
    """A run of ``census import`` over many files: the tables imported, the files skipped, and the
    specification's tables none of the files held (with the variables that need them)."""

    spec: str
    imported: tuple[ImportedTable, ...]
    skipped: tuple[SkippedFile, ...]
    tables_not_given: tuple[str, ...]
    variables_needing_them: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "spec": self.spec,
            "imported": [t.to_dict() for t in self.imported],
            "skipped": [s.to_dict() for s in self.skipped],
            "tables_not_given": list(self.tables_not_given),
            "variables_needing_them": list(self.variables_needing_them),
        }


def _check_file(
    path: Path, spec: SegmentSpec, known: set[str], limits: ImportLimits, table: str | None, layout: Layout
) -> CensusFile | SkippedFile:
    """What the file holds, or why it is skipped; a needed table with bad rows raises ImportRejectedError."""
    try:
        return _convert(path, spec, known, limits, table, layout)[1]
    except CensusTableNotInSpecError as exc:
        if table is not None or exc.overlap >= CUT_SHORT_OVERLAP:
            raise
        return SkippedFile(path.name, f"holds no table {spec.name} reads")


def check_census_files(
    place: Place,
    paths: list[Path],
    spec: SegmentSpec,
    *,
    table: str | None = None,
    layout: Layout = "auto",
    progress: Progress | None = None,
) -> tuple[list[tuple[Path, CensusFile]], list[SkippedFile]]:
    """Read and check every file before any is kept: the tables to import, and the files to skip.

    Every problem of every file the specification reads is gathered into one ImportRejectedError; two files
    holding the same table are refused (the second would silently replace the first).
    """
    known = _known_areas(place, spec)
    limits = ImportLimits.from_settings()
    wanted: list[tuple[Path, CensusFile]] = []
    skipped: list[SkippedFile] = []
    refused: list[ImportRejectedError] = []
    say = progress or (lambda _stage: None)
    for number, path in enumerate(paths, start=1):
        say(f"checking {path.name} ({number} of {len(paths)})")
        try:
            found = _check_file(path, spec, known, limits, table, layout)
        except ImportRejectedError as exc:
            refused.append(exc)
            continue
        if isinstance(found, SkippedFile):
            skipped.append(found)
        else:
            wanted.append((path, found))
    if refused:
        files = refused[0].file if len(refused) == 1 else f"{len(refused)} of the {len(paths)} files"
        raise ImportRejectedError(files, [p for exc in refused for p in exc.problems])
    _refuse_repeats(wanted)
    if not wanted:
        raise CensusTableNotInSpecError(
            f"none of the {len(paths)} file(s) holds a table {spec.name} reads",
            hint=f"tables it reads: {', '.join(sorted(spec.tables))}; name one with --table",
        )
    return wanted, skipped


def _refuse_repeats(wanted: list[tuple[Path, CensusFile]]) -> None:
    seen: dict[str, str] = {}
    for path, info in wanted:
        if info.table in seen:
            raise InvalidInputError(
                f"{seen[info.table]} and {path.name} both hold the {info.table} table; nothing was imported",
                hint="give one file per table",
            )
        seen[info.table] = path.name


def import_census_files(
    place: Place,
    paths: list[Path],
    spec: SegmentSpec,
    *,
    table: str | None = None,
    layout: Layout = "auto",
    principal: Principal,
    progress: Progress | None = None,
) -> CensusImport:
    """Import every file holding a table the specification reads; skip and list the others.

    All files are checked first (:func:`check_census_files`): a refused table stores nothing of any file.
    """
    wanted, skipped = check_census_files(place, paths, spec, table=table, layout=layout, progress=progress)
    imported = []
    for number, (path, checked) in enumerate(wanted, start=1):
        if progress is not None:
            progress(f"importing {path.name} ({number} of {len(wanted)})")
        result, info = import_census(
            place, path, spec, table=checked.table, layout=layout, principal=principal, progress=progress
        )
        imported.append(ImportedTable(path.name, result, info))
    given = {t.info.table for t in imported}
    absent = tuple(sorted(set(spec.tables) - given))
    needing = tuple(v.code for v in spec.variables if v.table in absent)
    return CensusImport(spec.name, tuple(imported), tuple(skipped), absent, needing)
