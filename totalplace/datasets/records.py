"""Importing a partner's extract of records about people, under the sharing agreement it names.

In order, before anything is written: the agreement must exist (TP920) and cover the flow (TP901/TP902, via
:func:`~totalplace.engines.people.agreement.check_flow`); the principal must be allowed ``records.import`` on
the partner's batch for the agreement's purpose; columns the flow does not list are dropped (and reported);
every row is checked, identifiers included (TP570-TP572), the whole file refused on any problem; identifiers
become pseudonyms under the purpose's key; and, where the agreement applies the national data opt-out to a
flow from an NHS body, records not on the current opt-out list are excluded. Then one parquet batch (kind
``person_records``) and, for direct care only, a restricted identities file are written and recorded with
their provenance in one transaction. No clear identifier reaches the batch, the result, the audit or a log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from totalplace import durable
from totalplace.datasets import records_rows as rows
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.records_schema import RECORDS_INPUT
from totalplace.datasets.recovery import file_sha256, import_lock, temp_parquet_path
from totalplace.datasets.source import read_path, read_source
from totalplace.datasets.table import locate_table
from totalplace.engines.people import optout
from totalplace.engines.people.agreement import FlowCheck, SharingAgreement, check_flow, load_agreement
from totalplace.errors import ConflictError, ImportRejectedError, NoAgreementError
from totalplace.governance.policy import Resource
from totalplace.governance.pseudonyms import purpose_key
from totalplace.store import audit, versions
from totalplace.store import people_records as store
from totalplace.store.catalog import Batch, NewBatch, find_by_sha, insert_batch, next_batch_id
from totalplace.store.clock import utc_now
from totalplace.store.partners import Partner, partner_by_name

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place

KIND = "person_records"
SHARING = "sharing"  # the kind of versioned object an agreement is (contract §1)
IDENTITIES_DIR = "identities"


@dataclass(frozen=True)
class RecordsResult:
    """What an import of records did: counts, columns dropped, warnings and the opt-out's effect; never an
    identifier."""

    status: Literal["imported", "unchanged"]
    batch: Batch
    provenance: store.RecordBatch
    records_kept: int
    warnings: tuple[str, ...] = ()
    opt_out: optout.OptOutOutcome | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "status": self.status,
            "batch": self.batch.to_dict(),
            "provenance": self.provenance.to_dict(),
            "records_read": self.provenance.records_read,
            "records_kept": self.records_kept,
            "dropped": list(self.provenance.dropped),
            "warnings": list(self.warnings),
            "opt_out": self.provenance.opt_out,
        }


@dataclass(frozen=True)
class _Agreed:
    """The agreement a flow names, as in force, and the partner sending it."""

    agreement: SharingAgreement
    version: int
    partner: Partner


def agreement_in_force(place: Place, name: str) -> tuple[SharingAgreement, int]:
    """The current version of the agreement called ``name`` (contract §1), or NoAgreementError (TP920)."""
    with place.read() as conn:
        found = versions.current(conn, SHARING, name)
    if found is None:
        raise NoAgreementError(
            f"no sharing agreement called {name!r}: records flow only under an agreement the place holds",
            hint="name an agreement the place holds, or ask the data protection officer to record one",
        )
    return load_agreement(found.body, f"{SHARING}:{name}"), found.version


def _authorized(place: Place, principal: Principal, partner: str, agreement: str, source: str) -> _Agreed:
    """The agreement and partner, once the policy allows ``records.import`` (before the file is read): on the
    partner's batch first, then for the purpose of the agreement named."""
    with place.read() as conn:
        sender = partner_by_name(conn, partner)
    label = f"{source} records from {partner}"
    principal.require("records.import", Resource("batch", label, owner=sender.id))
    agreed, version = agreement_in_force(place, agreement)
    principal.require("records.import", Resource("batch", label, owner=sender.id, purpose=agreed.purpose))
    return _Agreed(agreed, version, sender)


def import_records(
    place: Place,
    principal: Principal,
    source_file: Path | bytes,
    *,
    partner: str,
    agreement: str,
    source: str,
    mapping: dict[str, str] | None = None,
    source_name: str | None = None,
    today: dt.date | None = None,
    limits: ImportLimits | None = None,
) -> RecordsResult:
    """Import ``partner``'s extract of ``source`` records under the sharing agreement ``agreement``."""
    today = today or dt.date.today()
    limits = limits or ImportLimits.from_settings()
    agreed = _authorized(place, principal, partner, agreement, source)
    if isinstance(source_file, Path):
        name, data = source_name or source_file.name, read_path(source_file, limits)
    else:
        name, data = source_name or "upload", source_file
    sha = hashlib.sha256(data).hexdigest()
    schema = RECORDS_INPUT.with_mapping(mapping) if mapping else RECORDS_INPUT
    table = locate_table(read_source(data, name, limits).rows, schema, name, limits)
    flow = check_flow(agreed.agreement, partner, source, rows.flow_columns(table), today)
    with place.read() as conn:
        existing = find_by_sha(conn, KIND, sha)
        known = store.record_batch(conn, existing.id) if existing else None
    if existing is not None and known is not None:
        return RecordsResult("unchanged", existing, known, existing.row_count, flow.warnings)
    typed, problems = rows.validate_records(table, flow.kept, today, limits.max_problems)
    if problems:
        raise ImportRejectedError(name, problems)
    key = purpose_key(place, agreed.agreement.purpose, actor=principal.username)
    info = rows.Flow(partner, source, agreed.agreement.name, agreed.agreement.purpose, sha)
    columns = rows.record_columns(typed, info, key)
    keep, outcome = _opt_out(place, agreed, typed.columns.get("nhs_number"), len(typed.source_rows), today)
    written = _Written(
        rows.records_arrow(rows.kept_rows(columns, keep)),
        _identities(agreed, typed, columns["record_id"], keep),
    )
    provenance = _Provenance(agreed, source, key.generation, len(keep), _dropped(flow), outcome)
    batch, kept = _write(place, written, provenance, NewBatch(
        kind=KIND, partner_id=agreed.partner.id, source_name=name, sha256=sha, size_bytes=len(data),
        importer=principal.username, imported_at=utc_now(), row_count=written.records.num_rows, totals={},
        parquet_path="", parquet_sha256="",
    ))  # fmt: skip
    return RecordsResult("imported", batch, kept, written.records.num_rows, flow.warnings, outcome)


