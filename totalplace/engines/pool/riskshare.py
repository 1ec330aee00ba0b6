"""The risk-share clause, executed: who bears an overspend and who gets an underspend, to the penny.

The year's variance is spend minus the money available (contributions, cash and in-kind, plus anything
brought forward). An overspend passes through the clause's steps in order, each taking what it can of what is
left: ``causer_pays`` (a scheme's owner bears that scheme's overspend against budget), ``host_first`` (the
host bears up to £N), ``band`` (up to £N or N% of the year's contributions, split by a share rule) and
``rest``.
Anything no step takes is shared pro rata to contribution. Liability caps are then enforced: what a capped
partner would bear above its cap is shared among the partners below theirs, pro rata to contribution; if every
partner is at its cap, the host bears the remainder (the clause is silent, and the host holds the fund).
An underspend is split by its share rule and returned, carried forward (up to an optional limit, the rest
returned), or reinvested in a named scheme next year. Every split uses largest-remainder allocation, so the
parts always add up to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from totalplace.engines.pool.agreement import Layer, RiskShare, ShareRule
from totalplace.money import Money


@dataclass(frozen=True)
class YearActuals:
    """What happened in one financial year, in pence: the inputs of a settlement."""

    year: str
    host: str
    partners: tuple[str, ...]
    contributions: dict[str, int]
    brought_forward: dict[str, int]
    scheme_spend: dict[str, int]
    scheme_budgets: dict[str, int]
    scheme_owners: dict[str, str]
    leaving: tuple[str, ...] = ()

    @property
    def available(self) -> int:
        """Contributions plus brought forward."""
        return sum(self.contributions.values()) + sum(self.brought_forward.values())

    @property
    def spend(self) -> int:
        """Spend on every scheme."""
        return sum(self.scheme_spend.values())


@dataclass(frozen=True)
class Step:
    """One step of the clause as applied: what it took and how it split it."""

    step: str
    amount: int
    shares: dict[str, int]


@dataclass
class PartnerShare:
    """One partner's settlement: the figures of its statement, in pence."""

    partner: str
    contribution: int
    brought_forward: int
    overspend: int = 0
    underspend: int = 0
    returned: int = 0
    carried_forward: int = 0

    @property
    def settlement(self) -> int:
        """Money the partner pays in (positive) or receives back (negative)."""
        return self.overspend - self.returned

    @property
    def share_of_spend(self) -> int:
        """The spend this partner bears: contributions + brought forward + settlement - carried forward."""
        return self.contribution + self.brought_forward + self.settlement - self.carried_forward


@dataclass
class Settlement:
    """The settlement of a year: the variance, each partner's share, and the steps that produced them."""

    year: str
    available: int
    spend: int
    partners: list[PartnerShare]
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reinvest_into: str | None = None

    @property
    def variance(self) -> int:
        """Spend minus available: positive is an overspend."""
        return self.spend - self.available

    def partner(self, name: str) -> PartnerShare:
        """The share of the partner called ``name``."""
        return next(p for p in self.partners if p.partner == name)


def settle_year(actuals: YearActuals, clause: RiskShare) -> Settlement:
    """Apply the risk-share clause to a year's actuals.

    £1,000 pooled (Council £600, NHS £400) and £1,100 spent: by default the £100 overspend is shared pro rata
    to contribution; a clause where the host bears the first £25 and the two split the rest equally:

    >>> from totalplace.engines.pool.agreement import Layer, RiskShare, ShareRule
    >>> year = YearActuals(
    ...     "2024-25", "Council", ("Council", "NHS"), {"Council": 60_000, "NHS": 40_000}, {},
    ...     {"care": 110_000}, {"care": 100_000}, {"care": "NHS"},
    ... )
    >>> settled = settle_year(year, RiskShare())
    >>> settled.variance, [(p.partner, p.overspend) for p in settled.partners]
    (10000, [('Council', 6000), ('NHS', 4000)])
    >>> equal = ShareRule(rule="equal")
    >>> host_first = [Layer(step="host_first", amount="25.00"), Layer(step="rest", share=equal)]
    >>> [(p.partner, p.overspend) for p in settle_year(year, RiskShare(overspend=host_first)).partners]
    [('Council', 6250), ('NHS', 3750)]
    """
    shares = [
        PartnerShare(p, actuals.contributions.get(p, 0), actuals.brought_forward.get(p, 0))
        for p in actuals.partners
    ]
    result = Settlement(actuals.year, actuals.available, actuals.spend, shares)
    if result.variance > 0:
        _share_overspend(result, actuals, clause)
    elif result.variance < 0:
        _share_underspend(result, actuals, clause)
    return result


