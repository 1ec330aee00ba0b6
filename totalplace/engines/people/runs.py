"""Train a purpose's linkage model, run it into people and households, and evaluate it against true ids.

The model is a version (kind ``link-model``, name = the purpose, body = Splink's settings JSON with its
trained m and u probabilities): training again adds a version, so every run names the exact model it used.
A run predicts links between the purpose's records, clusters them into people, gives the people and their
households stable ids (:mod:`.stable_ids`, :mod:`.households`) from the previous run's, and keeps its
links and people as parquet with a row in the store. Training and running ask ``people.link``; evaluating
reads the people, so asks ``people.read``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from totalplace.datasets import people as people_files
from totalplace.engines.people import people as people_view
from totalplace.engines.people.households import households
from totalplace.engines.people.linkage import THRESHOLD
from totalplace.engines.people.stable_ids import assign_ids
from totalplace.errors import LinkageRunError, NoLinkModelError, NoPersonRecordsError, ThresholdInvalidError
from totalplace.store import people as people_store
from totalplace.store import versions

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place
    from totalplace.store.people import LinkRunRow

Progress = Callable[[str], None]
#: The linkage core's threshold, chosen on benchmark files (docs/people.md): high precision first.
DEFAULT_THRESHOLD: Final = THRESHOLD
BACKENDS: Final = ("duckdb", "spark")


def _linkage() -> ModuleType:
    """The Splink linkage core (imported when used: it brings Splink)."""
    from totalplace.engines.people import linkage

    return linkage


def _quiet(_stage: str) -> None:
    """No progress shown."""


def check_threshold(threshold: float) -> float:
    """Refuse a threshold outside (0, 1)."""
    if not 0.0 < threshold < 1.0:
        raise ThresholdInvalidError(
            f"a match-probability threshold of {threshold} is outside 0 to 1",
            hint="give a threshold between 0 and 1, such as 0.9",
        )
    return threshold


def _records(place: Place, principal: Principal, purpose: str) -> pa.Table:
    records = people_view.person_records(place, principal, purpose)
    if records.num_rows == 0:
        raise NoPersonRecordsError(
            f"there are no records about people held for {purpose}",
            hint="import partners' records under a sharing agreement for the purpose first",
        )
    return records


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """A model trained for a purpose and kept as a version."""

    purpose: str
    version: int
    records: int
    backend: str
    seconds: float
    weights: tuple[people_view.MatchWeight, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "purpose": self.purpose,
            "version": self.version,
            "records": self.records,
            "backend": self.backend,
            "seconds": round(self.seconds, 3),
            "match_weights": [w.to_dict() for w in self.weights],
        }


def train_model(
    place: Place,
    principal: Principal,
    purpose: str,
    *,
    backend: str = "duckdb",
    seed: int = 0,
    progress: Progress = _quiet,
) -> TrainedModel:
    """Train the purpose's model without labels (u by sampling, m by EM) and keep it as the next version."""
    principal.require("people.link", people_view.resource(purpose))
    started = time.perf_counter()
    progress("reading records")
    records = _records(place, principal, purpose)
    progress(f"training on {records.num_rows:,} records")
    model = _linkage().train(records, backend=backend, seed=seed)
    reason = f"trained on {records.num_rows} records ({backend}, seed {seed})"
    kept = keep_model(place, principal, purpose, model.settings_json, reason=reason)
    weights = people_view.match_weights(kept.body)
    return TrainedModel(
        purpose, kept.version, records.num_rows, backend, time.perf_counter() - started, weights
    )


def keep_model(
    place: Place,
    principal: Principal,
    purpose: str,
    body: str,
    *,
    reason: str,
    restored_from: int | None = None,
) -> versions.Version:
    """Keep a model's settings JSON as the purpose's next version (refused, TP942, if it is not a trained
    Splink model); training and restoring an old version both come here."""
    principal.require("people.link", people_view.resource(purpose))
    _linkage().LinkModel.from_settings_json(body, trained_on=0)
    with place.begin() as conn:
        return versions.add(
            conn,
            kind=people_view.MODEL_KIND,
            name=purpose,
            body=body,
            owner_id=None,
            actor=principal.username,
            reason=reason,
            restored_from=restored_from,
        )


def _model(place: Place, purpose: str) -> tuple[int, Any]:
    """The model in force for the purpose: its version number and the linkage core's model object."""
    with place.read() as conn:
        kept = versions.current(conn, people_view.MODEL_KIND, purpose)
    if kept is None:
        raise NoLinkModelError(
            f"no linkage model has been trained for {purpose}", hint="train a model for the purpose first"
        )
    return kept.version, _linkage().LinkModel.from_settings_json(kept.body, trained_on=0)


