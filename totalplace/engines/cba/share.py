"""``cba share``: the wrong-pocket settlement — who should pay what, so that no partner loses by taking part.

The partners are every agency that gains fiscal benefit and every partner that pays. With C the present
value of all costs and B_p partner p's present-value fiscal benefit (B = their sum):

- proportional: each pays C x B_p / B, so each keeps B_p (1 - C / B), which is >= 0 whenever B >= C;
- Shapley: the value of a coalition S is what it would gain by funding the intervention alone,
  v(S) = max(0, B_S - C); each partner keeps its Shapley value of that game and pays B_p less it. The values
  are never negative (v only grows as partners join) and never above B_p, and they sum to B - C, so the
  payments sum to C. Partners who gain nothing pay nothing under either method.

When the fiscal benefits do not cover the costs (B < C), no split leaves everyone whole: the shortfall is
shared in proportion to benefit and the proposal says so. Economic and social benefits belong to no partner
and do not enter the settlement (they are the public-value case for funding the shortfall).
All arithmetic is exact (Decimal); payments are rounded down to the penny and the pennies left over go one
each to the partners with the most to spare, so the payments sum to the cost exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from itertools import combinations
from math import factorial
from typing import Any, Final, Literal

from totalplace.engines.cba.appraise import Appraisal
from totalplace.engines.cba.results import PENNY, money, penny, pounds_text
from totalplace.errors import CbaError

Method = Literal["proportional", "shapley"]
MAX_SHAPLEY_PARTNERS: Final = 16  # 2^16 coalitions: exact and still instant


def _shapley(benefits: dict[str, Decimal], cost: Decimal) -> dict[str, Decimal]:
    names = list(benefits)
    n = len(names)
    if n > MAX_SHAPLEY_PARTNERS:
        raise CbaError(
            f"{n} partners: the exact Shapley value is limited to {MAX_SHAPLEY_PARTNERS}",
            hint="use --method proportional",
        )

    def value(members: tuple[str, ...]) -> Decimal:
        return max(Decimal(0), sum((benefits[m] for m in members), Decimal(0)) - cost)

    weights = [Decimal(factorial(k) * factorial(n - k - 1)) / Decimal(factorial(n)) for k in range(n)]
    out = dict.fromkeys(names, Decimal(0))
    for name in names:
        others = [m for m in names if m != name]
        for k in range(n):
            for members in combinations(others, k):
                out[name] += weights[k] * (value((*members, name)) - value(members))
    return out


@dataclass(frozen=True, slots=True)
class PartnerShare:
    """One partner's part of the settlement: its fiscal benefit, what it pays now and is proposed to pay, and
    its NPV before and after (money to the penny)."""

    partner: str
    fiscal_benefit: Decimal
    share_of_benefit: Decimal  # of all partners' fiscal benefit, to four places
    pays_now: Decimal
    npv_now: Decimal
    proposed: Decimal
    transfer: Decimal  # proposed less what it pays now
    npv_after: Decimal
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money and the share as text)."""
        return {
            "partner": self.partner,
            "fiscal_benefit": str(self.fiscal_benefit),
            "share_of_benefit": str(self.share_of_benefit),
            "pays_now": str(self.pays_now),
            "npv_now": str(self.npv_now),
            "proposed": str(self.proposed),
            "transfer": str(self.transfer),
            "npv_after": str(self.npv_after),
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class Proposal:
    """The wrong-pocket settlement of a model by one method: each partner's proposed contribution."""

    name: str
    method: Method
    costs: Decimal
    fiscal_benefits: Decimal
    covered: bool  # whether the fiscal benefits cover the costs, so every partner's NPV is at least nil
    note: str
    partners: tuple[PartnerShare, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money as text)."""
        return {
            "name": self.name,
            "method": self.method,
            "costs": str(self.costs),
            "fiscal_benefits": str(self.fiscal_benefits),
            "covered": self.covered,
            "note": self.note,
            "partners": [p.to_dict() for p in self.partners],
        }


def _proposed(method: Method, benefits: dict[str, Decimal], cost: Decimal) -> dict[str, Decimal]:
    """Each partner's exact contribution: Shapley where the benefits cover the cost, else pro rata."""
    total = sum(benefits.values(), Decimal(0))
    if method == "shapley" and total >= cost:
        kept = _shapley(benefits, cost)
        return {n: benefits[n] - kept[n] for n in benefits}
    return {n: cost * benefits[n] / total for n in benefits}


def _to_the_penny(
    proposed: dict[str, Decimal], benefits: dict[str, Decimal], cost: Decimal
) -> dict[str, Decimal]:
    """Round down, then give the pennies left over to those with the most to spare, one each: nobody is pushed
    below nil by rounding, and the contributions sum to the cost."""
    rounded = {n: v.quantize(PENNY, rounding=ROUND_DOWN) for n, v in proposed.items()}
    left = int((cost.quantize(PENNY) - sum(rounded.values(), Decimal(0))) / PENNY)
    for n in sorted(rounded, key=lambda n: benefits[n] - rounded[n], reverse=True)[: max(0, left)]:
        rounded[n] += PENNY
    return rounded


def _partner_share(
    name: str, benefit: Decimal, total: Decimal, paid: Decimal, proposed: Decimal
) -> PartnerShare:
    now, after = benefit - paid, benefit - proposed
    share_of_benefit = benefit / total
    reason = (
        f"{name} gains {pounds_text(benefit)} of fiscal benefit ({share_of_benefit:.1%} of all "
        f"partners'); pays {pounds_text(paid)} now (NPV {pounds_text(now)}); "
        f"proposed {pounds_text(proposed)}, leaving NPV {pounds_text(after)}"
    )
    return PartnerShare(
        partner=name,
        fiscal_benefit=penny(benefit),
        share_of_benefit=share_of_benefit.quantize(Decimal("0.0001")),
        pays_now=penny(paid),
        npv_now=penny(now),
        proposed=penny(proposed),
        transfer=penny(proposed - paid),
        npv_after=penny(after),
        explanation=reason,
    )


def share(appraisal: Appraisal, method: Method) -> Proposal:
    """The proposed contribution of each partner, with each one's NPV before and after and the reasons."""
    if method not in ("proportional", "shapley"):
        raise CbaError(f"no settlement method {method!r}", hint="proportional or shapley")
    p, f = appraisal.prepared, appraisal.flows
    payers = {name: Decimal(v.sum()) for name, v in appraisal.agency_costs().items()}
    gains = {name: Decimal(f.fiscal[0][i].sum()) for i, name in enumerate(p.agencies)}
    names = sorted(set(payers) | set(gains))
    benefits = {n: gains.get(n, Decimal(0)) for n in names}
    cost = sum(payers.values(), Decimal(0))
    total = sum(benefits.values(), Decimal(0))
    if total == 0:
        raise CbaError(
            f"{appraisal.model.name} brings no partner any fiscal benefit: there is nothing to share by",
            hint="the case rests on economic and social value; the partners must agree shares themselves",
        )
    rounded = _to_the_penny(_proposed(method, benefits, cost), benefits, cost)
    covered = total >= cost
    return Proposal(
        name=appraisal.model.name,
        method=method,
        costs=penny(cost),
        fiscal_benefits=penny(total),
        covered=covered,
        note=(
            "every partner's NPV is at least nil"
            if covered
            else f"fiscal benefits fall {money(cost - total)} short of the costs: the shortfall is shared in "
            "proportion to benefit, so every partner that gains loses a little; the economic and social "
            "benefits are the case for meeting it"
        ),
        partners=tuple(
            _partner_share(n, benefits[n], total, payers.get(n, Decimal(0)), rounded[n]) for n in names
        ),
    )
