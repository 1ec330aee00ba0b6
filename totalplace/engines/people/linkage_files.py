"""The published record-linkage benchmark files, read into records as the importer writes them.

Each file's columns are mapped to :func:`~totalplace.engines.people.matchkeys.match_keys` inputs and every
key is pseudonymised exactly as the importer does (hex HMAC-SHA256 of ``"<key>:<value>"`` under the purpose's
key), so accuracy measured on them is the accuracy of linkage over pseudonyms. The true entity of each record
is kept in the column ``entity`` (never given to training). Used by the accuracy tests and
``benchmarks/link.py``.

Mappings (none of these files is UK data):

- FEBRL 1 and 2: ``given_name``, ``surname``, ``date_of_birth`` (YYYYMMDD; an impossible date is missing), the
  street line (``street_number address_1``) as the address, ``soc_sec_id`` (a national identifier) as the NHS
  number; an Australian postcode ``nnnn`` is written ``Pnnnn`` so that it takes a UK postcode's shape: its
  "sector" is then its first two digits and its "district" its first.
- Splink's historical 50k: ``first_name``, ``surname``, ``dob``, ``postcode_fake``.
- Splink's fake 20,000: ``first_name``, ``surname``, ``dob``, ``city`` as the address (the only place it has),
  ``email`` as the local id (one source).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.parquet as pq

from totalplace.engines.people.matchkeys import KEYS, match_keys

#: The key the tests and benchmark pseudonymise with (a real place's keys live outside its store).
TEST_KEY: Final = b"totalplace-linkage-benchmark-key"
FILES: Final = {
    "febrl1": "febrl_dataset1.csv.gz",
    "febrl2": "febrl_dataset2.csv.gz",
    "fake_20000": "splink_fake_20000.csv.gz",
    "historical_50k": "splink_historical_figures_with_errors_50k.parquet",
}


def pseudonym(key: bytes, name: str, value: str | None) -> str | None:
    """The keyed pseudonym of one match key's value (None stays None, so two missing values never agree)."""
    if value is None:
        return None
    return hmac.new(key, f"{name}:{value}".encode(), hashlib.sha256).hexdigest()


def parse_date(text: str | None, fmt: str) -> dt.date | None:
    """A date, or None when missing or impossible (the importer would refuse such a row)."""
    if not text:
        return None
    try:
        return dt.datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        return None


def records_table(
    rows: Iterable[tuple[str, str, str, Mapping[str, str | None]]], key: bytes | None
) -> pa.Table:
    """Records from ``(record_id, source, entity, clear keys)``: pseudonymised under ``key``, or kept clear
    when ``key`` is None (only to compare the cost of pseudonymising)."""
    columns: dict[str, list[str | None]] = {"record_id": [], "source": [], "entity": []}
    columns |= {f"mk_{k}": [] for k in KEYS}
    for record_id, source, entity, keys in rows:
        columns["record_id"].append(record_id)
        columns["source"].append(source)
        columns["entity"].append(entity)
        for name in KEYS:
            value = keys.get(name)
            columns[f"mk_{name}"].append(value if key is None else pseudonym(key, name, value))
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _febrl_rows(path: Path) -> Iterable[tuple[str, str, str, Mapping[str, str | None]]]:
    with gzip.open(path, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            get = {k: _clean(v) for k, v in row.items()}
            code = get["postcode"]
            street = " ".join(p for p in (get["street_number"], get["address_1"]) if p) or None
            keys = match_keys(
                nhs_number=get["soc_sec_id"],
                given_name=get["given_name"],
                family_name=get["surname"],
                date_of_birth=parse_date(get["date_of_birth"], "%Y%m%d"),
                postcode=f"P{code}" if code and len(code) == 4 else None,
                address=street,
            )
            yield str(get["rec_id"]), "febrl", str(get["entity_id"]), keys


def _fake_rows(path: Path) -> Iterable[tuple[str, str, str, Mapping[str, str | None]]]:
    with gzip.open(path, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            get = {k: _clean(v) for k, v in row.items()}
            keys = match_keys(
                given_name=get["first_name"],
                family_name=get["surname"],
                date_of_birth=parse_date(get["dob"], "%Y-%m-%d"),
                address=get["city"],
                local_id=get["email"],
            )
            yield str(get["unique_id"]), "fake", str(get["group"]), keys


def _historical_rows(path: Path) -> Iterable[tuple[str, str, str, Mapping[str, str | None]]]:
    for row in pq.read_table(path).to_pylist():
        keys = match_keys(
            given_name=row["first_name"],
            family_name=row["surname"],
            date_of_birth=parse_date(row["dob"], "%Y-%m-%d"),
            postcode=row["postcode_fake"],
        )
        yield str(row["unique_id"]), "historical", str(row["cluster"]), keys


def load(folder: Path, name: str, *, key: bytes | None = TEST_KEY) -> pa.Table:
    """One benchmark file (a name of :data:`FILES`) as pseudonymised records with their true ``entity``."""
    path = folder / FILES[name]
    reader = {"febrl1": _febrl_rows, "febrl2": _febrl_rows, "fake_20000": _fake_rows}.get(
        name, _historical_rows
    )
    return records_table(reader(path), key)
