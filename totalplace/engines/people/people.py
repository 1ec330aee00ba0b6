"""People as a place keeps them: what the latest linkage run of a purpose made of its records.

Linkage is run per purpose: the records shared for a purpose are pseudonymised under that purpose's own key,
so they link only with each other (a person has unlinkable pseudonyms under two purposes). A run
(:mod:`totalplace.engines.people.runs`) leaves two parquet files, its links and its people, and a row in the
store; this module reads them for those the access policy lets read the purpose's people
(``people.read`` on ``Resource("people", purpose, purpose=purpose)``), and audits each read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from totalplace.datasets import people as people_files
from totalplace.errors import NoLinkRunError
from totalplace.governance.policy import Resource
from totalplace.store import people as people_store
from totalplace.store import versions

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place
    from totalplace.store.people import LinkRunRow

MODEL_KIND: Final = "link-model"
RECORDS_KIND: Final = "person_records"
BINS: Final = 10


def resource(purpose: str) -> Resource:
    """The people of a purpose, as the access policy sees them."""
    return Resource("people", purpose, purpose=purpose)


def person_records(place: Place, principal: Principal, purpose: str) -> pa.Table:
    """Every current ``person_records`` batch held for ``purpose`` in one table (asks the policy; audited)."""
    from totalplace.engines.people.records import records_table

    return records_table(place, principal, purpose)


@dataclass(frozen=True, slots=True)
class Bin:
    """How many links have a match probability in ``[low, high)`` (the last bin includes 1)."""

    low: float
    high: float
    count: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"low": self.low, "high": self.high, "count": self.count}

    @classmethod
    def of_dict(cls, data: Mapping[str, float]) -> Bin:
        """From :meth:`to_dict`'s shape (as a run keeps it)."""
        return cls(float(data["low"]), float(data["high"]), int(data["count"]))


def histogram(probabilities: list[float]) -> tuple[Bin, ...]:
    """Counts in ten bins of width 0.1 from 0 to 1."""
    counts = [0] * BINS
    for p in probabilities:
        if p is not None and not math.isnan(p):
            counts[min(int(p * BINS), BINS - 1)] += 1
    return tuple(Bin(i / BINS, (i + 1) / BINS, n) for i, n in enumerate(counts))


@dataclass(frozen=True, slots=True)
class MatchWeight:
    """One comparison level of the model: its m and u probabilities and match weight log2(m/u)."""

    comparison: str
    level: str
    m: float | None
    u: float | None
    weight: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "comparison": self.comparison,
            "level": self.level,
            "m": self.m,
            "u": self.u,
            "weight": self.weight,
        }


def match_weights(settings_json: str) -> tuple[MatchWeight, ...]:
    """Every non-null comparison level of a Splink settings JSON with its trained m, u and match weight."""
    settings = json.loads(settings_json)
    found: list[MatchWeight] = []
    for comparison in settings.get("comparisons", []):
        name = str(comparison.get("output_column_name") or comparison.get("comparison_description", ""))
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            label = str(level.get("label_for_charts") or level.get("sql_condition", ""))
            found.append(MatchWeight(name, label, m, u, None if weight is None else round(weight, 3)))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class LinkSummary:
    """A purpose's linkage: the model in force, the latest run and every run, and its distributions."""

    purpose: str
    model_version: int | None
    model_trained_at: str | None
    weights: tuple[MatchWeight, ...]
    run: LinkRunRow | None
    runs: tuple[LinkRunRow, ...]
    link_probabilities: tuple[Bin, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "purpose": self.purpose,
            "model_version": self.model_version,
            "model_trained_at": self.model_trained_at,
            "match_weights": [w.to_dict() for w in self.weights],
            "run": None if self.run is None else self.run.to_dict(),
            "runs": [r.to_dict() for r in self.runs],
            "link_probabilities": [b.to_dict() for b in self.link_probabilities],
        }


def summary(place: Place, principal: Principal, purpose: str) -> LinkSummary:
    """The purpose's linkage: model, runs, match weights and the distribution of the latest links."""
    principal.require("people.read", resource(purpose))
    with place.read() as conn:
        model = versions.current(conn, MODEL_KIND, purpose)
        runs = people_store.runs(conn, purpose)
    run = runs[0] if runs else None
    bins = tuple(Bin.of_dict(b) for b in run.detail.get("link_probabilities", [])) if run else ()
    return LinkSummary(
        purpose,
        None if model is None else model.version,
        None if model is None else model.created_at,
        () if model is None else match_weights(model.body),
        run,
        tuple(runs),
        bins,
    )


def readable_purposes(place: Place, principal: Principal) -> list[str]:
    """The purposes with a model or a run whose people ``principal`` may read."""
    with place.read() as conn:
        named = {v.name for v in versions.currents(conn, MODEL_KIND)}
        named |= {r.purpose for r in people_store.runs(conn)}
    return sorted(p for p in named if principal.can("people.read", resource(p)))


def _latest(place: Place, principal: Principal, purpose: str, what: str) -> str:
    """The name of the latest run's people or links file, the read audited."""
    principal.require("people.read", resource(purpose))
    with place.begin() as conn:
        run = people_store.latest_run(conn, purpose)
        if run is None:
            raise NoLinkRunError(
                f"the records held for {purpose} have not been linked into people yet",
                hint="run the linkage for the purpose first",
            )
        people_store.record_read(conn, purpose, run.id, what, principal.username)
    return run.people_path if what == "people" else run.links_path


def people_table(place: Place, principal: Principal, purpose: str) -> pa.Table:
    """The latest run's people: ``record_id, person_id, household_id, match_probability`` (audited read)."""
    return people_files.read_run_file(place, _latest(place, principal, purpose, "people"))


def links_table(place: Place, principal: Principal, purpose: str) -> pa.Table:
    """The latest run's links: ``record_id_l, record_id_r, match_probability`` (audited read)."""
    return people_files.read_run_file(place, _latest(place, principal, purpose, "links"))
