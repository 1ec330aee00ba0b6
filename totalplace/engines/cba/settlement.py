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
from typing import TYPE_CHECKING, Any

import yaml

from totalplace.engines.cba.appraise import Appraisal
from totalplace.engines.cba.model import year_number
from totalplace.engines.pool.fund import open_fund
from totalplace.engines.pool.variation import apply_variation, load_variation
from totalplace.errors import CbaError
from totalplace.money import largest_remainder
from totalplace.place import write_atomically

if TYPE_CHECKING:
    from totalplace.place import Place


def draft_variation(place: Place, pool: str, appraisal: Appraisal, proposal: dict[str, Any]) -> Path:
    """Write the proposal as a checked draft variation of ``pool``; the path written."""
    with place.read() as conn:
        agreement = open_fund(conn, pool).agreement
    payers = {
        r["partner"]: Decimal(r["proposed"]) for r in proposal["partners"] if Decimal(r["proposed"]) > 0
    }
    strangers = sorted(set(payers) - set(agreement.partners))
    if strangers:
        raise CbaError(
            f"{', '.join(strangers)} would contribute but {'is' if len(strangers) == 1 else 'are'} not a "
            f"partner of {pool}",
            hint=f"the pool's partners are {', '.join(agreement.partners)}; map the model's agencies to them "
            "with `agencies:` in the model, or add the partner to the pool first",
        )
    p = appraisal.prepared
    # the cost as budgeted (the amounts written in the model), not as appraised: the optimism-bias uplift
    # and uprating are for judging the case, not cash the partners pay
    yearly = [
        int(sum((line.amounts.get(year, Decimal(0)) for line in appraisal.model.costs), Decimal(0)) * 100)
        for year in p.years
    ]
    total = sum(payers.values(), Decimal(0))
    names = sorted(payers)
    weights = [Fraction(payers[n]) / Fraction(total) for n in names]
    changes: list[dict[str, Any]] = []
    outside = []
    for t, year in enumerate(p.years):
        if not yearly[t]:
            continue
        if year not in agreement.years:
            outside.append(year)
            continue
        for name, pence in zip(names, largest_remainder(yearly[t], weights), strict=True):
            if pence:
                changes.append(
                    {
                        "add_contribution": {
                            "partner": name,
                            "year": year,
                            "cash": f"{Decimal(pence) / 100:.2f}",
                        }
                    }
                )
    if not changes:
        raise CbaError(
            f"none of {appraisal.model.name}'s years falls in {pool}'s term",
            hint=f"the pool runs {agreement.years[0]} to {agreement.years[-1]}; extend its term first",
        )
    reason = (
        f"Funding {appraisal.model.title} ({appraisal.model.name}) by the {proposal['method']} wrong-pocket "
        f"settlement: each partner pays its share of each year's cost"
        + (f"; years outside the pool's term left out: {', '.join(outside)}" if outside else "")
    )
    document = {
        "effective": f"{year_number(p.years[0])}-04-01",
        "reason": reason,
        "changes": changes,
    }
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    name = f"{pool}-{appraisal.model.name}-{proposal['method']}.yaml"
    variation = load_variation(text, name)
    apply_variation(agreement, variation, name)  # refuse a draft the pool could not take
    folder = place.dir / "pools" / "drafts"
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / name, text.encode("utf-8"))
    return folder / name
