"""Linking records about people into people, with Splink: train a model, score pairs, cluster them.

Pure functions over pyarrow tables (no store): the records carry ``record_id``, ``source`` and one ``mk_*``
column per match key (keyed pseudonyms, see :mod:`totalplace.engines.people.linkage_settings` for why every
comparison is an equality). Training needs no labels: the share of pairs that match (lambda) from a few
near-certain rules, u by random sampling with a fixed seed, m by expectation maximisation over several
blocking rules. The trained model is Splink's own settings JSON, so it can be saved, versioned, read back and
run on DuckDB or Spark alike. The same records and model give the same pairs and the same clusters.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from totalplace.engines.people.linkage_backends import db_api, to_arrow
from totalplace.engines.people.linkage_settings import (
    DETERMINISTIC_RECALL,
    DETERMINISTIC_RULES,
    TRAINING_BLOCKS,
    block_sql,
    col,
    present_keys,
    splink_settings,
    usable,
)
from totalplace.engines.people.matchkeys import KEYS
from totalplace.errors import LinkageRecordsError, LinkModelInvalidError

#: Pairs sampled to estimate u. Splink advises 1e7 or more for a final model; 5e6 keeps a million records'
#: training within a minute on two cores, and u of equality levels settles well before that.
U_PAIRS: Final = 5e6
#: Pairs each EM session may use at most (Splink samples records deterministically, by a hash of their id).
EM_PAIRS: Final = 5e6
#: A fixed id for Splink's linker, so the saved model is the same text for the same records.
LINKER_UID: Final = "totalplace"
MIN_RECORDS: Final = 10
#: The threshold chosen on FEBRL 1 and half of fake_20000 (docs/people.md): high precision first, as a false
#: merge shows one person another's records.
THRESHOLD: Final = 0.8


@dataclass(frozen=True)
class LevelParameter:
    """One comparison level's trained parameters: the share of matches (m) and non-matches (u) in it."""

    comparison: str
    level: str
    m_probability: float | None
    u_probability: float | None

    @property
    def bayes_factor(self) -> float | None:
        """m / u: how many times likelier a match is after seeing this level."""
        if not self.m_probability or not self.u_probability:
            return None
        return self.m_probability / self.u_probability


