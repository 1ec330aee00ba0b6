"""The pooled-fund ledger: balanced double-entry transactions in integer pence (DESIGN.md §6.2).

Append-only: a transaction is never updated or deleted; a correction is a reversal that mirrors its original.
Every transaction carries the client's idempotency key: posting the same key again returns the first result
(a retry after a lost reply is safe), and the same key with a different transaction is refused (TP601).
Posting takes the pool's row lock first (SQLite already holds the write lock from BEGIN IMMEDIATE), so guards
that read balances, such as "an allocation may not pass the scheme's budget", cannot race.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from sqlalchemy import ARRAY, Connection, String, bindparam, func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from totalplace.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    LedgerInconsistentError,
    LedgerLimitError,
    NotFoundError,
    UnbalancedTransactionError,
    YearSettledError,
)
from totalplace.store import audit
from totalplace.store.clock import utc_now
from totalplace.store.schema import ledger_balances, ledger_entries, ledger_txns, pool_settlements, pools

MAX_KEY_LENGTH = 200
# No entry and no account balance may pass £10 trillion (10^15 pence) either way. Movements a person asks for
# are held to money.MAX_AMOUNT_PENCE (£10bn) before they get here; this bound is for what the ledger computes
# (a settlement's charges, running totals). It keeps every stored figure, and the sum of any 9,000 of them,
# inside a 64-bit integer: on SQLite an integer sum that overflows silently becomes a float, and on PostgreSQL
# it is an error, so either way a pool's pages and its settlement would stop working.
MAX_LEDGER_PENCE = 10**15


@dataclass(frozen=True)
class Entry:
    """One side of a transaction: a signed amount in pence on an account (debit positive, credit negative)."""

    account: str
    amount: int
    partner: str | None = None
    scheme: str | None = None


@dataclass(frozen=True)
class TxnRequest:
    """A transaction as a client asks for it; ``year`` is the financial year it belongs to."""

    key: str
    kind: str
    effective_date: date
    year: str
    memo: str
    entries: tuple[Entry, ...]
    reverses_id: int | None = None
    #: A reversal of a transaction earlier in the same submission names it by key (it has no id yet).
    reverses_key: str | None = None

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of everything that makes this transaction what it is (not the key).

        The repr of a tuple of strings, integers and None is exact and stable, so it serves as the encoding.
        A reversal by key adds the key it reverses (and nothing else changes, so every fingerprint made before
        reversals by key existed is the same).
        """
        entries = sorted((e.account, e.amount, e.partner or "", e.scheme or "") for e in self.entries)
        body: tuple[object, ...] = (
            self.kind,
            self.effective_date.isoformat(),
            self.year,
            self.memo,
            self.reverses_id,
            tuple(entries),
        )
        if self.reverses_key is not None:
            body = (*body, ("reverses_key", self.reverses_key))
        return hashlib.sha256(repr(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Posted:
    """The result of posting one request: its transaction id, and whether it had been posted before."""

    txn_id: int
    key: str
    kind: str
    replayed: bool


@dataclass(frozen=True)
class StoredTxn:
    """A transaction read back from the ledger, with its entries."""

    id: int
    key: str
    kind: str
    effective_date: date
    year: str
    memo: str
    reverses_id: int | None
    posted_at: str
    posted_by: str
    entries: tuple[Entry, ...]


Guard = Callable[[Connection, Sequence[TxnRequest]], None]


def check_balanced(request: TxnRequest) -> None:
    """Refuse a transaction whose entries do not net to zero, or that has none, or a bad key."""
    if not request.key or len(request.key) > MAX_KEY_LENGTH:
        raise UnbalancedTransactionError(f"an idempotency key is 1 to {MAX_KEY_LENGTH} characters")
    if len(request.entries) < 2 or any(e.amount == 0 for e in request.entries):
        raise UnbalancedTransactionError(f"transaction {request.key!r} needs two or more non-zero entries")
    if any(isinstance(e.amount, bool) or not isinstance(e.amount, int) for e in request.entries):
        raise UnbalancedTransactionError(f"transaction {request.key!r} has an amount that is not whole pence")
    if any(abs(e.amount) > MAX_LEDGER_PENCE for e in request.entries):
        raise LedgerLimitError(
            f"transaction {request.key!r} has an entry beyond the ledger's limit, {MAX_LEDGER_PENCE:,} pence",
            hint="nothing was posted; no single posting can be that large",
        )
    total = sum(e.amount for e in request.entries)
    if total != 0:
        raise UnbalancedTransactionError(f"transaction {request.key!r} is out of balance by {total} pence")


def lock_pool(conn: Connection, pool_id: int) -> None:
    """Take the pool's row lock for the rest of the transaction (PostgreSQL; SQLite is already serialised)."""
    if conn.execute(select(pools.c.id).where(pools.c.id == pool_id).with_for_update()).first() is None:
        raise NotFoundError(f"no pool with id {pool_id}")


def settled_years(conn: Connection, pool_id: int) -> set[str]:
    """The financial years whose settlement is posted."""
    return set(
        conn.execute(select(pool_settlements.c.year).where(pool_settlements.c.pool_id == pool_id)).scalars()
    )


def post(
    conn: Connection,
    pool_id: int,
    requests: Sequence[TxnRequest],
    *,
    actor: str,
    guard: Guard | None = None,
    allow_settled: bool = False,
) -> list[Posted]:
    """Post ``requests`` inside the caller's transaction: all of them, or (on any error) none.

    Requests whose key is already posted with the same content come back ``replayed``; the guard sees only
    the new ones. One audit record covers the call.
    """
    for request in requests:
        check_balanced(request)
    lock_pool(conn, pool_id)
    keys = [r.key for r in requests]
    if len(set(keys)) != len(keys):
        raise ConflictError("the same idempotency key appears twice in one submission")
    replays = _replays(requests, _existing(conn, pool_id, keys))
    fresh = [r for r in requests if r.key not in replays]
    _check_reversals_by_key(requests)
    if not allow_settled:
        _refuse_settled_years(conn, pool_id, fresh)
    if guard is not None and fresh:
        guard(conn, fresh)
    posted = _insert(conn, pool_id, fresh, actor) if fresh else {}
    if fresh:
        _audit_posting(conn, pool_id, fresh, posted, actor)
    return [replays.get(r.key) or posted[r.key] for r in requests]


def _replays(requests: Sequence[TxnRequest], existing: dict[str, tuple[int, str, str]]) -> dict[str, Posted]:
    """The requests already posted, as their first postings; a key reused for a different transaction is
    refused (TP601)."""
    replays = {}
    for r in requests:
        if r.key in existing:
            txn_id, kind, sha = existing[r.key]
            if sha != r.fingerprint:
                raise IdempotencyKeyReusedError(
                    f"idempotency key {r.key!r} was used for a different transaction (number {txn_id})",
                    hint="a retry must send exactly the same transaction; a new transaction needs a new key",
                )
            replays[r.key] = Posted(txn_id, r.key, kind, replayed=True)
    return replays


def _refuse_settled_years(conn: Connection, pool_id: int, fresh: Sequence[TxnRequest]) -> None:
    """Nothing new may be posted into a settled year."""
    closed = settled_years(conn, pool_id) & {r.year for r in fresh}
    if closed:
        raise YearSettledError(
            f"{', '.join(sorted(closed))} is settled; nothing more can be posted into it",
            hint="post a correcting entry dated in an open year",
        )


def _audit_posting(
    conn: Connection, pool_id: int, fresh: Sequence[TxnRequest], posted: dict[str, Posted], actor: str
) -> None:
    """One audit record for a submission: its transactions, a fingerprint of them, and the money moved."""
    audit.append(
        conn,
        actor=actor,
        action="pool.post",
        object_type="pool",
        object_id=pool_id,
        detail={
            "transactions": [[posted[r.key].txn_id, r.key, r.kind] for r in fresh],
            "fingerprint": hashlib.sha256("".join(r.fingerprint for r in fresh).encode()).hexdigest(),
            "debits_pence": sum(e.amount for r in fresh for e in r.entries if e.amount > 0),
        },
    )


def _existing(conn: Connection, pool_id: int, keys: list[str]) -> dict[str, tuple[int, str, str]]:
    """The transactions already posted under any of ``keys``: key to (id, kind, fingerprint)."""
    columns = (ledger_txns.c.idem_key, ledger_txns.c.id, ledger_txns.c.kind, ledger_txns.c.request_sha256)
    found: dict[str, tuple[int, str, str]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        if conn.dialect.name == "postgresql":
            # One array parameter joined as a table: PostgreSQL hashes the keys, where "IN (500 parameters)"
            # or "= ANY" on a table whose statistics lag a bulk load is planned as a scan per key.
            keys_table = (
                func.unnest(bindparam("keys", chunk, type_=ARRAY(String)))
                .table_valued("key")
                .render_derived()
            )
            query = select(*columns).join(keys_table, ledger_txns.c.idem_key == keys_table.c.key)
            rows = conn.execute(query.where(ledger_txns.c.pool_id == pool_id))
        else:
            rows = conn.execute(
                select(*columns).where(ledger_txns.c.pool_id == pool_id, ledger_txns.c.idem_key.in_(chunk))
            )
        found.update({r.idem_key: (int(r.id), r.kind, r.request_sha256) for r in rows})
    return found


def _check_reversals_by_key(requests: Sequence[TxnRequest]) -> None:
    """A reversal by key must follow the transaction it reverses in the same submission, reverse no reversal,
    and be the only reversal of it."""
    seen: dict[str, TxnRequest] = {}
    reversed_keys: set[str] = set()
    for r in requests:
        if r.reverses_key is not None:
            original = seen.get(r.reverses_key)
            if original is None:
                raise ConflictError(
                    f"{r.key!r} reverses {r.reverses_key!r}, which is not earlier in the submission"
                )
            if original.reverses_id is not None or original.reverses_key is not None:
                raise ConflictError(
                    f"{r.reverses_key!r} is itself a reversal", hint="post the original again under a new key"
                )
            if r.reverses_key in reversed_keys:
                raise ConflictError(f"{r.reverses_key!r} is reversed twice in one submission")
            reversed_keys.add(r.reverses_key)
        seen[r.key] = r


def _segments(fresh: list[TxnRequest]) -> list[list[TxnRequest]]:
    """The new requests in order, cut before each reversal of a transaction in the same uninserted run, so
    every original is inserted (and has its id) before the reversal that names it by key."""
    segments: list[list[TxnRequest]] = [[]]
    keys: set[str] = set()
    for r in fresh:
        if r.reverses_key is not None and r.reverses_key in keys:
            segments.append([])
            keys = set()
        segments[-1].append(r)
        keys.add(r.key)
    return [s for s in segments if s]


def _insert(conn: Connection, pool_id: int, fresh: list[TxnRequest], actor: str) -> dict[str, Posted]:
    """Insert the new requests in order (in runs; see :func:`_segments`), their entries and balances."""
    now = utc_now()
    by_key: dict[str, int] = {}
    for segment in _segments(fresh):
        by_key.update(_insert_run(conn, pool_id, segment, actor, now, by_key))
    conn.execute(
        ledger_entries.insert(),
        [
            {
                "txn_id": by_key[r.key],
                "pool_id": pool_id,
                "account": e.account,
                "partner": e.partner,
                "scheme": e.scheme,
                "amount": e.amount,
            }
            for r in fresh
            for e in r.entries
        ],
    )
    _add_to_balances(conn, pool_id, (e for r in fresh for e in r.entries))
    return {r.key: Posted(by_key[r.key], r.key, r.kind, replayed=False) for r in fresh}


def _insert_run(
    conn: Connection, pool_id: int, run: list[TxnRequest], actor: str, now: str, known: dict[str, int]
) -> dict[str, int]:
    """Insert one run of transactions; the ids of the new ones by key."""
    targets = [r.reverses_key for r in run if r.reverses_key and r.reverses_key not in known]
    if targets:
        known = {**known, **{k: v[0] for k, v in _existing(conn, pool_id, targets).items()}}
    rows = [
        {
            "pool_id": pool_id,
            "idem_key": r.key,
            "request_sha256": r.fingerprint,
            "kind": r.kind,
            "effective_date": r.effective_date.isoformat(),
            "year": r.year,
            "memo": r.memo,
            "reverses_id": known[r.reverses_key] if r.reverses_key else r.reverses_id,
            "posted_at": now,
            "posted_by": actor,
        }
        for r in run
    ]
    # One executemany, then one lookup of the new ids by key: returning ids would make SQLite insert row by
    # row, and makes psycopg rewrite a statement with thousands of parameters for every submission.
    conn.execute(ledger_txns.insert(), rows)
    return {key: txn_id for key, (txn_id, _, _) in _existing(conn, pool_id, [r.key for r in run]).items()}


def _postgresql_insert() -> Any:
    """PostgreSQL's INSERT .. ON CONFLICT, imported only on PostgreSQL (its dialect is a tenth of a second
    of every command's start-up otherwise)."""
    from sqlalchemy.dialects.postgresql import insert

    return insert


def _add_to_balances(conn: Connection, pool_id: int, entries: Iterable[Entry]) -> None:
    """Add the entries to the stored running totals: one upsert statement for all the accounts touched."""
    change: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in entries:
        change[e.account][0] += e.amount
        change[e.account][1] += 1
    _check_new_balances(conn, pool_id, {a: v[0] for a, v in change.items()})
    insert = _postgresql_insert() if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(ledger_balances)
    statement = statement.on_conflict_do_update(
        index_elements=[ledger_balances.c.pool_id, ledger_balances.c.account],
        set_={
            "balance": ledger_balances.c.balance + statement.excluded.balance,
            "postings": ledger_balances.c.postings + statement.excluded.postings,
        },
    )
    conn.execute(
        statement,
        [
            {"pool_id": pool_id, "account": a, "balance": v[0], "postings": v[1]}
            for a, v in sorted(change.items())
        ],
    )


def _check_new_balances(conn: Connection, pool_id: int, change: dict[str, int]) -> None:
    """Refuse postings that would take any account's stored balance past MAX_LEDGER_PENCE either way."""
    current: dict[str, int] = {}
    accounts = sorted(change)
    for start in range(0, len(accounts), 500):
        rows = conn.execute(
            select(ledger_balances.c.account, ledger_balances.c.balance).where(
                ledger_balances.c.pool_id == pool_id,
                ledger_balances.c.account.in_(accounts[start : start + 500]),
            )
        )
        current.update({r.account: int(r.balance) for r in rows})
    for account in accounts:
        after = current.get(account, 0) + change[account]
        if abs(after) > MAX_LEDGER_PENCE:
            raise LedgerLimitError(
                f"posting would take account {account} to {after:,} pence, beyond the ledger's limit of "
                f"{MAX_LEDGER_PENCE:,}",
                hint="nothing was posted; check the amounts",
            )


def reversal_of(
    conn: Connection, pool_id: int, txn_id: int, *, key: str, day: date, year: str, memo: str
) -> TxnRequest:
    """The request that reverses transaction ``txn_id``: the same entries with the signs turned."""
    original = transaction(conn, pool_id, txn_id)
    if original.year in settled_years(conn, pool_id):
        raise YearSettledError(
            f"transaction {txn_id} belongs to {original.year}, which is settled",
            hint="post a correcting entry in an open year",
        )
    if original.reverses_id is not None:
        raise ConflictError(
            f"transaction {txn_id} is itself a reversal", hint="post the original again under a new key"
        )
    return TxnRequest(
        key=key,
        kind="reversal",
        effective_date=day,
        year=year,
        memo=memo or f"reverses transaction {txn_id}: {original.memo}",
        entries=tuple(Entry(e.account, -e.amount, e.partner, e.scheme) for e in original.entries),
        reverses_id=txn_id,
    )


def transaction(conn: Connection, pool_id: int, txn_id: int) -> StoredTxn:
    """One transaction with its entries."""
    found = transactions(conn, pool_id, ids=[txn_id])
    if not found:
        raise NotFoundError(f"no transaction {txn_id} in this pool", hint="see `totalplace pool ledger NAME`")
    return found[0]


def transactions(
    conn: Connection,
    pool_id: int,
    *,
    ids: list[int] | None = None,
    kind: str | None = None,
    year: str | None = None,
    account_prefix: str | None = None,
    limit: int | None = None,
) -> list[StoredTxn]:
    """Transactions in posting order, filtered (the newest ``limit`` of them), each with its entries."""
    query = select(ledger_txns).where(ledger_txns.c.pool_id == pool_id).order_by(ledger_txns.c.id)
    if ids is not None:
        query = query.where(ledger_txns.c.id.in_(ids))
    if kind:
        query = query.where(ledger_txns.c.kind == kind)
    if year:
        query = query.where(ledger_txns.c.year == year)
    if account_prefix:
        inner = select(ledger_entries.c.txn_id).where(
            ledger_entries.c.account.startswith(account_prefix, autoescape=True)
        )
        query = query.where(ledger_txns.c.id.in_(inner))
    if limit is not None:
        query = query.order_by(None).order_by(ledger_txns.c.id.desc()).limit(limit)
    rows = conn.execute(query).all()
    entries = _entries_of(conn, [int(r.id) for r in rows])
    out = [
        StoredTxn(
            int(r.id),
            r.idem_key,
            r.kind,
            date.fromisoformat(r.effective_date),
            r.year,
            r.memo,
            r.reverses_id,
            r.posted_at,
            r.posted_by,
            tuple(entries[int(r.id)]),
        )
        for r in rows
    ]
    return sorted(out, key=lambda t: t.id)


def _entries_of(conn: Connection, txn_ids: list[int]) -> dict[int, list[Entry]]:
    """The entries of each of ``txn_ids``, in the order they were posted."""
    entries: dict[int, list[Entry]] = defaultdict(list)
    for start in range(0, len(txn_ids), 500):
        for e in conn.execute(
            select(ledger_entries)
            .where(ledger_entries.c.txn_id.in_(txn_ids[start : start + 500]))
            .order_by(ledger_entries.c.id)
        ):
            entries[int(e.txn_id)].append(Entry(e.account, int(e.amount), e.partner, e.scheme))
    return entries


def txn_id_by_key(conn: Connection, pool_id: int, key: str) -> int | None:
    """The id of the pool's transaction posted under ``key``, if there is one."""
    found = conn.execute(
        select(ledger_txns.c.id).where(ledger_txns.c.pool_id == pool_id, ledger_txns.c.idem_key == key)
    ).scalar_one_or_none()
    return None if found is None else int(found)


def keys_starting(conn: Connection, pool_id: int, prefix: str) -> list[str]:
    """The idempotency keys of the pool's transactions that start with ``prefix``, in posting order."""
    return list(
        conn.execute(
            select(ledger_txns.c.idem_key)
            .where(
                ledger_txns.c.pool_id == pool_id, ledger_txns.c.idem_key.startswith(prefix, autoescape=True)
            )
            .order_by(ledger_txns.c.id)
        ).scalars()
    )


def balances(
    conn: Connection, pool_id: int, *, as_of: date | None = None, year: str | None = None
) -> dict[str, int]:
    """Each account's balance in pence, derived from the postings (up to ``as_of``, or within ``year``)."""
    query = (
        select(ledger_entries.c.account, func.sum(ledger_entries.c.amount))
        .join(ledger_txns, ledger_txns.c.id == ledger_entries.c.txn_id)
        .where(ledger_entries.c.pool_id == pool_id)
        .group_by(ledger_entries.c.account)
    )
    if as_of is not None:
        query = query.where(ledger_txns.c.effective_date <= as_of.isoformat())
    if year is not None:
        query = query.where(ledger_txns.c.year == year)
    try:
        totals = conn.execute(query).all()
    except DBAPIError as exc:
        # A sum past 64 bits (SQLite's "integer overflow"), from postings made before the ledger had its
        # bounds, is an inconsistent ledger; any other failure of the database stays a store error (TP300).
        if "integer overflow" not in str(exc.orig).lower():
            raise
        raise _overflowed(pool_id, str(exc.orig)) from None
    return {account: _whole(account, total) for account, total in totals}


def stored_balances(conn: Connection, pool_id: int) -> dict[str, int]:
    """The running totals kept beside the postings."""
    rows = conn.execute(
        select(ledger_balances.c.account, ledger_balances.c.balance).where(
            ledger_balances.c.pool_id == pool_id
        )
    )
    return {account: _whole(account, balance) for account, balance in rows}


def _whole(account: str, value: object) -> int:
    """A stored or summed figure as whole pence (PostgreSQL sums are Decimal); a float means SQLite overflowed
    64 bits and stored an approximation, which no page may show as money."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise LedgerInconsistentError(
        f"account {account} holds {value!r}, which is not whole pence (a sum passed 64 bits)",
        hint="run `totalplace check`; restore the store from a backup made before the posting",
    )


def _overflowed(pool_id: int, detail: str) -> LedgerInconsistentError:
    return LedgerInconsistentError(
        f"the ledger of pool {pool_id} cannot be summed: {detail}",
        hint="run `totalplace check`; restore the store from a backup made before the posting",
    )


def check_ledger(conn: Connection, pool_id: int) -> list[str]:
    """Every way the ledger could be wrong, as sentences; empty when it is sound."""
    try:
        return _ledger_problems(conn, pool_id)
    except (LedgerInconsistentError, DBAPIError) as exc:
        detail = exc.message if isinstance(exc, LedgerInconsistentError) else str(exc.orig)
        return [f"the ledger cannot be checked: {detail}"]


def _ledger_problems(conn: Connection, pool_id: int) -> list[str]:
    problems: list[str] = []
    unbalanced = conn.execute(
        select(ledger_entries.c.txn_id, func.sum(ledger_entries.c.amount))
        .where(ledger_entries.c.pool_id == pool_id)
        .group_by(ledger_entries.c.txn_id)
        .having(func.sum(ledger_entries.c.amount) != 0)
    ).all()
    problems += [f"transaction {t} is out of balance by {int(s)} pence" for t, s in unbalanced]
    empty = (
        conn.execute(
            select(ledger_txns.c.id).where(
                ledger_txns.c.pool_id == pool_id, ~ledger_txns.c.id.in_(select(ledger_entries.c.txn_id))
            )
        )
        .scalars()
        .all()
    )
    problems += [f"transaction {t} has no entries" for t in empty]
    derived = balances(conn, pool_id)
    stored = stored_balances(conn, pool_id)
    for account in sorted(set(derived) | set(stored)):
        if derived.get(account, 0) != stored.get(account, 0):
            problems.append(
                f"account {account}: postings sum to {derived.get(account, 0)} pence, "
                f"stored total says {stored.get(account, 0)}"
            )
    pairs = conn.execute(
        select(ledger_txns.c.id, ledger_txns.c.reverses_id).where(
            ledger_txns.c.pool_id == pool_id, ledger_txns.c.reverses_id.is_not(None)
        )
    ).all()
    for txn_id, original_id in pairs:
        mine = _signature(conn, int(txn_id))
        theirs = _signature(conn, int(original_id))
        if mine != [(a, -amount) for a, amount in theirs]:
            problems.append(f"transaction {txn_id} does not exactly cancel transaction {original_id}")
    return problems


def _signature(conn: Connection, txn_id: int) -> list[tuple[str, int]]:
    rows = conn.execute(
        select(ledger_entries.c.account, func.sum(ledger_entries.c.amount))
        .where(ledger_entries.c.txn_id == txn_id)
        .group_by(ledger_entries.c.account)
        .order_by(ledger_entries.c.account)
    )
    return [(a, int(s)) for a, s in rows]


def monthly_spend(conn: Connection, pool_id: int, year: str) -> dict[str, dict[str, int]]:
    """Each ``spend:`` account's spend in ``year`` by month of its date (``YYYY-MM``), in pence.

    Settlement transactions (and the reversal that reopens one, which is also of kind ``settlement``) are left
    out: they close a year's spend to the partners, they are not spending.
    """
    month = func.substr(ledger_txns.c.effective_date, 1, 7)
    rows = conn.execute(
        select(ledger_entries.c.account, month, func.sum(ledger_entries.c.amount))
        .join(ledger_txns, ledger_txns.c.id == ledger_entries.c.txn_id)
        .where(
            ledger_entries.c.pool_id == pool_id,
            ledger_txns.c.year == year,
            ledger_txns.c.kind != "settlement",
            ledger_entries.c.account.startswith("spend:", autoescape=True),
        )
        .group_by(ledger_entries.c.account, month)
    )
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for account, when, total in rows:
        out[account][str(when)] = _whole(account, total)
    return dict(out)
