"""Writing a wrong-pocket proposal as a draft variation of a pooled-fund agreement (DESIGN.md §6.2).

Each partner pays the same share of every year's cost as its share of the whole (its proposed contribution
over the present value of all costs), so the pool receives each year what the intervention's budget says it
spends that year (the amounts as written in the model, before any optimism-bias uplift).
The variation adds those contributions (cash), effective the first day of the intervention's first year. It
is checked against the pool's current agreement, then written to ``pools/drafts/`` in the place, not applied:
the partners agree it first, then ``totalplace pool vary POOL FILE`` makes it a new version.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from totalplace.engines.cba.appraise import Appraisal
from totalplace.engines.cba.model import year_number
from totalplace.engines.cba.share import Proposal
from totalplace.engines.pool.fund import open_fund
from totalplace.engines.pool.variation import apply_variation, load_variation
from totalplace.errors import CbaError
from totalplace.money import largest_remainder
from totalplace.place import write_atomically

if TYPE_CHECKING:
    from totalplace.engines.pool.agreement import Agreement
    from totalplace.place import Place


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


def draft_variation(place: Place, pool: str, appraisal: Appraisal, proposal: Proposal) -> Path:
    """Write the proposal as a checked draft variation of ``pool``; the path written."""
    with place.read() as conn:
        agreement = open_fund(conn, pool).agreement
    payers = _payers(proposal, agreement, pool)
    changes, outside = _contributions(appraisal, payers, agreement)
    model = appraisal.model
    if not changes:
        raise CbaError(
            f"none of {model.name}'s years falls in {pool}'s term",
            hint=f"the pool runs {agreement.years[0]} to {agreement.years[-1]}; extend its term first",
        )
    reason = (
        f"Funding {model.title} ({model.name}) by the {proposal.method} wrong-pocket "
        f"settlement: each partner pays its share of each year's cost"
        + (f"; years outside the pool's term left out: {', '.join(outside)}" if outside else "")
    )
    document = {
        "effective": f"{year_number(appraisal.prepared.years[0])}-04-01",
        "reason": reason,
        "changes": changes,
    }
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    name = f"{pool}-{model.name}-{proposal.method}.yaml"
    apply_variation(agreement, load_variation(text, name), name)  # refuse a draft the pool could not take
    folder = place.dir / "pools" / "drafts"
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / name, text.encode("utf-8"))
    return folder / name