@dataclass(frozen=True)
class LinkModel:
    """A trained linkage model: Splink's settings JSON with its parameters, and how many records it saw."""

    settings_json: str
    trained_on: int
    backend: str = "duckdb"
    seed: int = 0
    parameters: tuple[LevelParameter, ...] = field(default=())
    probability_two_random_records_match: float | None = None

    @classmethod
    def from_settings_json(
        cls, text: str, *, trained_on: int, backend: str = "duckdb", seed: int = 0
    ) -> LinkModel:
        """A model read back from its saved JSON (refused, TP942, if it is not a trained Splink model)."""
        settings = _parse(text)
        return cls(
            settings_json=text,
            trained_on=trained_on,
            backend=backend,
            seed=seed,
            parameters=_parameters(settings),
            probability_two_random_records_match=settings.get("probability_two_random_records_match"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data (the settings as parsed JSON, each level with its Bayes factor)."""
        out = asdict(self)
        out["settings"] = json.loads(out.pop("settings_json"))
        out["parameters"] = [asdict(p) | {"bayes_factor": p.bayes_factor} for p in self.parameters]
        return out


def _parse(text: str) -> dict[str, Any]:
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LinkModelInvalidError(f"the linkage model is not JSON: {exc}") from exc
    if not isinstance(settings, dict) or not isinstance(settings.get("comparisons"), list):
        raise LinkModelInvalidError("the linkage model is not Splink settings: it has no comparisons")
    return settings


def _parameters(settings: dict[str, Any]) -> tuple[LevelParameter, ...]:
    out = []
    for comparison in settings["comparisons"]:
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            out.append(
                LevelParameter(
                    comparison=str(comparison.get("output_column_name")),
                    level=str(level.get("label_for_charts")),
                    m_probability=level.get("m_probability"),
                    u_probability=level.get("u_probability"),
                )
            )
    return tuple(out)


def linkable(records: pa.Table) -> pa.Table:
    """The columns linkage reads, checked: ``record_id`` (unique), ``source`` and every ``mk_*`` key."""
    needed = ["record_id", "source", *(col(k) for k in KEYS)]
    missing = [name for name in needed if name not in records.column_names]
    if missing:
        raise LinkageRecordsError(
            f"the records to link have no column {', '.join(missing)}",
            hint="link records as the importer writes them (person_records batches)",
        )
    table = records.select(needed).cast(pa.schema([(name, pa.string()) for name in needed]))
    if pc.count_distinct(table["record_id"]).as_py() != table.num_rows:
        raise LinkageRecordsError(
            "the records to link repeat a record_id", hint="each record needs its own id"
        )
    return table


def train(records: pa.Table, *, backend: str = "duckdb", seed: int = 0) -> LinkModel:
    """Train a linkage model on ``records`` without labels.

    Lambda (the share of pairs that match) starts from near-certain rules and is then re-estimated from the
    EM sessions, each session's estimate scaled back by the evidence of its blocking rule: the near-certain
    rules' recall differs too much between files (0.86 on FEBRL 1, 0.05 on fake_20000) for a fixed guess.
    """
    table = linkable(records)
    if table.num_rows < MIN_RECORDS:
        raise LinkageRecordsError(f"{table.num_rows} records are too few to train a linkage model on")
    keys = present_keys({name: len(table[name]) - table[name].null_count for name in table.column_names})
    from splink import Linker

    api = db_api(backend)
    settings = json.loads(splink_settings(keys)) | {"linker_uid": LINKER_UID}
    linker = Linker(api.register(table), settings, log_level=None)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_sql(rule) for rule in usable(DETERMINISTIC_RULES, keys)], recall=DETERMINISTIC_RECALL
    )
    training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=seed)
    rules = usable(TRAINING_BLOCKS, keys)
    for i, rule in enumerate(rules):
        training.estimate_parameters_using_expectation_maximisation(
            block_sql(rule),
            max_pairs=EM_PAIRS,
            populate_probability_two_random_records_match_from_trained_values=i == len(rules) - 1,
        )
    saved = linker.misc.save_model_to_json() | {"linker_uid": LINKER_UID}
    return LinkModel.from_settings_json(
        json.dumps(saved, sort_keys=True), trained_on=table.num_rows, backend=backend, seed=seed
    )


def predict(records: pa.Table, model: LinkModel, *, threshold: float, backend: str = "duckdb") -> pa.Table:
    """Every candidate pair scoring ``threshold`` or more: ``record_id_l`` < ``record_id_r``,
    ``match_probability``, sorted by the two ids."""
    table = linkable(records)
    from splink import Linker

    api = db_api(backend)
    try:
        linker = Linker(api.register(table), _parse(model.settings_json), log_level=None)
    except (ValueError, KeyError, TypeError) as exc:  # Splink's own validation of the settings
        raise LinkModelInvalidError(f"the linkage model cannot be used: {exc}") from exc
    scored = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    pairs = to_arrow(scored).select(["record_id_l", "record_id_r", "match_probability"])
    pairs = pairs.cast(
        pa.schema(
            [("record_id_l", pa.string()), ("record_id_r", pa.string()), ("match_probability", pa.float64())]
        )
    )
    return pairs.sort_by([("record_id_l", "ascending"), ("record_id_r", "ascending")])


_CLUSTER_SQL = """
WITH kept AS (
    SELECT record_id_l, record_id_r, match_probability FROM links WHERE match_probability >= $threshold
),
ends AS (
    SELECT record_id_l AS record_id, match_probability FROM kept
    UNION ALL SELECT record_id_r, match_probability FROM kept
),
best AS (SELECT record_id, max(match_probability) AS p FROM ends GROUP BY record_id),
named AS (SELECT cluster_id AS splink_cluster, min(record_id) AS cluster_id FROM components GROUP BY 1)
SELECT c.record_id, n.cluster_id, b.p AS cluster_probability
FROM components c
JOIN named n ON n.splink_cluster = c.cluster_id
LEFT JOIN best b ON b.record_id = c.record_id
ORDER BY c.record_id
"""


def cluster(records: pa.Table, links: pa.Table, *, threshold: float) -> pa.Table:
    """Records joined by links at ``threshold`` or more, as connected components (Splink's clustering).

    ``cluster_id`` is the smallest record id in the cluster, so the same links give the same ids;
    ``cluster_probability`` is the record's strongest link inside its cluster (null for a record alone).
    """
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    nodes = records.select(["record_id"]).cast(pa.schema([("record_id", pa.string())]))
    edges = links.select(["record_id_l", "record_id_r", "match_probability"])
    components = to_arrow(
        cluster_pairwise_predictions_at_threshold(
            nodes,
            edges,
            db_api=db_api("duckdb"),
            node_id_column_name="record_id",
            threshold_match_probability=threshold,
        )
    ).select(["record_id", "cluster_id"])
    con = duckdb.connect()
    try:
        con.register("links", edges)
        con.register("components", components)
        result = con.sql(_CLUSTER_SQL, params={"threshold": threshold}).to_arrow_table()
    finally:
        con.close()
    return result.cast(
        pa.schema(
            [("record_id", pa.string()), ("cluster_id", pa.string()), ("cluster_probability", pa.float64())]
        )
    )
