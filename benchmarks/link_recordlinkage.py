"""The recordlinkage side of ``benchmarks/link.py``, run in recordlinkage's own environment (pandas < 3).

    uv venv /tmp/rl && uv pip install --python /tmp/rl/bin/python recordlinkage "pandas<3" pyarrow jellyfish
    /tmp/rl/bin/python benchmarks/link_recordlinkage.py FILE NAME OUT.parquet

Reads the benchmark file with its identifiers in the clear (the same fields our pipeline is given), and links
it the way the recordlinkage documentation does for FEBRL: candidate pairs from blocking and a sorted
neighbourhood, Jaro-Winkler for names and Levenshtein for addresses (clear text lets it see typos inside a
value, which keyed pseudonyms cannot), exact dates and identifiers, then two classifiers: the unsupervised
ECM (Fellegi-Sunter by EM, no labels, as ours) and the documentation's rule "more than half the fields
agree". Writes the matched pairs of each (``record_id_l``, ``record_id_r``, ``classifier``) and prints one
JSON line of seconds and peak memory.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import recordlinkage  # type: ignore[import-not-found,unused-ignore]

# The file's own columns for each field our pipeline reads (the same identifiers, nothing more).
FIELDS: dict[str, dict[str, str]] = {
    "febrl": {
        "id": "rec_id",
        "given": "given_name",
        "family": "surname",
        "dob": "date_of_birth",
        "postcode": "postcode",
        "address": "address",
        "national_id": "soc_sec_id",
    },
    "fake_20000": {
        "id": "unique_id",
        "given": "first_name",
        "family": "surname",
        "dob": "dob",
        "address": "city",
        "email": "email",
    },
    "historical_50k": {
        "id": "unique_id",
        "given": "first_name",
        "family": "surname",
        "dob": "dob",
        "postcode": "postcode_fake",
    },
}


def read(path: str, name: str) -> pd.DataFrame:
    """The file with the canonical field names, indexed by record id."""
    kind = "febrl" if name.startswith("febrl") else name
    frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path, dtype=str)
    if kind == "febrl":
        frame["address"] = frame["street_number"].fillna("") + " " + frame["address_1"].fillna("")
    fields = FIELDS[kind]
    out = pd.DataFrame({canon: frame[column] for canon, column in fields.items()})
    for column in out.columns.drop("id"):
        out[column] = out[column].astype("string").str.strip().str.lower().replace("", pd.NA)  # type: ignore[call-overload]
    return out.set_index("id")


def candidates(frame: pd.DataFrame) -> pd.MultiIndex:
    """Blocking on the date of birth and the postcode, and a sorted neighbourhood on each name."""
    indexer = recordlinkage.Index()
    indexer.sortedneighbourhood("family", window=7, block_on="given" if len(frame) > 30000 else None)
    indexer.sortedneighbourhood("given", window=7, block_on="dob" if len(frame) > 30000 else None)
    indexer.block("dob")
    if "postcode" in frame:
        indexer.block("postcode")
    pairs: pd.MultiIndex = indexer.index(frame)
    return pairs


def features(frame: pd.DataFrame, pairs: pd.MultiIndex) -> pd.DataFrame:
    """Agreement of each field, as the recordlinkage documentation compares FEBRL."""
    compare = recordlinkage.Compare()
    compare.string("given", "given", method="jarowinkler", threshold=0.85, label="given")
    compare.string("family", "family", method="jarowinkler", threshold=0.85, label="family")
    compare.exact("dob", "dob", label="dob")
    if "postcode" in frame:
        compare.exact("postcode", "postcode", label="postcode")
    if "address" in frame:
        compare.string("address", "address", method="levenshtein", threshold=0.85, label="address")
    for exact in ("national_id", "email"):
        if exact in frame:
            compare.exact(exact, exact, label=exact)
    agreement: pd.DataFrame = compare.compute(pairs, frame)
    return agreement


def main() -> None:
    path, name, out = sys.argv[1:4]
    started = time.perf_counter()
    frame = read(path, name)
    pairs = candidates(frame)
    agreement = features(frame, pairs)
    ecm = recordlinkage.ECMClassifier(binarize=None).fit_predict(agreement)
    rule = agreement[agreement.sum(axis=1) > agreement.shape[1] / 2].index
    seconds = time.perf_counter() - started
    tables = []
    for label, index in (("ecm", ecm), ("rule", rule)):
        left, right = index.get_level_values(0).astype(str), index.get_level_values(1).astype(str)
        tables.append(
            pa.table({"record_id_l": left, "record_id_r": right, "classifier": [label] * len(left)})
        )
    pq.write_table(pa.concat_tables(tables), out)
    figures: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "candidate_pairs": len(pairs),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
