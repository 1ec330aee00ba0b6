"""Generated records about people (contract columns, mk_* as hex HMACs) and a stand-in for the Splink core.

The stand-in links records sharing a pseudonymised NHS number (0.99) or a family name and date of birth
(0.93), and clusters links at or above the threshold by connected components: enough to test what is built
around the model (stable ids, households, storage, the CLI and the web) quickly and without Splink.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest

from totalplace.engines.people import people as people_view
from totalplace.engines.people import runs
from totalplace.engines.people.matchkeys import match_keys

KEY = b"test-key"
SETTINGS = {
    "link_type": "dedupe_only",
    "comparisons": [
        {
            "output_column_name": "nhs_number",
            "comparison_levels": [
                {"sql_condition": "null", "is_null_level": True},
                {"label_for_charts": "exact", "m_probability": 0.95, "u_probability": 0.0001},
                {"label_for_charts": "else", "m_probability": 0.05, "u_probability": 0.9999},
            ],
        },
        {
            "output_column_name": "family_name",
            "comparison_levels": [
                {"label_for_charts": "exact", "m_probability": 0.9, "u_probability": 0.01},
                {"label_for_charts": "else", "m_probability": 0.1, "u_probability": 0.99},
            ],
        },
    ],
}


def mk(key: str, value: object) -> str | None:
    """The contract's pseudonym of one key's value."""
    if value is None:
        return None
    return hmac.new(KEY, f"{key}:{value}".encode(), hashlib.sha256).hexdigest()


GIVEN = ("amelia", "oliver", "isla", "jack", "ava", "harry", "mia", "noah", "ella", "leo", "grace", "oscar")
FAMILY = ("smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies", "patel", "wright")


def _identity(person: int) -> dict[str, Any]:
    """A person's true identifiers (the same for every record of the person)."""
    rng = random.Random(person)
    return {
        "nhs_number": f"{9000000000 + person * 7:010d}",
        "given_name": rng.choice(GIVEN),
        "family_name": rng.choice(FAMILY) + "abcdefghij"[person % 10] + "klmnopqrst"[person // 10 % 10],
        "date_of_birth": date(1950, 1, 1) + timedelta(days=rng.randrange(25000)),
        "postcode": f"LS{person % 30} {person % 9}AB",
        "uprn": f"1000{person // 3}",  # three people a home
        "address": f"{person // 3} high street",
        "local_id": f"L{person}",
    }


def _row(rid: str, person: int, rng: random.Random, when: date, *, noise: bool) -> dict[str, Any]:
    values = _identity(person)
    if rng.random() < 0.3:
        values["nhs_number"] = None
    if rng.random() < 0.1:  # a typo in the given name
        values["given_name"] = values["given_name"][:-1] + "x"
    if noise and rng.random() < 0.1:  # Splink needs every field to disagree sometimes
        values["family_name"] = values["family_name"][:-1] + "z"
    if noise and rng.random() < 0.05:
        values["date_of_birth"] += timedelta(days=1)
    if noise and rng.random() < 0.1:
        values["postcode"] = None
    if noise and rng.random() < 0.1:  # moved house
        values["uprn"], values["address"] = f"2000{person}", f"{person} low road"
    if noise:  # each partner numbers people its own way
        values["local_id"] = f"{rng.choice('ABC')}{person}"
    row: dict[str, Any] = {f"mk_{k}": mk(k, v) for k, v in match_keys(**values).items()}
    row.update(
        record_id=rid,
        partner="Council",
        source="children_social_care",
        agreement="test-agreement",
        purpose="planning",
        event_date=when,
        event_type="contact",
        event_detail=None,
        sex=None,
        birth_year=1990,
        area_code="E01000001",
        relationship=None,
        mk_related=None,
        true_id=f"T{person}",
    )
    return row


def generate(
    people: int, per_person: int, *, seed: int, tag: str, start: int = 0, noise: bool = False
) -> pa.Table:
    """``people`` generated people (numbered from ``start``) with ``per_person`` records each, batch ``tag``;
    ``noise`` adds errors to the names, dates of birth and postcodes too (for the real Splink core)."""
    rng = random.Random(seed)
    rows = [
        _row(
            f"{tag}:{n * per_person + k}",
            start + n,
            rng,
            date(2024, 1, 1) + timedelta(days=k),
            noise=noise,
        )
        for n in range(people)
        for k in range(per_person)
    ]
    return pa.Table.from_pylist(rows)


@dataclass(frozen=True)
class FakeModel:
    """The stand-in's model: only its settings JSON."""

    settings_json: str

    @classmethod
    def from_settings_json(cls, text: str, *, trained_on: int) -> FakeModel:
        """As the core reads a kept model."""
        return cls(text)


def train(records: pa.Table, *, backend: str = "duckdb", seed: int = 0) -> FakeModel:
    """A fixed model."""
    return FakeModel(json.dumps(SETTINGS, sort_keys=True))


def predict(records: pa.Table, model: FakeModel, *, threshold: float, backend: str = "duckdb") -> pa.Table:
    """Pairs sharing an NHS number (0.99) or family name and date of birth (0.93), at or above threshold."""
    rows = records.select(["record_id", "mk_nhs_number", "mk_family_name", "mk_date_of_birth"]).to_pylist()
    found: dict[tuple[str, str], float] = {}
    for key, p in ((("mk_nhs_number",), 0.99), (("mk_family_name", "mk_date_of_birth"), 0.93)):
        block: dict[tuple[Any, ...], list[str]] = {}
        for r in rows:
            value = tuple(r[k] for k in key)
            if all(value):
                block.setdefault(value, []).append(r["record_id"])
        for ids in block.values():
            ids.sort()
            for i, left in enumerate(ids):
                for right in ids[i + 1 :]:
                    found[(left, right)] = max(found.get((left, right), 0.0), p)
    kept = sorted((lr, p) for lr, p in found.items() if p >= threshold)
    return pa.table(
        {
            "record_id_l": [lr[0] for lr, _ in kept],
            "record_id_r": [lr[1] for lr, _ in kept],
            "match_probability": pa.array([p for _, p in kept], pa.float64()),
        }
    )


def cluster(records: pa.Table, links: pa.Table, *, threshold: float) -> pa.Table:
    """Connected components of the links at or above the threshold, labelled by their smallest record."""
    parent = {r: r for r in records["record_id"].to_pylist()}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for left, right, p in zip(*(links[c].to_pylist() for c in links.column_names), strict=True):
        if p >= threshold:
            a, b = sorted((find(left), find(right)))
            parent[b] = a
    ids = sorted(parent)
    return pa.table(
        {
            "record_id": ids,
            "cluster_id": [find(r) for r in ids],
            "cluster_probability": pa.array([1.0 for _ in ids], pa.float64()),
        }
    )


FAKE = SimpleNamespace(train=train, predict=predict, cluster=cluster, LinkModel=FakeModel)


class Held:
    """The records the place holds per purpose, as the records part would give them."""

    def __init__(self) -> None:
        self.tables: dict[str, pa.Table] = {}

    def add(self, purpose: str, table: pa.Table) -> None:
        """One more extract for the purpose."""
        held = self.tables.get(purpose)
        self.tables[purpose] = table if held is None else pa.concat_tables([held, table])

    def __call__(self, place: object, principal: object, purpose: str) -> pa.Table:
        return self.tables.get(purpose, pa.table({"record_id": pa.array([], pa.string())}))


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Held:
    """Records held per purpose, and the stand-in linkage core, in place of the real ones."""
    records = Held()
    monkeypatch.setattr(people_view, "person_records", records)
    monkeypatch.setattr(runs, "_linkage", lambda: FAKE)
    return records


@pytest.fixture
def held_real(monkeypatch: pytest.MonkeyPatch) -> Held:
    """Records held per purpose in place of the records part's; the real Splink core links them."""
    records = Held()
    monkeypatch.setattr(people_view, "person_records", records)
    return records
