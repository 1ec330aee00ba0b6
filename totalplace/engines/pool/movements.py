"""Movements of money in a pool, turned into balanced ledger transactions (DESIGN.md §6.2).

Accounts of a pool (debit positive, credit negative, every transaction nets to zero):

- ``cash``: money the pool holds and has not allocated to a scheme;
- ``scheme:<s>``: money allocated to scheme ``s`` and not yet spent;
- ``spend:<s>``: what scheme ``s`` has spent this year (closed to the partners at settlement);
- ``partner:<p>:<year>``: partner ``p``'s funding of the pool in a financial year. Contributions credit it;
  the settlement charges each partner its share of spend, its overspend top-up, its refund and its
  carry-forward, after which it is exactly zero.

A contribution debits cash; in-kind staff time debits the scheme's spend directly (the time is used as it is
given); an allocation moves cash to a scheme; spend moves the scheme's money to its spend account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from totalplace.engines.pool import access
from totalplace.engines.pool.agreement import Agreement, year_bounds, year_of
from totalplace.engines.pool.fund import Fund, open_fund
from totalplace.errors import BudgetExceededError, InvalidInputError, LedgerLimitError, NotFoundError
from totalplace.governance.policy import authorize
from totalplace.governance.roles import Principal
from totalplace.money import MAX_AMOUNT_PENCE, Money
from totalplace.place import Place
from totalplace.store import ledger
from totalplace.store.schema import ledger_entries, ledger_txns

POSTABLE = ("contribution", "variation", "in_kind", "allocation", "spend", "reversal")
#: A correction after the pool's last year is settled (engines/pool/adjust.py).
POST_TERM = "post_term_adjustment"
#: Every kind of transaction in a ledger: what a user posts, the year-end settlement (and the reversal that
#: reopens one), and post-term adjustments.
LEDGER_KINDS = (*POSTABLE, "settlement", POST_TERM)


@dataclass(frozen=True)
class Movement:
    """One movement a user asks to post; ``key`` is the client's idempotency key."""

    key: str
    kind: str
    day: date
    amount: int = 0
    partner: str | None = None
    scheme: str | None = None
    memo: str = ""
    reverses: str | None = None


def cash() -> str:
    """The pool's unallocated money."""
    return "cash"


def scheme_account(scheme: str) -> str:
    """Money allocated to a scheme and not yet spent."""
    return f"scheme:{scheme}"


def spend_account(scheme: str) -> str:
    """A scheme's spend in the year."""
    return f"spend:{scheme}"


def partner_account(partner: str, year: str) -> str:
    """A partner's funding of the pool in one financial year."""
    return f"partner:{partner}:{year}"


def _check_kind(m: Movement) -> None:
    if m.kind not in POSTABLE:
        raise InvalidInputError(
            f"{m.kind!r} cannot be posted by hand", hint=f"kinds are: {', '.join(POSTABLE)}"
        )


def to_request(conn: Connection, fund: Fund, m: Movement) -> ledger.TxnRequest:
    """The balanced transaction for a movement, checked against the agreement in force on its day."""
    _check_kind(m)
    agreement = fund.agreement_on(m.day)
    year = year_of(m.day)
    if year not in agreement.years:
        raise InvalidInputError(
            f"{m.key}: {m.day} is outside the pool's term ({agreement.years[0]} to {agreement.years[-1]})",
            hint="vary the agreement with extend_term to post into later years",
        )
    if m.kind == "reversal":
        original = _txn_id_by_key(conn, fund.id, m.reverses or "")
        return ledger.reversal_of(conn, fund.id, original, key=m.key, day=m.day, year=year, memo=m.memo)
    _check_amount(m)
    memo = m.memo or f"{m.kind.replace('_', ' ')} {Money(m.amount)}"
    return ledger.TxnRequest(m.key, m.kind, m.day, year, memo, _entries(agreement, m, year))