def _previous(place: Place, run: LinkRunRow | None) -> tuple[dict[str, str], dict[str, str]]:
    """The previous run's person id of each record and household id of each person."""
    if run is None:
        return {}, {}
    table = people_files.read_run_file(place, run.people_path).to_pylist()
    person = {r["record_id"]: r["person_id"] for r in table}
    household = {r["person_id"]: r["household_id"] for r in table if r["household_id"] is not None}
    return person, household


@dataclass(frozen=True, slots=True)
class _Made:
    """What the id step made: the people table and the ids' bookkeeping."""

    table: pa.Table
    persons: dict[str, Any]
    homes: dict[str, Any]
    people_issued: int
    households_issued: int
    households: int


@dataclass(frozen=True, slots=True)
class _How:
    """How a run was made: the model version, threshold and backend, when it started, and the run it
    follows (None: the first)."""

    model_version: int
    threshold: float
    backend: str
    started: float
    follows: int | None


def _people(records: pa.Table, clusters: pa.Table, prev: LinkRunRow | None, place: Place) -> _Made:
    """Stable person ids for the clusters, then stable households over the people."""
    before_person, before_household = _previous(place, prev)
    groups = dict(zip(clusters["record_id"].to_pylist(), clusters["cluster_id"].to_pylist(), strict=True))
    persons = assign_ids(groups, before_person, prefix="P", issued=prev.people_issued if prev else 0)
    homes = households(records, persons.ids, before_household, issued=prev.households_issued if prev else 0)
    probability = dict(
        zip(clusters["record_id"].to_pylist(), clusters["cluster_probability"].to_pylist(), strict=True)
    )
    ids = sorted(persons.ids)
    table = pa.table(
        {
            "record_id": ids,
            "person_id": [persons.ids[r] for r in ids],
            "household_id": [homes.ids.get(persons.ids[r]) for r in ids],
            "match_probability": pa.array([probability.get(r) for r in ids], pa.float64()),
        }
    )
    return _Made(
        table, persons.to_dict(), homes.to_dict(), persons.issued, homes.issued, len(set(homes.ids.values()))
    )


def run_linkage(
    place: Place,
    principal: Principal,
    purpose: str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    backend: str = "duckdb",
    progress: Progress = _quiet,
) -> LinkRunRow:
    """Link the purpose's records into people and households with the model in force, and keep the run."""
    principal.require("people.link", people_view.resource(purpose))
    check_threshold(threshold)
    started = time.perf_counter()
    model_version, model = _model(place, purpose)
    progress("reading records")
    records = _records(place, principal, purpose)
    progress(f"predicting links between {records.num_rows:,} records")
    links = _linkage().predict(records, model, threshold=threshold, backend=backend)
    progress(f"clustering {links.num_rows:,} links into people")
    clusters = _linkage().cluster(records, links, threshold=threshold)
    with place.read() as conn:
        prev = people_store.latest_run(conn, purpose)
    progress("giving people and households their ids")
    made = _people(records, clusters, prev, place)
    progress("keeping the run")
    how = _How(model_version, threshold, backend, started, None if prev is None else prev.id)
    return _keep(place, principal, purpose, how, links, made)


def _keep(
    place: Place,
    principal: Principal,
    purpose: str,
    how: _How,
    links: pa.Table,
    made: _Made,
) -> LinkRunRow:
    """Write the run's files and row in one transaction (the files go if the row cannot be written).

    Refused when another run of the purpose was kept since this one read the last: its ids were given from
    that older run, so keeping it could give one number to two people."""
    detail = {
        "people_ids": made.persons,
        "household_ids": made.homes,
        "link_probabilities": [
            b.to_dict() for b in people_view.histogram(links["match_probability"].to_pylist())
        ],
    }
    with place.begin() as conn:
        run_id = people_store.next_run_id(conn)  # takes the audit lock: runs are kept one at a time
        latest = people_store.latest_run(conn, purpose)
        if (None if latest is None else latest.id) != how.follows:
            raise LinkageRunError(
                f"another linkage run of {purpose} was kept while this one ran", hint="run the linkage again"
            )
        people_name, links_name = people_files.write_run(place, purpose, run_id, links, made.table)
        try:
            new = people_store.NewRun(
                purpose=purpose,
                model_version=how.model_version,
                threshold=how.threshold,
                backend=how.backend,
                records=made.table.num_rows,
                people=made.persons["groups"],
                households=made.households,
                links=links.num_rows,
                people_issued=made.people_issued,
                households_issued=made.households_issued,
                detail=detail,
                people_path=people_name,
                links_path=links_name,
                seconds=time.perf_counter() - how.started,
            )
            return people_store.add_run(conn, new, principal.username)
        except BaseException:
            people_files.remove_run(place, people_name, links_name)
            raise