def _dropped(flow: FlowCheck) -> list[str]:
    """The columns not kept: those the flow does not list, and those it lists that are no field of records."""
    known = {c.name for c in RECORDS_INPUT.columns}
    return [*flow.dropped, *(c for c in flow.kept if c not in known)]


def _opt_out(
    place: Place, agreed: _Agreed, nhs_numbers: list[Any] | None, count: int, today: dt.date
) -> tuple[list[bool], optout.OptOutOutcome]:
    """Which records to keep, and what the opt-out did (or why it did not apply, with the exemption)."""
    deal = agreed.agreement
    if not deal.applies_opt_out:
        why = (
            "direct care: the national data opt-out does not apply"
            if deal.purpose == "direct_care"
            else "the agreement relies on an exemption from the national data opt-out"
        )
        return [True] * count, optout.OptOutOutcome(False, why, exemption=deal.opt_out_exemption)
    if agreed.partner.kind != optout.NHS_KIND:
        why = "the records do not come from an NHS body, so the national data opt-out does not cover them"
        return [True] * count, optout.OptOutOutcome(False, why)
    listed = optout.current_list(place, today, actor="import")
    return optout.apply_opt_out(listed, list(nhs_numbers or [None] * count))


def _identities(agreed: _Agreed, typed: Any, record_ids: list[str], keep: list[bool]) -> pa.Table | None:
    """The clear identifiers, kept only under a direct-care agreement."""
    if agreed.agreement.purpose != "direct_care":
        return None
    return rows.identities_arrow(rows.kept_rows(rows.identity_columns(typed, record_ids), keep))


@dataclass(frozen=True)
class _Written:
    records: pa.Table
    identities: pa.Table | None


@dataclass(frozen=True)
class _Provenance:
    agreed: _Agreed
    source: str
    key_generation: int
    records_read: int
    dropped: list[str]
    opt_out: optout.OptOutOutcome = field(default_factory=lambda: optout.OptOutOutcome(False, ""))

    def row(self, batch_id: int, identities: tuple[str, str] | None) -> store.RecordBatch:
        """The provenance row of batch ``batch_id``."""
        return store.RecordBatch(
            batch_id,
            self.agreed.agreement.name,
            self.agreed.version,
            self.agreed.agreement.purpose,
            self.source,
            self.key_generation,
            self.records_read,
            self.dropped,
            self.opt_out.to_dict(),
            identities[0] if identities else None,
            identities[1] if identities else None,
        )


def identities_dir(place: Place) -> Path:
    """Where the restricted direct-care identities files live (apart from the batches, 0700)."""
    return place.batches_dir.parent / IDENTITIES_DIR


def _write_temp(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path, compression="zstd")
    durable.fsync_path(path)
    return path


def _write(
    place: Place, written: _Written, provenance: _Provenance, new: NewBatch
) -> tuple[Batch, store.RecordBatch]:
    """Write the files under temporary names, then move them in and record them in one transaction."""
    tmp = _write_temp(written.records, temp_parquet_path(place))
    folder = identities_dir(place)
    tmp_ids = None
    if written.identities is not None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        tmp_ids = _write_temp(
            written.identities, folder / f".tmp-{os.getpid()}-{os.urandom(8).hex()}.parquet"
        )
    try:
        return _commit(place, tmp, tmp_ids, provenance, new)
    finally:
        tmp.unlink(missing_ok=True)
        if tmp_ids is not None:
            tmp_ids.unlink(missing_ok=True)


def _commit(
    place: Place, tmp: Path, tmp_ids: Path | None, provenance: _Provenance, new: NewBatch
) -> tuple[Batch, store.RecordBatch]:
    new = NewBatch(**{**new.__dict__, "parquet_sha256": file_sha256(tmp)})
    with import_lock(place), place.begin() as conn:
        audit.lock_head(conn)
        if find_by_sha(conn, KIND, new.sha256) is not None:  # the same bytes, imported meanwhile
            raise ConflictError(
                f"{new.source_name} was imported by someone else while it was being read",
                hint="nothing more was written; see the batch already imported",
            )
        batch_id = next_batch_id(conn)
        stem = f"{batch_id:07d}-{new.sha256[:12]}.parquet"
        final = place.batches_dir / f"{KIND}-{stem}"
        final_ids = identities_dir(place) / f"person_identities-{stem}"
        identities = (final_ids.name, file_sha256(tmp_ids)) if tmp_ids is not None else None
        os.replace(tmp, final)
        if tmp_ids is not None:
            os.replace(tmp_ids, final_ids)
        try:
            durable.fsync_dir(place.batches_dir)
            batch = insert_batch(conn, batch_id, NewBatch(**{**new.__dict__, "parquet_path": final.name}))
            kept = provenance.row(batch_id, identities)
            store.insert_record_batch(conn, kept, actor=new.importer)
        except BaseException:
            final.unlink(missing_ok=True)
            final_ids.unlink(missing_ok=True)
            raise
    return batch, kept
