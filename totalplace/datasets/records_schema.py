"""What a partner's extract of records about people may hold, and the shape its batch is stored in.

A file is read by the canonical fields below (each under the headers partners' systems use for it, or the
user's own mapping, as spend files are). Identifiers are checked (:mod:`.identifiers`) and then replaced by
their match keys' pseudonyms: the stored batch (kind ``person_records``) holds no clear identifier. For a
direct-care agreement only, the clear identifiers are kept apart in a restricted file (``person_identities``).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Final, Literal

from totalplace.datasets.schema import ColumnSpec, DatasetSchema
from totalplace.engines.people.matchkeys import KEYS

if TYPE_CHECKING:
    import pyarrow as pa

#: The identifiers a record may carry: checked, turned into match keys, and never stored in the clear
#: outside the direct-care identities file.
IDENTIFIERS: Final[tuple[str, ...]] = (
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "postcode",
    "address",
    "uprn",
    "local_id",
)

RECORDS_INPUT = DatasetSchema(
    kind="person_records",
    title="Records about people (a partner's extract, under a sharing agreement)",
    description=(
        "One row per event in a person's life a partner records (a referral, a contact, an incident, an "
        "exclusion, a benefit claim), with the person's identifiers; pseudonymised at import."
    ),
    columns=(
        ColumnSpec("nhs_number", "text", False, ("nhs no", "nhs number", "nhsno", "nhs_num")),
        ColumnSpec("given_name", "text", False, ("forename", "first name", "firstname", "given names")),
        ColumnSpec("family_name", "text", False, ("surname", "last name", "lastname")),
        ColumnSpec("date_of_birth", "text", False, ("dob", "birth date", "birthdate", "date of birth")),
        ColumnSpec("postcode", "text", False, ("post code", "postal code", "pcd")),
        ColumnSpec("address", "text", False, ("address line", "full address", "address 1")),
        ColumnSpec("uprn", "text", False, ("property uprn",)),
        ColumnSpec("local_id", "text", False, ("person id", "client id", "person ref", "local ref")),
        ColumnSpec("related_local_id", "text", False, ("related person id", "related id")),
        ColumnSpec("relationship", "text", False, ("relationship to person", "relation")),
        ColumnSpec("event_date", "date", True, ("date of event", "contact date", "start date")),
        ColumnSpec("event_type", "text", True, ("event", "contact type", "activity")),
        ColumnSpec("event_detail", "text", False, ("detail", "details", "outcome")),
        ColumnSpec("event_end", "date", False, ("end date", "date ended")),
        ColumnSpec("sex", "text", False, ("gender",)),
        ColumnSpec(
            "area_code", "code", False, ("lsoa", "lsoa code", "lsoa21cd", "lsoa11cd"), pattern=r"[EWSNK]\d{8}"
        ),
    ),
)

#: The columns of a person_records batch (contract §2 of issue 17), then one ``mk_<key>`` per match key. The
#: types are named, not PyArrow's, so that knowing the kind (the catalog, the CLI) does not load PyArrow.
StoredType = Literal["text", "date", "integer"]
STORED_FIELDS: Final[tuple[tuple[str, StoredType], ...]] = (
    ("record_id", "text"),
    ("partner", "text"),
    ("source", "text"),
    ("agreement", "text"),
    ("purpose", "text"),
    ("event_date", "date"),
    ("event_type", "text"),
    ("event_detail", "text"),
    ("event_end", "date"),
    ("sex", "text"),
    ("birth_year", "integer"),
    ("area_code", "text"),
    ("relationship", "text"),
    ("mk_related", "text"),
    *((f"mk_{key}", "text") for key in KEYS),
)


def _arrow_type(kind: StoredType) -> pa.DataType:
    import pyarrow as pa

    return {"text": pa.string(), "date": pa.date32(), "integer": pa.int64()}[kind]


@cache
def records_arrow_schema() -> pa.Schema:
    """The Arrow schema a person_records batch is written and read in."""
    import pyarrow as pa

    return pa.schema([pa.field(name, _arrow_type(kind)) for name, kind in STORED_FIELDS])


@cache
def identities_arrow_schema() -> pa.Schema:
    """The restricted direct-care file: the record's id and its identifiers as the partner gave them
    (checked)."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("record_id", pa.string()),
            *(
                pa.field(name, _arrow_type("date" if name == "date_of_birth" else "text"))
                for name in IDENTIFIERS
            ),
        ]
    )


#: The stored shape as a dataset schema, so the catalog and analytics know the kind (its columns are text,
#: dates and integers; the import itself reads files by :data:`RECORDS_INPUT`).
RECORDS_STORED = DatasetSchema(
    kind="person_records",
    title=RECORDS_INPUT.title,
    description="Pseudonymised records about people: match-key pseudonyms, event, birth year, small area.",
    columns=tuple(ColumnSpec(name, kind, required=False) for name, kind in STORED_FIELDS),
)
