"""Records about people as linkage and the pages read them: pseudonymised, for one purpose.

:func:`records_table` gives every active person_records batch shared for a purpose (contract §2 of issue 17),
the national data opt-out already applied at import. Only batches pseudonymised under the purpose's key in
force are given: a batch of an earlier key generation no longer agrees with new ones (see
:mod:`totalplace.governance.pseudonyms`); the table's metadata lists the batches left out.
:func:`identities` gives the clear identifiers kept for direct care, to whom the policy allows, with a reason,
audited with who, whom and why.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from totalplace.datasets.records import identities_dir
from totalplace.datasets.records_schema import identities_arrow_schema, records_arrow_schema
from totalplace.errors import PeopleReasonRequiredError
from totalplace.governance.policy import Resource
from totalplace.store import audit
from totalplace.store import people_records as store
from totalplace.store.catalog import get_batch

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place

DIRECT_CARE = "direct_care"


def _require_people(principal: Principal, purpose: str) -> None:
    """Allow ``people.link`` or ``people.read`` on the purpose's people; otherwise refuse as people.read."""
    resource = Resource("people", purpose, purpose=purpose)
    if not (principal.can("people.link", resource) or principal.can("people.read", resource)):
        principal.require("people.read", resource)


def records_table(place: Place, principal: Principal, purpose: str) -> pa.Table:
    """Every current person_records batch of ``purpose`` as one table (pseudonyms, no clear identifier)."""
    _require_people(principal, purpose)
    with place.read() as conn:
        kept = store.record_batches_of(conn, purpose)
        latest = store.latest_generation(conn, purpose)
        paths = {b.batch_id: place.batches_dir / get_batch(conn, b.batch_id).parquet_path for b in kept}
    current = [b for b in kept if latest is not None and b.key_generation == latest.generation]
    left_out = [b.batch_id for b in kept if b not in current]
    tables = [pq.read_table(paths[b.batch_id], schema=records_arrow_schema()) for b in current]
    table = pa.concat_tables(tables) if tables else records_arrow_schema().empty_table()
    used = [b.batch_id for b in current]
    with place.begin() as conn:  # every read of person-level data is audited (DESIGN.md §7)
        audit.append(
            conn,
            actor=principal.username,
            action="records.read",
            object_type="people",
            object_id=purpose,
            detail={"batches": used, "rows": table.num_rows, "batches_of_earlier_keys": left_out},
        )
    meta = {
        b"purpose": purpose.encode(),
        b"batches": json.dumps(used).encode(),
        b"batches_of_earlier_keys": json.dumps(left_out).encode(),
    }
    return table.replace_schema_metadata(meta)


def identities(place: Place, principal: Principal, record_ids: list[str], reason: str) -> pa.Table:
    """The clear identifiers kept for direct care of the records ``record_ids``, for a principal the policy
    allows ``person.reveal`` (the lead, until the cases issue adds relationships), with a recorded reason.

    The view is audited: who asked, for which records, and why. Records not kept for direct care give none.
    """
    if not reason.strip():
        raise PeopleReasonRequiredError(
            "say why you need this person's identifiable details",
            hint="the reason is kept in the audit trail",
        )
    wanted = sorted(set(record_ids))
    principal.require("person.reveal", Resource("person", ",".join(wanted)[:200], purpose=DIRECT_CARE))
    with place.read() as conn:
        kept = [b for b in store.record_batches_of(conn, DIRECT_CARE) if b.identities_path]
    schema = identities_arrow_schema()
    tables = [pq.read_table(identities_dir(place) / str(b.identities_path), schema=schema) for b in kept]
    table = pa.concat_tables(tables) if tables else schema.empty_table()
    found = table.filter(pc.is_in(table.column("record_id"), value_set=pa.array(wanted, pa.string())))
    with place.begin() as conn:
        audit.append(
            conn,
            actor=principal.username,
            action="person.reveal",
            object_type="person_records",
            object_id=",".join(wanted)[:500],
            detail={"records": wanted, "found": found.num_rows, "reason": reason.strip()},
        )
    return found