def to_requests(conn: Connection, fund: Fund, movements: Sequence[Movement]) -> list[ledger.TxnRequest]:
    """The transactions for a submission, in order: a reversal of a movement earlier in the same submission
    mirrors that movement's request and names it by key (it has no id until the submission is posted)."""
    requests: list[ledger.TxnRequest] = []
    by_key: dict[str, ledger.TxnRequest] = {}
    for m in movements:
        original = by_key.get(m.reverses or "") if m.kind == "reversal" else None
        request = _reversal_in_batch(fund, m, original) if original else to_request(conn, fund, m)
        by_key[m.key] = request
        requests.append(request)
    return requests


def _reversal_in_batch(fund: Fund, m: Movement, original: ledger.TxnRequest) -> ledger.TxnRequest:
    """The reversal of ``original``, a request earlier in the same submission, dated ``m.day``."""
    agreement = fund.agreement_on(m.day)
    year = year_of(m.day)
    if year not in agreement.years:
        raise InvalidInputError(
            f"{m.key}: {m.day} is outside the pool's term ({agreement.years[0]} to {agreement.years[-1]})"
        )
    return ledger.TxnRequest(
        key=m.key,
        kind="reversal",
        effective_date=m.day,
        year=year,
        memo=m.memo or f"reverses {original.key}: {original.memo}",
        entries=tuple(ledger.Entry(e.account, -e.amount, e.partner, e.scheme) for e in original.entries),
        reverses_key=original.key,
    )


def _check_amount(m: Movement) -> None:
    """Refuse an amount that is not whole pence, is beyond the largest movement, or is zero (or negative
    for anything but spend, where it is a refund)."""
    if isinstance(m.amount, bool) or not isinstance(m.amount, int) or abs(m.amount) > MAX_AMOUNT_PENCE:
        raise LedgerLimitError(
            f"{m.key}: {m.amount!r} pence is beyond the largest movement accepted, {Money(MAX_AMOUNT_PENCE)}",
            hint="nothing was posted; check the amount (money.py says why £10bn)",
        )
    if m.amount == 0 or (m.amount < 0 and m.kind != "spend"):
        raise InvalidInputError(
            f"{m.key}: a {m.kind} needs an amount above zero",
            hint="to undo a posting, post a reversal of it; a negative spend is a refund received",
        )


def _entries(agreement: Agreement, m: Movement, year: str) -> tuple[ledger.Entry, ...]:
    """The two sides of a contribution, variation, in-kind time, allocation or spend (accounts: above)."""
    if m.kind in ("contribution", "variation"):
        partner = _paying_member(agreement, m)
        return (
            ledger.Entry(cash(), m.amount, partner),
            ledger.Entry(partner_account(partner, year), -m.amount, partner),
        )
    if m.kind == "in_kind":
        partner = _paying_member(agreement, m)
        scheme = _scheme(agreement.schemes, m.scheme, m)
        return (
            ledger.Entry(spend_account(scheme), m.amount, partner, scheme),
            ledger.Entry(partner_account(partner, year), -m.amount, partner, scheme),
        )
    scheme = _scheme(agreement.schemes, m.scheme, m)
    if m.kind == "allocation":
        return (
            ledger.Entry(scheme_account(scheme), m.amount, None, scheme),
            ledger.Entry(cash(), -m.amount, None, scheme),
        )
    return (
        ledger.Entry(spend_account(scheme), m.amount, None, scheme),
        ledger.Entry(scheme_account(scheme), -m.amount, None, scheme),
    )


def _paying_member(agreement: Agreement, m: Movement) -> str:
    """The partner named by the movement, which must be in the pool on the movement's day."""
    partner = _member(agreement.partners, m.partner, m)
    if not agreement.is_member_on(partner, m.day):
        raise InvalidInputError(f"{m.key}: {partner} left the pool on {agreement.exit_date(partner)}")
    return partner


