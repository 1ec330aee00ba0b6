"""A pool's forecast method (versioned), partners' own monthly forecasts, and reopened settlements.

Each change here is a new row and an audit record in the same transaction: choosing a forecast method adds the
next version (the newest is in force), a partner's forecast of a month adds an entry (the newest entry for a
scheme and month counts), and reopening a settled year moves its settlement record, as it was posted, into
``pool_reopened`` with who reopened it, when and why, so the year can be settled again and the first
settlement stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from totalplace.errors import NotFoundError
from totalplace.store import audit
from totalplace.store.clock import utc_now
from totalplace.store.schema import (
    pool_forecast_entries,
    pool_forecast_methods,
    pool_reopened,
    pool_settlements,
)


@dataclass(frozen=True, slots=True)
class MethodVersion:
    """One version of a pool's chosen forecast method."""

    version: int
    method: str
    reason: str
    set_at: str
    set_by: str


@dataclass(frozen=True, slots=True)
class ForecastEntry:
    """A partner's forecast of a scheme's spend in one month (``month`` is ``YYYY-MM``), in pence."""

    scheme: str
    month: str
    amount: int
    partner: str
    entered_at: str
    entered_by: str


@dataclass(frozen=True, slots=True)
class Reopened:
    """A settlement that was reopened: the record as posted, and the reopening."""

    year: str
    txn_id: int | None
    result: str
    settled_at: str
    settled_by: str
    reopened_at: str
    reopened_by: str
    reason: str


def set_method(conn: Connection, pool_id: int, method: str, reason: str, actor: str) -> MethodVersion:
    """Add the next version of the pool's forecast method (the caller has checked the method's name)."""
    latest = conn.execute(
        select(func.coalesce(func.max(pool_forecast_methods.c.version), 0)).where(
            pool_forecast_methods.c.pool_id == pool_id
        )
    ).scalar_one()
    chosen = MethodVersion(int(latest) + 1, method, reason, utc_now(), actor)
    conn.execute(
        pool_forecast_methods.insert().values(
            pool_id=pool_id,
            version=chosen.version,
            method=method,
            reason=reason,
            set_at=chosen.set_at,
            set_by=actor,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="pool.forecast_method",
        object_type="pool",
        object_id=pool_id,
        detail={"version": chosen.version, "method": method, "reason": reason},
    )
    return chosen


def method_versions(conn: Connection, pool_id: int) -> list[MethodVersion]:
    """Every version of the pool's forecast method, oldest first (empty: never chosen)."""
    rows = conn.execute(
        select(pool_forecast_methods)
        .where(pool_forecast_methods.c.pool_id == pool_id)
        .order_by(pool_forecast_methods.c.version)
    )
    return [MethodVersion(int(r.version), r.method, r.reason, r.set_at, r.set_by) for r in rows]


def add_entry(conn: Connection, pool_id: int, year: str, entry: ForecastEntry) -> None:
    """Record a partner's forecast of a scheme's month (a newer entry for the same month replaces it)."""
    conn.execute(
        pool_forecast_entries.insert().values(
            pool_id=pool_id,
            year=year,
            scheme=entry.scheme,
            month=entry.month,
            amount=entry.amount,
            partner=entry.partner,
            entered_at=entry.entered_at,
            entered_by=entry.entered_by,
        )
    )
    audit.append(
        conn,
        actor=entry.entered_by,
        action="pool.forecast_entry",
        object_type="pool",
        object_id=pool_id,
        detail={
            "year": year,
            "scheme": entry.scheme,
            "month": entry.month,
            "amount_pence": entry.amount,
            "partner": entry.partner,
        },
    )


def entries(conn: Connection, pool_id: int, year: str) -> dict[tuple[str, str], ForecastEntry]:
    """The forecasts in force for ``year``: the newest entry for each (scheme, month)."""
    rows = conn.execute(
        select(pool_forecast_entries)
        .where(pool_forecast_entries.c.pool_id == pool_id, pool_forecast_entries.c.year == year)
        .order_by(pool_forecast_entries.c.id)
    )
    latest: dict[tuple[str, str], ForecastEntry] = {}
    for r in rows:
        latest[(r.scheme, r.month)] = ForecastEntry(
            r.scheme, r.month, int(r.amount), r.partner, r.entered_at, r.entered_by
        )
    return latest


def reopen(conn: Connection, pool_id: int, year: str, reason: str, actor: str) -> int | None:
    """Move ``year``'s settlement record into the reopened settlements, so the year can be settled again;
    returns the settlement's transaction (None for a year that settled at nil), which the caller reverses."""
    row = conn.execute(
        select(pool_settlements).where(pool_settlements.c.pool_id == pool_id, pool_settlements.c.year == year)
    ).first()
    if row is None:
        raise NotFoundError(f"{year} is not settled, so it cannot be reopened")
    conn.execute(
        pool_reopened.insert().values(
            pool_id=pool_id,
            year=year,
            txn_id=row.txn_id,
            result=row.result,
            settled_at=row.settled_at,
            settled_by=row.settled_by,
            reopened_at=utc_now(),
            reopened_by=actor,
            reason=reason,
        )
    )
    conn.execute(
        pool_settlements.delete().where(
            pool_settlements.c.pool_id == pool_id, pool_settlements.c.year == year
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="pool.reopen",
        object_type="pool",
        object_id=pool_id,
        detail={"year": year, "settlement": row.txn_id, "reason": reason},
    )
    return None if row.txn_id is None else int(row.txn_id)


def reopened(conn: Connection, pool_id: int, year: str | None = None) -> list[Reopened]:
    """The pool's reopened settlements (of one year, if given), oldest first."""
    query = select(pool_reopened).where(pool_reopened.c.pool_id == pool_id).order_by(pool_reopened.c.id)
    if year is not None:
        query = query.where(pool_reopened.c.year == year)
    return [
        Reopened(
            r.year,
            r.txn_id,
            r.result,
            r.settled_at,
            r.settled_by,
            r.reopened_at,
            r.reopened_by,
            r.reason,
        )
        for r in conn.execute(query)
    ]


def record_early(conn: Connection, pool_id: int, year: str, reason: str, actor: str) -> None:
    """Audit that ``year`` was settled before its last day, and why (beside the settlement's own record)."""
    audit.append(
        conn,
        actor=actor,
        action="pool.settle_early",
        object_type="pool",
        object_id=pool_id,
        detail={"year": year, "reason": reason},
    )
