"""Who may import each kind of data and who may download a batch, asked of the one access policy.

What each kind of data is, and so which action importing it takes, is :data:`kinds.ACCESS_ACTIONS` and
each kind's ``access`` (docs/guide.md shows the table, made by :func:`kind_actions`):

- a partner's own data (spending, sites) needs ``batch.import`` on the batch of the partner the import
  names; an import of such data that names no partner is refused (TP207);
- data of the whole place (geography, census tables, area measures) needs ``geography.change``, and names
  no partner: it is nobody's to import on a partner's behalf;
- observations need ``indicator.count`` on every indicator the file counts into, owned by the partner the
  framework names for it (:mod:`totalplace.engines.outcomes.owners`).

A batch's raw rows download (``batch.download``) for the importing partner's roles, place-wide leads and
auditors; a batch of the whole place's data, for place-wide leads and auditors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from totalplace.datasets.kinds import KINDS, DatasetKind
from totalplace.errors import InvalidInputError
from totalplace.governance.policy import Resource

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from totalplace.governance.roles import Principal
    from totalplace.store.catalog import Batch

# A batch that belongs to no partner is the place's: not a "batch" resource (which must name its partner,
# TP207) but one only place-wide roles reach.
PLACE_BATCH = "place-batch"


def kind_actions() -> list[tuple[str, str, str]]:
    """(kind, whose data it is, the action importing it takes) for every kind, for the docs and the CLI."""
    whose = {
        "partner": "the partner named",
        "place": "the whole place",
        "indicator": "the indicator's partner",
        "records": "the partner named, for its agreement's purpose",
    }
    return [(name, whose[kind.access], kind.action) for name, kind in KINDS.items()]


def kinds_markdown() -> str:
    """The kind -> action table as docs/guide.md shows it (a test keeps the guide so)."""
    rows = [f"| `{kind}` | {whose} | `{action}` |" for kind, whose, action in kind_actions()]
    return "\n".join(["| kind of data | whose it is | action it takes |", "|---|---|---|", *rows])


def check_import(
    principal: Principal, kind: DatasetKind, partner_id: int | None, partner: str | None = None
) -> None:
    """Refuse, before anything is read, an import of ``kind`` for ``partner_id`` the policy does not allow.

    Observations are checked here only as far as they can be (some indicator the principal may count into);
    :func:`check_indicators` decides once the file's indicators are known.
    """
    if kind.access == "records":
        raise InvalidInputError(
            "records about people are imported under the sharing agreement they come through",
            hint="import them as records, naming the partner, the agreement and the kind of records",
        )
    if kind.access == "partner":
        name = f"of {kind.schema.kind} for {partner}" if partner else f"of {kind.schema.kind}"
        principal.require("batch.import", Resource("batch", name, owner=partner_id))
        return
    if partner_id is not None:
        raise InvalidInputError(
            f"{kind.schema.title} belong to the whole place, not to one partner",
            hint="import it for the whole place (name no partner)",
        )
    if kind.access == "place":
        principal.require("geography.change")
    else:
        principal.require_any("indicator.count")


def check_indicators(principal: Principal, conn: Connection, ids: list[str]) -> int | None:
    """Refuse unless ``principal`` may count into every indicator of an observations file; the partner that
    owns them all (the batch is recorded as that partner's), else None."""
    from totalplace.engines.outcomes.owners import authorize_count

    return authorize_count(principal, conn, ids)


def check_change(principal: Principal, batch: Batch) -> None:
    """Refuse a change to a recorded batch (superseding it) unless the principal could have imported it: a
    partner's batch by that partner's importers, the place's by those who may change the place's data."""
    kind = KINDS.get(batch.kind)
    if kind is not None and kind.access == "records" and batch.partner_id is not None:
        principal.require("records.import", Resource("batch", str(batch.id), owner=batch.partner_id))
    elif batch.partner_id is not None:
        principal.require("batch.import", Resource("batch", str(batch.id), owner=batch.partner_id))
    elif kind is not None and kind.access == "indicator":
        principal.require("indicator.count", Resource("indicator", str(batch.id)))
    elif kind is not None and kind.access == "partner":
        principal.require("batch.import", Resource("batch", str(batch.id)))  # names no partner: TP207
    else:
        principal.require("geography.change")


def batch_resource(batch: Batch) -> Resource:
    """The batch as the policy's resource: the importing partner's, or the whole place's."""
    if batch.partner_id is None:
        return Resource(PLACE_BATCH, str(batch.id))
    return Resource("batch", str(batch.id), owner=batch.partner_id)


def is_records(batch: Batch) -> bool:
    """Whether the batch holds records about people: never downloaded as a file, whoever asks (they are
    read for their agreement's purpose only, through :mod:`totalplace.engines.people.records`)."""
    kind = KINDS.get(batch.kind)
    return kind is not None and kind.access == "records"


def may_download(principal: Principal, batch: Batch) -> bool:
    """Whether ``principal`` may download the batch's raw rows (to show the link; the export asks again)."""
    return not is_records(batch) and principal.can("batch.download", batch_resource(batch))