def post_movements(
    place: Place, name: str, movements: Sequence[Movement], *, principal: Principal
) -> list[ledger.Posted]:
    """Post movements as one atomic submission, all or none; retried keys return their first result.

    Each movement must be one ``principal`` may post (pool.post on the partner it belongs to): a batch with
    one that is not is refused whole, before anything is posted.
    """
    with place.begin() as conn:
        return post_in(conn, name, movements, principal=principal)


def post_in(
    conn: Connection, name: str, movements: Sequence[Movement], *, principal: Principal
) -> list[ledger.Posted]:
    """Post movements inside the caller's transaction, each authorized as :func:`post_movements` says."""
    fund = open_fund(conn, name)
    pool, ids = access.pool_resource(conn, fund), access.partner_ids(conn)
    # Each partner's postings are authorized once: a batch is usually thousands of one partner's movements.
    for owner in dict.fromkeys(_owners(conn, fund, movements)):
        authorize(principal, "pool.post", access.owned(ids, pool, "posting", owner))
    ledger.lock_pool(conn, fund.id)
    requests = to_requests(conn, fund, movements)
    return ledger.post(
        conn,
        fund.id,
        requests,
        actor=principal.username,
        guard=lambda c, fresh: _within_budgets(c, fund, fresh),
    )


def _owners(conn: Connection, fund: Fund, movements: Sequence[Movement]) -> Iterator[str | None]:
    """Each movement's owner; reversing a movement earlier in the same batch belongs to that one's owner."""
    earlier: dict[str, str | None] = {}
    for m in movements:
        if m.kind == "reversal" and m.reverses in earlier:
            owner = earlier[m.reverses]
        else:
            owner = movement_owner(conn, fund, m)
        earlier[m.key] = owner
        yield owner


def movement_owner(conn: Connection, fund: Fund, m: Movement) -> str | None:
    """The partner a movement belongs to: the partner paying a contribution or giving in-kind time; the owner
    of the scheme an allocation or spend is against (whatever partner the movement names); for a reversal,
    the partner the reversed transaction belonged to. None when it names none."""
    _check_kind(m)
    agreement = fund.agreement_on(m.day)
    if m.kind in ("contribution", "variation", "in_kind"):
        return _member(agreement.partners, m.partner, m) if m.partner and m.partner.strip() else None
    if m.kind in ("allocation", "spend"):
        return agreement.scheme(_scheme(agreement.schemes, m.scheme, m)).owner
    if m.kind == "reversal":
        original = ledger.transaction(conn, fund.id, _txn_id_by_key(conn, fund.id, m.reverses or ""))
        owners = access.scheme_owners(fund)
        found = {e.partner or owners.get(e.scheme or "") for e in original.entries}
        return found.pop() if len(found) == 1 else None
    return None


def allocated(conn: Connection, pool_id: int, scheme: str, year: str) -> int:
    """What has been allocated to a scheme in a year, net of reversed allocations, in pence."""
    allocations = select(ledger_txns.c.id).where(
        ledger_txns.c.pool_id == pool_id, ledger_txns.c.kind == "allocation"
    )
    reversals = select(ledger_txns.c.id).where(
        ledger_txns.c.pool_id == pool_id, ledger_txns.c.reverses_id.in_(allocations)
    )
    total = conn.execute(
        select(func.coalesce(func.sum(ledger_entries.c.amount), 0))
        .join(ledger_txns, ledger_txns.c.id == ledger_entries.c.txn_id)
        .where(
            ledger_entries.c.account == scheme_account(scheme),
            ledger_txns.c.year == year,
            ledger_txns.c.id.in_(allocations.union(reversals)),
        )
    ).scalar_one()
    return int(total)


