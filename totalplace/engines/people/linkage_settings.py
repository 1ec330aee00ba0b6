"""What Splink compares, how it finds candidate pairs, and how it trains: the linkage model's settings.

Records for any purpose but direct care carry no identifier in the clear, only keyed pseudonyms of match keys
(:mod:`totalplace.engines.people.matchkeys`), so every comparison level is an EQUALITY of two pseudonyms: a
string distance between two HMACs means nothing. What survives a typo is a coarser key: a name's Soundex code
or first two letters, the date of birth's year or its day and month in either order, the postcode's sector or
district. Each comparison orders its levels from the most to the least specific, and Fellegi-Sunter (Splink)
learns from the records themselves how much each level is worth (u by random sampling, m by EM).

One model links every record at once (Splink's ``dedupe_only`` over all sources together, the source being a
column): a person twice in one partner's extract and once in another's is one entity either way, and one run
lets evidence flow through the whole graph. Local ids are compared only within the same source, since two
partners' local ids share nothing but format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from totalplace.engines.people.matchkeys import KEYS


@dataclass(frozen=True)
class Level:
    """One comparison level: its label and the match keys that must all be equal."""

    label: str
    keys: tuple[str, ...]
    tf: bool = False  # adjust an exact match for how common the value is (a common name is weaker evidence)

    @property
    def sql(self) -> str:
        """The level's condition over ``<column>_l`` / ``<column>_r``."""
        return " AND ".join(f"{col(k)}_l = {col(k)}_r" for k in self.keys)


@dataclass(frozen=True)
class ComparisonSpec:
    """One comparison: its levels (most specific first), and what else counts as no evidence."""

    name: str
    levels: tuple[Level, ...]
    also_missing: str | None = None

    def usable_levels(self, keys: frozenset[str]) -> tuple[Level, ...]:
        """The levels whose keys some record has (a level never seen cannot be trained)."""
        return tuple(level for level in self.levels if set(level.keys) <= keys)

    def null_sql(self, keys: frozenset[str]) -> str:
        """Missing: every usable level's identifier missing on one side or the other."""
        firsts = dict.fromkeys(_ROOT.get(level.keys[0], level.keys[0]) for level in self.usable_levels(keys))
        sql = " AND ".join(f"({col(k)}_l IS NULL OR {col(k)}_r IS NULL)" for k in firsts)
        return f"{sql} OR {self.also_missing}" if self.also_missing else sql


def col(key: str) -> str:
    """The records' column holding a match key's pseudonym."""
    return f"mk_{key}"


# Coarser keys are missing exactly when the identifier they derive from is.
_ROOT: Final = {
    "given_phonetic": "given_name",
    "given_initials": "given_name",
    "family_phonetic": "family_name",
    "family_initials": "family_name",
    "birth_day_month": "date_of_birth",
    "birth_year": "date_of_birth",
    "postcode_sector": "postcode",
    "postcode_district": "postcode",
}


def _name(part: str) -> ComparisonSpec:
    return ComparisonSpec(
        part + "_name",
        (
            Level("exact", (f"{part}_name",), tf=True),
            Level("same sound (Soundex)", (f"{part}_phonetic",)),
            Level("same first two letters", (f"{part}_initials",)),
        ),
    )


COMPARISONS: Final[tuple[ComparisonSpec, ...]] = (
    _name("given"),
    _name("family"),
    ComparisonSpec(
        "date_of_birth",
        (
            Level("exact", ("date_of_birth",), tf=True),
            Level("day and month swapped", ("birth_day_month", "birth_year")),
            Level("same year", ("birth_year",)),
            Level("same day and month", ("birth_day_month",)),
        ),
    ),
    # One comparison for where a person lives: members of a household share address, postcode and family
    # name, and counting address and postcode as independent evidence would merge them.
    ComparisonSpec(
        "location",
        (
            Level("same home (UPRN)", ("uprn",)),
            Level("same address", ("address",)),
            Level("same postcode", ("postcode",), tf=True),
            Level("same postcode sector", ("postcode_sector",)),
            Level("same postcode district", ("postcode_district",)),
        ),
    ),
    ComparisonSpec("nhs_number", (Level("exact", ("nhs_number",)),)),
    # Two sources' local ids are unrelated numbering schemes: no evidence either way, like a missing one.
    ComparisonSpec("local_id", (Level("same id in the same source", ("local_id",)),), "source_l <> source_r"),
)

