"""What an attacker with write access to the database (and, for some tests, the key) does to the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update

from totalplace.place import Place
from totalplace.store import audit
from totalplace.store.schema import audit_head, audit_log

Row = dict[str, Any]
Sealer = Callable[[str, tuple[int, str, str, str, str, str, str, str]], str]


def fill(place: Place, n: int, *, per_transaction: int = 1) -> None:
    """Append ``n`` records, ``per_transaction`` to each committed transaction."""
    for start in range(0, n, per_transaction):
        with place.begin() as conn:
            for i in range(start, min(n, start + per_transaction)):
                audit.append(
                    conn,
                    actor=f"user{i % 3}",
                    action="thing.do",
                    object_type="thing",
                    object_id=i,
                    detail={"i": i, "note": "ünïcode £"},
                )


def rows(place: Place) -> list[Row]:
    """Every audit record as a dict, in order."""
    with place.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(audit_log).order_by(audit_log.c.seq))]


def plain(_alg: str, fields: tuple[int, str, str, str, str, str, str, str]) -> str:
    """Seal as the unkeyed chain did (anyone can)."""
    return audit.record_hash(*fields)


def hmac_with(key: bytes) -> Sealer:
    """Seal with an HMAC key (the attacker's own, or the place's stolen one)."""
    return lambda alg, fields: audit.sealed_hash(key, alg, fields)


def reseal(records: list[Row], sealer: Sealer, *, alg: str | None = None) -> list[Row]:
    """Renumber and recompute the whole chain so that every link and seal is consistent."""
    out: list[Row] = []
    prev = audit.GENESIS_HASH
    for seq, row in enumerate(records, start=1):
        new = {**row, "seq": seq, "prev_hash": prev, "alg": alg or row["alg"]}
        fields = (
            seq,
            new["at"],
            new["actor"],
            new["action"],
            new["object_type"],
            new["object_id"],
            new["detail"],
        )
        new["hash"] = sealer(new["alg"], (*fields, prev))
        out.append(new)
        prev = new["hash"]
    return out


def replace_log(place: Place, records: list[Row], *, head_alg: str | None = None) -> None:
    """Put ``records`` in place of the log and point the head at the last of them."""
    with place.engine.begin() as conn:
        conn.execute(delete(audit_log))
        if records:
            conn.execute(audit_log.insert(), records)
        last = records[-1] if records else {"seq": 0, "hash": audit.GENESIS_HASH}
        values: dict[str, Any] = {"seq": last["seq"], "hash": last["hash"]}
        if head_alg is not None:
            values["alg"] = head_alg
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(values))


def problems(place: Place, against: str | None = None) -> list[str]:
    """What verify finds."""
    with place.read() as conn:
        return audit.verify(conn, against=against).problems


def anchor_text(place: Place) -> list[str]:
    """The anchor file's lines."""
    return place.audit.anchor_path.read_text("ascii").splitlines()
