"""Whose each indicator is: the partner the framework names for it (``partner:``), as the access policy's
resource. Counting a file into an indicator (observations, aggregated records) is ``indicator.count`` on
that resource: the owning partner's roles and place-wide ones may; an indicator the framework gives no
partner, or does not list, is the whole place's and needs a place-wide role."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from totalplace.engines.outcomes.framework import Framework, current_framework
from totalplace.errors import NotFoundError
from totalplace.governance.policy import Resource
from totalplace.store.partners import list_partners

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal


def _partner_ids(conn: Connection) -> dict[str, int]:
    return {p.name.strip().lower(): p.id for p in list_partners(conn)}


def check_partners(conn: Connection, framework: Framework) -> None:
    """Refuse a framework whose indicator names a partner the place does not have (for saving it)."""
    known = _partner_ids(conn)
    for indicator_id, (_outcome, indicator) in framework.indicators().items():
        if indicator.partner is not None and indicator.partner.strip().lower() not in known:
            raise NotFoundError(
                f"indicator {indicator_id} names {indicator.partner!r} as its partner, which is not a "
                "partner of the place",
                hint=f"partners are: {', '.join(p.name for p in list_partners(conn)) or 'none yet'}",
            )


def indicator_resources(conn: Connection, ids: Iterable[str], *, strict: bool = True) -> dict[str, Resource]:
    """Each indicator id as a resource owned by the partner the framework in force names for it (None: the
    whole place's). An indicator naming a partner the place does not have is refused (with ``strict``; else
    left out, for a form that lists what may be counted into), never taken as the place's."""
    framework = current_framework(conn)
    listed = framework.indicators() if framework is not None else {}
    partners = _partner_ids(conn)
    out: dict[str, Resource] = {}
    for indicator_id in sorted(set(ids)):
        entry = listed.get(indicator_id)
        name = entry[1].partner if entry is not None else None
        owner = None
        if name is not None:
            owner = partners.get(name.strip().lower())
            if owner is None and not strict:
                continue
            if owner is None:
                raise NotFoundError(
                    f"the framework gives indicator {indicator_id} to {name!r}, which is not a partner "
                    "of the place",
                    hint="a partnership lead corrects the indicator's partner in the framework",
                )
        out[indicator_id] = Resource("indicator", indicator_id, owner=owner)
    return out


def authorize_count(principal: Principal, conn: Connection, ids: Iterable[str]) -> int | None:
    """Refuse unless ``principal`` may count into every one of the indicators (indicator.count); return the
    partner that owns them all when there is one (the batch is then that partner's), else None."""
    resources = indicator_resources(conn, ids)
    for resource in resources.values():
        principal.require("indicator.count", resource)
    owners = {r.owner for r in resources.values()}
    return owners.pop() if len(owners) == 1 else None