def split(
    amount: int, rule: ShareRule, actuals: YearActuals, among: tuple[str, ...] | None = None
) -> dict[str, int]:
    """``amount`` split between partners (all, or ``among``) by ``rule``.

    The parts always add up to ``amount``; a penny that cannot be split goes to the larger remainder:

    >>> from totalplace.engines.pool.agreement import ShareRule
    >>> paid_in = {"Council": 60, "NHS": 40}
    >>> year = YearActuals("2024-25", "Council", ("Council", "NHS"), paid_in, {}, {}, {}, {})
    >>> split(1001, ShareRule(), year), split(1001, ShareRule(rule="equal"), year)
    ({'Council': 601, 'NHS': 400}, {'Council': 501, 'NHS': 500})
    >>> split(100, ShareRule(rule="fixed", percentages={"Council": "33.3", "NHS": "66.7"}), year)
    {'Council': 33, 'NHS': 67}
    """
    names = among if among is not None else actuals.partners
    weights: list[Decimal]
    if rule.rule == "fixed":
        weights = [rule.percentages.get(p, Decimal(0)) for p in names]
    elif rule.rule == "pro_rata":
        weights = [Decimal(actuals.contributions.get(p, 0)) for p in names]
    else:
        weights = [Decimal(1)] * len(names)
    if not any(weights):
        weights = [Decimal(1)] * len(names)
    return dict(zip(names, (m.pence for m in Money(amount).allocate(weights)), strict=True))


def _share_overspend(result: Settlement, actuals: YearActuals, clause: RiskShare) -> None:
    left = result.variance
    borne = dict.fromkeys(actuals.partners, 0)
    for layer in clause.overspend:
        if left <= 0:
            break
        shares = _layer_shares(layer, left, actuals)
        taken = sum(shares.values())
        if taken:
            result.steps.append(Step(layer.step, taken, shares))
            for partner, amount in shares.items():
                borne[partner] += amount
            left -= taken
    if left > 0:
        shares = split(left, ShareRule(), actuals)
        result.steps.append(Step("rest", left, shares))
        for partner, amount in shares.items():
            borne[partner] += amount
    _apply_caps(borne, clause, actuals, result)
    for share in result.partners:
        share.overspend = borne[share.partner]


def _layer_shares(layer: Layer, left: int, actuals: YearActuals) -> dict[str, int]:
    if layer.step == "causer_pays":
        over = {
            s: max(0, spend - actuals.scheme_budgets.get(s, 0)) for s, spend in actuals.scheme_spend.items()
        }
        over = {s: v for s, v in over.items() if v > 0}
        if not over:
            return {}
        take = min(left, sum(over.values()))
        parts = Money(take).allocate([over[s] for s in over])
        shares: dict[str, int] = {}
        for scheme, part in zip(over, parts, strict=True):
            owner = actuals.scheme_owners[scheme]
            owner = owner if owner in actuals.partners else actuals.host
            shares[owner] = shares.get(owner, 0) + part.pence
        return shares
    if layer.step == "host_first":
        return {actuals.host: min(left, layer.amount or 0)}
    if layer.step == "band":
        size = (
            layer.amount
            if layer.amount is not None
            else _percent_of(sum(actuals.contributions.values()), layer.percent or Decimal(0))
        )
        take = min(left, size)
        return split(take, layer.share, actuals) if take > 0 else {}
    return split(left, layer.share, actuals)


def _percent_of(pence: int, percent: Decimal) -> int:
    return int((Decimal(pence) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _apply_caps(borne: dict[str, int], clause: RiskShare, actuals: YearActuals, result: Settlement) -> None:
    caps = {p: c for p, c in clause.caps.items() if p in borne}
    while True:
        excess = sum(max(0, borne[p] - cap) for p, cap in caps.items())
        if excess == 0:
            return
        for partner, cap in caps.items():
            borne[partner] = min(borne[partner], cap)
        room = tuple(p for p in actuals.partners if p not in caps or borne[p] < caps[p])
        if not room:
            borne[actuals.host] += excess
            result.notes.append(f"every partner is at its cap; the host bears the remaining {Money(excess)}")
            return
        moved = split(excess, ShareRule(), actuals, among=room)
        result.steps.append(Step("caps", excess, moved))
        for partner, amount in moved.items():
            borne[partner] += amount


def _share_underspend(result: Settlement, actuals: YearActuals, clause: RiskShare) -> None:
    rule = clause.underspend
    total = -result.variance
    shares = split(total, rule.share, actuals)
    result.steps.append(Step("underspend", total, shares))
    if rule.disposition == "return":
        carried = dict.fromkeys(actuals.partners, 0)
    elif rule.carry_forward_limit is None or rule.carry_forward_limit >= total:
        carried = dict(shares)
    else:
        # Only the limit is carried forward, each partner's part in proportion to its share of the underspend.
        parts = Money(rule.carry_forward_limit).allocate([shares[p] for p in actuals.partners])
        carried = dict(zip(actuals.partners, (m.pence for m in parts), strict=True))
    for share in result.partners:
        share.underspend = shares[share.partner]
        # A partner that has left the pool by the year's end cannot carry money into a year it is not in.
        share.carried_forward = 0 if share.partner in actuals.leaving else carried[share.partner]
        share.returned = share.underspend - share.carried_forward
        if share.partner in actuals.leaving and carried[share.partner]:
            result.notes.append(
                f"{share.partner} has left the pool, so its share is returned, not carried forward"
            )
    if rule.disposition == "reinvest":
        result.reinvest_into = rule.reinvest_into