def _within_budgets(conn: Connection, fund: Fund, fresh: Sequence[ledger.TxnRequest]) -> None:
    """Refuse allocations that would take a scheme past its budget for the year (the pool is locked)."""
    adding: dict[tuple[str, str], int] = {}
    last_day: dict[tuple[str, str], date] = {}
    for r in fresh:
        if r.kind != "allocation":
            continue
        scheme = next(e.scheme for e in r.entries if e.scheme)
        slot = (scheme or "", r.year)
        adding[slot] = adding.get(slot, 0) + sum(
            e.amount for e in r.entries if e.account.startswith("scheme:")
        )
        last_day[slot] = max(last_day.get(slot, r.effective_date), r.effective_date)
    for (scheme, year), amount in adding.items():
        budget = fund.agreement_on(last_day[(scheme, year)]).scheme(scheme).budget_for(year)
        already = allocated(conn, fund.id, scheme, year)
        if already + amount > budget:
            raise BudgetExceededError(
                f"allocating {Money(amount)} to {scheme} in {year} would pass its budget of {Money(budget)} "
                f"({Money(already)} already allocated; {Money(max(0, budget - already))} left)",
                hint="allocate at most what is left, or vary the agreement to raise the scheme's budget",
            )


def _member(partners: list[str], name: str | None, m: Movement) -> str:
    for p in partners:
        if name and p.lower() == name.strip().lower():
            return p
    raise InvalidInputError(
        f"{m.key}: {name!r} is not a partner of this pool", hint=f"partners are: {', '.join(partners)}"
    )


def _scheme(schemes: Sequence[object], name: str | None, m: Movement) -> str:
    names = [getattr(s, "name", "") for s in schemes]
    if name in names:
        return str(name)
    raise InvalidInputError(f"{m.key}: no scheme called {name!r}", hint=f"schemes are: {', '.join(names)}")


