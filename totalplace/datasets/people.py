"""The parquet files a linkage run leaves: its links and its people (the only writer of them).

They live in ``data/people/`` of the place, one pair per run, named by purpose and run number, written to a
temporary name, synced and renamed, so a reader sees a whole file or none. Rows hold pseudonyms, record ids,
person and household ids and match probabilities only: never an identifier.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyarrow as pa
import pyarrow.parquet as pq

from totalplace import durable
from totalplace.errors import NotFoundError

if TYPE_CHECKING:
    from totalplace.place import Place

LINKS_SCHEMA: Final = pa.schema(
    [("record_id_l", pa.string()), ("record_id_r", pa.string()), ("match_probability", pa.float64())]
)
PEOPLE_SCHEMA: Final = pa.schema(
    [
        ("record_id", pa.string()),
        ("person_id", pa.string()),
        ("household_id", pa.string()),
        ("match_probability", pa.float64()),
    ]
)
_NAME: Final = re.compile(r"^[a-z_]+-run\d{6}-(people|links)\.parquet$")


def people_dir(place: Place) -> Path:
    """Where linkage runs' files live."""
    return place.dir / "data" / "people"


def _write(place: Place, name: str, table: pa.Table) -> str:
    folder = people_dir(place)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{os.getpid()}-{os.urandom(8).hex()}.parquet"
    pq.write_table(table, tmp, compression="zstd")
    durable.fsync_path(tmp)
    durable.replace(tmp, folder / name)
    return name


def write_run(place: Place, purpose: str, run_id: int, links: pa.Table, people: pa.Table) -> tuple[str, str]:
    """Write a run's links and people (cast to their schemas); returns the two file names."""
    stem = f"{purpose}-run{run_id:06d}"
    links_name = _write(place, f"{stem}-links.parquet", links.select(LINKS_SCHEMA.names).cast(LINKS_SCHEMA))
    people_name = _write(
        place, f"{stem}-people.parquet", people.select(PEOPLE_SCHEMA.names).cast(PEOPLE_SCHEMA)
    )
    return people_name, links_name


def read_run_file(place: Place, name: str) -> pa.Table:
    """A run's people or links file, by the name its run row keeps."""
    path = people_dir(place) / name
    if not _NAME.match(name) or not path.is_file():
        raise NotFoundError(f"the linkage file {name} is missing", hint="run the linkage again")
    return pq.read_table(path)


def remove_run(place: Place, *names: str) -> None:
    """Take away a run's files whose row could not be written (nothing else names them)."""
    for name in names:
        if _NAME.match(name):
            (people_dir(place) / name).unlink(missing_ok=True)


def read_labels(path: Path, column: str) -> pa.Table:
    """``record_id`` and the true-id ``column`` from a labels file (CSV, or parquet by its suffix).

    Records are named by ``record_id``, or by ``file_sha12`` and ``line`` (the first 12 hex of the extract's
    SHA-256 and the record's line in it, as the demo's ``truth/truth_records.csv`` names them): the importer
    makes a record's id of the same two, ``<sha12>:<line>``.
    """
    from pyarrow import csv

    from totalplace.errors import LabelsUnavailableError

    try:
        options = csv.ConvertOptions(strings_can_be_null=True, column_types={column: pa.string()})
        table = (
            pq.read_table(path) if path.suffix == ".parquet" else csv.read_csv(path, convert_options=options)
        )
    except (OSError, pa.ArrowInvalid) as exc:
        raise LabelsUnavailableError(
            f"the labels file {path.name} cannot be read: {exc}", hint="give a CSV or parquet file"
        ) from None
    names = table.column_names
    if "record_id" not in names and {"file_sha12", "line"} <= set(names):
        ids = [
            f"{s}:{n}"
            for s, n in zip(table["file_sha12"].to_pylist(), table["line"].to_pylist(), strict=True)
        ]
        table = table.append_column("record_id", pa.array(ids, pa.string()))
    missing = [c for c in ("record_id", column) if c not in table.column_names]
    if missing:
        raise LabelsUnavailableError(
            f"the labels file {path.name} has no column {', '.join(missing)}",
            hint=f"its columns are: {', '.join(names)}",
        )
    return table.select(["record_id", column]).cast(
        pa.schema([("record_id", pa.string()), (column, pa.string())])
    )