#: Candidate pairs scored at prediction: any pair agreeing exactly on one of these key sets. Each set pairs a
#: strong key with another so that no block is huge; together they tolerate an error in any one identifier.
PREDICTION_BLOCKS: Final[tuple[tuple[str, ...], ...]] = (
    ("nhs_number",),
    ("date_of_birth", "family_phonetic"),
    ("date_of_birth", "given_phonetic"),
    ("given_name", "family_name"),
    ("given_phonetic", "family_phonetic", "birth_year"),
    ("family_name", "birth_day_month"),
    ("given_name", "birth_day_month", "birth_year"),
    ("postcode", "family_name"),
    ("postcode", "given_name"),
    ("postcode_district", "date_of_birth"),
    ("address", "given_initials"),
    ("uprn", "given_initials"),
    ("source", "local_id"),
)

#: EM sessions: each block leaves the comparisons it does not use free to be estimated; together every
#: comparison is estimated at least once. No session blocks on where people live: members of one household
#: agree there, and EM would learn them as matches (m of "different date of birth" then rises fivefold).
TRAINING_BLOCKS: Final[tuple[tuple[str, ...], ...]] = (
    ("date_of_birth",),
    ("given_name", "family_name"),
)

#: Rules taken as near-certain matches when estimating the share of pairs that match (lambda), and the share
#: of true matches they are assumed to find (chosen on FEBRL 1; see docs/people.md).
DETERMINISTIC_RULES: Final[tuple[tuple[str, ...], ...]] = (
    ("nhs_number", "birth_year"),
    ("given_name", "family_name", "date_of_birth"),
    ("family_name", "date_of_birth", "postcode"),
)
DETERMINISTIC_RECALL: Final = 0.6


def present_keys(non_null: dict[str, int]) -> frozenset[str]:
    """The match keys some record has (``non_null`` counts each ``mk_*`` column's values)."""
    return frozenset(k for k in KEYS if non_null.get(col(k), 0) > 0)


def usable(rules: tuple[tuple[str, ...], ...], keys: frozenset[str]) -> list[tuple[str, ...]]:
    """The rules whose every key is present (``source`` always is)."""
    return [rule for rule in rules if all(k == "source" or k in keys for k in rule)]


def block_sql(rule: tuple[str, ...]) -> str:
    """A blocking rule as Splink SQL over ``l`` and ``r`` (plain identifiers: the same text is valid DuckDB
    and Spark SQL, so one saved model runs on either)."""
    names = [k if k == "source" else col(k) for k in rule]
    return " AND ".join(f"l.{name} = r.{name}" for name in names)


def _comparison_dict(spec: ComparisonSpec, keys: frozenset[str]) -> dict[str, Any]:
    levels: list[dict[str, Any]] = [
        {"sql_condition": spec.null_sql(keys), "label_for_charts": "missing", "is_null_level": True}
    ]
    for level in spec.usable_levels(keys):
        entry: dict[str, Any] = {"sql_condition": level.sql, "label_for_charts": level.label}
        if level.tf:
            entry["tf_adjustment_column"] = col(level.keys[0])
            entry["tf_adjustment_weight"] = 1.0
        levels.append(entry)
    levels.append({"sql_condition": "ELSE", "label_for_charts": "different"})
    return {"output_column_name": spec.name, "comparison_levels": levels}


def splink_settings(keys: frozenset[str]) -> str:
    """Splink settings (JSON) comparing the keys some record has (a key nobody has would be a level never
    seen)."""
    comparisons = [_comparison_dict(s, keys) for s in COMPARISONS if s.usable_levels(keys)]
    settings = {
        "link_type": "dedupe_only",
        "unique_id_column_name": "record_id",
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": block_sql(r)} for r in usable(PREDICTION_BLOCKS, keys)
        ],
        "additional_columns_to_retain": ["source"],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }
    return json.dumps(settings, sort_keys=True)