def _txn_id_by_key(conn: Connection, pool_id: int, key: str) -> int:
    found = conn.execute(
        select(ledger_txns.c.id).where(ledger_txns.c.pool_id == pool_id, ledger_txns.c.idem_key == key)
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(
            f"no transaction with key {key!r} to reverse", hint="see `totalplace pool ledger NAME`"
        )
    return int(found)


#: One line of what an agreement asks of a partner in a year: (partner, kind, scheme or "").
_Slot = tuple[str, str, str]


def _agreed(agreement: Agreement, year: str, day: date) -> dict[_Slot, int]:
    """What ``agreement`` says each partner that is a member on ``day`` gives in ``year``, by kind (pence)."""
    agreed: dict[_Slot, int] = {}
    for c in agreement.contributions:
        if c.year != year or not agreement.is_member_on(c.partner, day):
            continue
        cash_slot = (c.partner, "contribution", "")
        agreed[cash_slot] = agreed.get(cash_slot, 0) + c.cash
        if c.in_kind is not None:
            slot = (c.partner, "in_kind", c.in_kind.scheme)
            agreed[slot] = agreed.get(slot, 0) + c.in_kind.pence
    return agreed


def _posted_slot(conn: Connection, fund: Fund, year: str, slot: _Slot) -> int:
    partner, kind, scheme = slot
    prefix = f"agreed:{year}:{partner}:{kind}:{scheme}:"
    return _posted_under(conn, fund.id, prefix, partner_account(partner, year))


def agreed_movements(conn: Connection, fund: Fund, year: str, day: date) -> list[Movement]:
    """The contributions still due under the agreement in force on ``day``: agreed minus already posted.

    Keys name the year, partner, kind and agreement version, so running this twice posts nothing new, and a
    variation that adds money yields exactly the difference.
    """
    version = fund.version_on(day)
    agreement = fund.agreement_on(day)
    due: list[Movement] = []
    for slot, amount in sorted(_agreed(agreement, year, day).items(), key=_slot_order(agreement)):
        partner, kind, scheme = slot
        owing = amount - _posted_slot(conn, fund, year, slot)
        if owing > 0:
            due.append(
                Movement(
                    f"agreed:{year}:{partner}:{kind}:{scheme}:v{version}",
                    kind,
                    day,
                    owing,
                    partner,
                    scheme or None,
                    f"agreed {kind.replace('_', ' ')} {year}",
                )
            )
    return due


def _slot_order(agreement: Agreement) -> Callable[[tuple[_Slot, int]], tuple[int, bool, str]]:
    """Partners in the agreement's order, each one's cash before its in-kind time, schemes by name."""

    def order(item: tuple[_Slot, int]) -> tuple[int, bool, str]:
        partner, kind, scheme = item[0]
        return agreement.partners.index(partner), kind != "contribution", scheme

    return order


@dataclass(frozen=True, slots=True)
class NotYetDue:
    """Money a later version of the agreement adds in the year, not due on the date posted (pence)."""

    partner: str
    kind: str
    scheme: str | None
    amount: int
    due_from: date
    version: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, pence as integers, the date as ISO text."""
        return {**asdict(self), "due_from": self.due_from.isoformat()}


@dataclass(frozen=True, slots=True)
class Contributed:
    """What ``pool contribute`` did: the postings, the version in force, what is agreed but not yet due."""

    year: str
    day: date
    version: int
    posted: tuple[ledger.Posted, ...]
    not_yet_due: tuple[NotYetDue, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "year": self.year,
            "date": self.day.isoformat(),
            "agreement_version": self.version,
            "posted": [asdict(p) for p in self.posted],
            "not_yet_due": [n.to_dict() for n in self.not_yet_due],
        }


def not_yet_due(conn: Connection, fund: Fund, year: str, day: date) -> list[NotYetDue]:
    """What versions in force later in ``year`` than ``day`` add, beyond what is agreed on ``day`` and what is
    already posted: each line with the date it falls due and the version that adds it."""
    covered = {
        slot: max(amount, _posted_slot(conn, fund, year, slot))
        for slot, amount in _agreed(fund.agreement_on(day), year, day).items()
    }
    last_day = year_bounds(year)[1]
    out: list[NotYetDue] = []
    for v in fund.versions:
        if not day < v.effective_from <= last_day:
            continue
        later = fund.agreement_on(v.effective_from)
        for slot, amount in sorted(_agreed(later, year, v.effective_from).items(), key=_slot_order(later)):
            already = covered.get(slot)
            if already is None:
                already = covered[slot] = _posted_slot(conn, fund, year, slot)
            if amount > already:
                out.append(
                    NotYetDue(
                        slot[0], slot[1], slot[2] or None, amount - already, v.effective_from, v.version
                    )
                )
                covered[slot] = amount
    return out


def _posted_under(conn: Connection, pool_id: int, prefix: str, account: str) -> int:
    total = conn.execute(
        select(func.coalesce(func.sum(ledger_entries.c.amount), 0))
        .join(ledger_txns, ledger_txns.c.id == ledger_entries.c.txn_id)
        .where(
            ledger_txns.c.pool_id == pool_id,
            ledger_txns.c.idem_key.startswith(prefix, autoescape=True),
            ledger_entries.c.account == account,
        )
    ).scalar_one()
    return -int(total)


def post_agreed(place: Place, name: str, year: str, day: date, *, principal: Principal) -> Contributed:
    """Post every contribution the agreement in force on ``day`` says is due in ``year`` and is not posted,
    and say what later versions agree for the year that is not yet due on ``day``.

    Each partner's postings are its own: posting them is pool.post for that partner (all or none).
    """
    with place.begin() as conn:
        fund = open_fund(conn, name)
        fund.require_year(year)
        access.require(conn, fund, principal, "pool.read")
        due = agreed_movements(conn, fund, year, day)
        posted = post_in(conn, name, due, principal=principal)  # each partner's postings: pool.post
        return Contributed(
            year, day, fund.version_on(day), tuple(posted), tuple(not_yet_due(conn, fund, year, day))
        )
