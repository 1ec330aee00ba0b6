"""Writing a wrong-pocket proposal as a draft variation of a pooled-fund agreement (DESIGN.md §6.2).

Each partner pays the same share of every year's cost as its share of the whole (its proposed contribution
over the present value of all costs), so the pool receives each year what the intervention's budget says it
spends that year (the amounts as written in the model, before any optimism-bias uplift).
The variation adds those contributions (cash), effective the first day of the intervention's first year. It
is checked against the pool's current agreement, then kept in the store as a versioned object
(``settlement_draft:POOL.MODEL.METHOD``), not applied: the partners agree it first, then
``totalplace versions show settlement_draft:NAME > FILE`` and ``totalplace pool vary POOL FILE`` make it a new
version of the agreement. Only those who may manage the pool (``pool.manage``) may write a draft for it.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Final

import yaml
from sqlalchemy import Connection

from totalplace.engines.cba.appraise import Appraisal
from totalplace.engines.cba.model import year_number
from totalplace.engines.cba.share import Proposal
from totalplace.engines.pool.fund import open_fund
from totalplace.engines.pool.variation import apply_variation, load_variation
from totalplace.errors import CbaError, NotFoundError
from totalplace.governance.policy import Resource
from totalplace.money import largest_remainder
from totalplace.store import versions
from totalplace.store.partners import list_partners

if TYPE_CHECKING:
    from totalplace.engines.pool.agreement import Agreement
    from totalplace.governance.roles import Principal
    from totalplace.place import Place
    from totalplace.store.versions import Version

KIND: Final = "settlement_draft"


def _payers(proposal: Proposal, agreement: Agreement, pool: str) -> dict[str, Decimal]:
    """Who the proposal has contribute, and how much; CbaError naming any who is not a partner of the pool."""
    payers = {r.partner: r.proposed for r in proposal.partners if r.proposed > 0}
    strangers = sorted(set(payers) - set(agreement.partners))
    if strangers:
        raise CbaError(
            f"{', '.join(strangers)} would contribute but {'is' if len(strangers) == 1 else 'are'} not a "
            f"partner of {pool}",
            hint=f"the pool's partners are {', '.join(agreement.partners)}; map the model's agencies to them "
            "with `agencies:` in the model, or add the partner to the pool first",
        )
    return payers


def _budgeted_pence(appraisal: Appraisal) -> list[int]:
    """Each year's cost as budgeted (the amounts written in the model), in pence, not as appraised: the
    optimism-bias uplift and uprating are for judging the case, not cash the partners pay."""
    return [
        int(sum((line.amounts.get(year, Decimal(0)) for line in appraisal.model.costs), Decimal(0)) * 100)
        for year in appraisal.prepared.years
    ]


def _contributions(
    appraisal: Appraisal, payers: dict[str, Decimal], agreement: Agreement
) -> tuple[list[dict[str, object]], list[str]]:
    """The variation's changes (each payer's share of each year's cost within the pool's term), and the
    years with a cost that fall outside that term."""
    yearly = _budgeted_pence(appraisal)
    total = sum(payers.values(), Decimal(0))
    names = sorted(payers)
    weights = [Fraction(payers[n]) / Fraction(total) for n in names]
    changes: list[dict[str, object]] = []
    outside = []
    for t, year in enumerate(appraisal.prepared.years):
        if not yearly[t]:
            continue
        if year not in agreement.years:
            outside.append(year)
            continue
        for name, pence in zip(names, largest_remainder(yearly[t], weights), strict=True):
            if pence:
                cash = f"{Decimal(pence) / 100:.2f}"
                changes.append({"add_contribution": {"partner": name, "year": year, "cash": cash}})
    return changes, outside


def pool_resource(conn: Connection, pool: str, agreement: Agreement | None) -> Resource:
    """The pool as the access policy sees it: its partners' and host's ids as the place knows them (a pool
    the place does not hold is a resource only a place-wide role reaches)."""
    if agreement is None:
        return Resource("pool", pool)
    ids = {p.name: p.id for p in list_partners(conn)}
    members = frozenset(ids[p] for p in agreement.partners if p in ids)
    return Resource("pool", pool, members=members, host=ids.get(agreement.host))


def draft_name(pool: str, model: str, method: str) -> str:
    """The versioned object's name of a draft: ``POOL.MODEL.METHOD`` (none of them holds a dot)."""
    return f"{pool}.{model}.{method}"


def draft_pool(name: str) -> str:
    """The pool a draft's name names ("" for a draft kept before drafts were named so)."""
    pool, sep, _ = name.partition(".")
    return pool if sep else ""


def draft_variation(
    place: Place,
    pool: str,
    appraisal: Appraisal,
    proposal: Proposal,
    principal: Principal,
    *,
    reason: str = "",
) -> Version:
    """Write the proposal as a checked draft variation of ``pool`` (the versioned object
    ``settlement_draft:POOL.MODEL.METHOD``), if ``principal`` may manage the pool (``pool.manage``)."""
    with place.read() as conn:
        agreement = open_fund(conn, pool).agreement
        principal.require("pool.manage", pool_resource(conn, pool, agreement))
    payers = _payers(proposal, agreement, pool)
    changes, outside = _contributions(appraisal, payers, agreement)
    model = appraisal.model
    if not changes:
        raise CbaError(
            f"none of {model.name}'s years falls in {pool}'s term",
            hint=f"the pool runs {agreement.years[0]} to {agreement.years[-1]}; extend its term first",
        )
    why = (
        f"Funding {model.title} ({model.name}) by the {proposal.method} wrong-pocket "
        f"settlement: each partner pays its share of each year's cost"
        + (f"; years outside the pool's term left out: {', '.join(outside)}" if outside else "")
    )
    document = {
        "effective": f"{year_number(appraisal.prepared.years[0])}-04-01",
        "reason": why,
        "changes": changes,
    }
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    name = draft_name(pool, model.name, proposal.method)
    apply_variation(
        agreement, load_variation(text, f"{name}.yaml"), f"{name}.yaml"
    )  # refuse what it can't take
    return keep_draft(place, name, text, principal, reason=reason or f"drafted from {model.name}")


def keep_draft(
    place: Place, name: str, text: str, principal: Principal, *, reason: str, restored_from: int | None = None
) -> Version:
    """Keep a draft's text as its next version, if ``principal`` may manage its pool."""
    with place.begin() as conn:
        pool = draft_pool(name)
        try:
            agreement = open_fund(conn, pool).agreement if pool else None
        except NotFoundError:  # a draft of a pool since removed: only a place-wide role may keep it
            agreement = None
        principal.require("pool.manage", pool_resource(conn, pool, agreement))
        return versions.add(
            conn,
            kind=KIND,
            name=name,
            body=text,
            owner_id=None,
            actor=principal.username,
            reason=reason,
            restored_from=restored_from,
        )
