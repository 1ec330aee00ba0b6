"""Exception letters: when an indicator leaves its tolerance band, a letter to the accountable body.

Modelled on the open letter the Bank of England Act 1998 requires of the Governor when inflation leaves its
band: it states the movement with its interval, what the data show about why (the breakdowns that moved
most), and leaves space for the remedial plan and the date by which it will work. Letters are kept until
answered; one per indicator, area and period.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from totalplace.datasets.observations import period_start
from totalplace.engines.outcomes.benchmark import benchmark, headline
from totalplace.engines.outcomes.framework import Framework, current_framework
from totalplace.errors import ConflictError, InvalidInputError, NotFoundError
from totalplace.store import audit
from totalplace.store.areas import list_areas
from totalplace.store.clock import utc_now
from totalplace.store.schema import exception_letters

if TYPE_CHECKING:
    from totalplace.place import Place


@dataclass(frozen=True)
class Letter:
    """A stored letter."""

    id: int
    indicator_id: str
    area_code: str
    period: str
    addressee: str
    status: str
    content: dict[str, Any]
    drafted_at: str
    plan: str | None
    remedy_by: str | None
    answered_at: str | None
    answered_by: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dict(self.__dict__)


def exceptions(place: Place) -> list[dict[str, Any]]:
    """Every framework indicator whose latest headline value for the place is outside its tolerance band."""
    with place.read() as conn:
        framework = current_framework(conn)
        own_areas = [a.code for a in list_areas(conn) if a.code != place.config.code]
    if framework is None or not place.config.code:
        return []
    out = []
    for outcome, indicator in framework.indicators().values():
        band = indicator.tolerance
        if band is None or (band.lower is None and band.upper is None):
            continue
        try:
            rows = benchmark(place, indicator=indicator.id, areas=[place.config.code]).rows()
        except NotFoundError:
            continue
        series = sorted(headline(rows), key=lambda r: period_start(r["period"]) or 0.0)
        series = [r for r in series if r["value"] is not None]
        if not series:
            continue
        latest = series[-1]
        below = band.lower is not None and latest["value"] < band.lower
        above = band.upper is not None and latest["value"] > band.upper
        if below or above:
            found = _exception(
                framework, outcome.title, indicator.id, latest, series, rows, "below" if below else "above"
            )
            if own_areas:
                within = benchmark(place, indicator=indicator.id, areas=own_areas).rows()
                found["areas"] = area_movements(
                    within, latest["period"], (found["previous"] or {}).get("period")
                )
            out.append(found)
    return out


def area_movements(rows: list[dict[str, Any]], period: str, previous: str | None) -> list[dict[str, Any]]:
    """The place's own areas (wards, neighbourhoods) in ``period``, those that moved the place's value most
    first: each area's change since ``previous`` weighted by its share of the denominator, so a small area's
    big swing does not outrank a large area's steady rise."""
    series = [r for r in headline(rows) if r["value"] is not None]
    now = {r["area_code"]: r for r in series if r["period"] == period}
    before = {r["area_code"]: r for r in series if r["period"] == previous}
    total = sum(r["denominator"] or 0 for r in now.values()) or 1
    out = []
    for code, row in now.items():
        earlier = before.get(code)
        change = None if earlier is None else row["value"] - earlier["value"]
        out.append(
            {
                "area": row["area_name"] or code,
                "area_code": code,
                "value": row["value"],
                "lower95": row["lower95"],
                "upper95": row["upper95"],
                "change": change,
                "contribution": None if change is None else change * (row["denominator"] or 0) / total,
                "comparison": row["comparison95"],
            }
        )
    out.sort(key=lambda a: -abs(a["contribution"] or 0))
    return out[:6]


def _exception(
    framework: Framework,
    outcome: str,
    indicator_id: str,
    latest: dict[str, Any],
    series: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    side: str,
) -> dict[str, Any]:
    _, indicator = framework.indicators()[indicator_id]
    band = indicator.tolerance
    previous = series[-2] if len(series) > 1 else None
    causes = []
    for row in rows:
        if row["period"] != latest["period"] or row in series or row["value"] is None:
            continue
        before = next(
            (
                r
                for r in rows
                if r["period"] == (previous or {}).get("period") and r["breakdown"] == row["breakdown"]
            ),
            None,
        )
        change = None if before is None or before["value"] is None else row["value"] - before["value"]
        causes.append(
            {
                "breakdown": row["breakdown"],
                "value": row["value"],
                "change": change,
                "comparison": row["comparison95"],
            }
        )
    causes.sort(key=lambda c: -abs(c["change"] or 0))
    return {
        "framework": framework.title,
        "outcome": outcome,
        "indicator": indicator.model_dump(mode="json"),
        "area": latest["area_name"] or latest["area_code"],
        "area_code": latest["area_code"],
        "period": latest["period"],
        "side": side,
        "band": {
            "lower": None if band is None else band.lower,
            "upper": None if band is None else band.upper,
        },
        "latest": {
            k: latest[k]
            for k in ("value", "lower95", "upper95", "lower998", "upper998", "benchmark", "comparison95")
        },
        "previous": None
        if previous is None
        else {
            "period": previous["period"],
            "value": previous["value"],
            "lower95": previous["lower95"],
            "upper95": previous["upper95"],
        },
        "trend": latest["trend"],
        "likely_causes": causes[:6],
    }


def draft_letters(place: Place, *, actor: str) -> list[Letter]:
    """Draft a letter for every exception that has none yet; return the new letters."""
    found = exceptions(place)
    new: list[int] = []
    with place.begin() as conn:
        for item in found:
            key = (item["indicator"]["id"], item["area_code"], item["period"])
            exists = conn.execute(
                select(exception_letters.c.id).where(
                    exception_letters.c.indicator_id == key[0],
                    exception_letters.c.area_code == key[1],
                    exception_letters.c.period == key[2],
                )
            ).first()
            if exists is not None:
                continue
            inserted = conn.execute(
                insert(exception_letters).values(
                    indicator_id=key[0],
                    area_code=key[1],
                    period=key[2],
                    addressee=item["indicator"].get("owner") or "the accountable body",
                    status="drafted",
                    content=json.dumps(item),
                    drafted_at=utc_now(),
                    drafted_by=actor,
                )
            ).inserted_primary_key
            assert inserted is not None
            new.append(int(inserted[0]))
            audit.append(
                conn,
                actor=actor,
                action="outcomes.letter.draft",
                object_type="letter",
                object_id=new[-1],
                detail={"indicator": key[0], "period": key[2], "side": item["side"]},
            )
        return [get_letter(conn, letter_id) for letter_id in new]


def _letter(row: Any) -> Letter:
    return Letter(
        row.id,
        row.indicator_id,
        row.area_code,
        row.period,
        row.addressee,
        row.status,
        json.loads(row.content),
        row.drafted_at,
        row.plan,
        row.remedy_by,
        row.answered_at,
        row.answered_by,
    )


def list_letters(conn: Connection) -> list[Letter]:
    """Every letter, open ones first, newest first."""
    rows = conn.execute(select(exception_letters).order_by(exception_letters.c.id.desc()))
    return sorted((_letter(r) for r in rows), key=lambda letter: letter.status == "answered")


def get_letter(conn: Connection, letter_id: int) -> Letter:
    """One letter."""
    row = conn.execute(select(exception_letters).where(exception_letters.c.id == letter_id)).first()
    if row is None:
        raise NotFoundError(f"no letter {letter_id}", hint="list them: totalplace outcomes letters")
    return _letter(row)


def answer_letter(conn: Connection, letter_id: int, *, plan: str, remedy_by: str, actor: str) -> Letter:
    """Record the accountable body's remedial plan and the date it will have worked by."""
    letter = get_letter(conn, letter_id)
    if letter.status == "answered":
        raise ConflictError(f"letter {letter_id} was answered on {letter.answered_at}")
    if not plan.strip():
        raise InvalidInputError("the answer needs the remedial plan")
    try:
        from datetime import date

        date.fromisoformat(remedy_by)
    except ValueError:
        raise InvalidInputError(f"{remedy_by!r} is not a date", hint="write it as YYYY-MM-DD") from None
    conn.execute(
        update(exception_letters)
        .where(exception_letters.c.id == letter_id)
        .values(
            status="answered",
            plan=plan.strip(),
            remedy_by=remedy_by,
            answered_at=utc_now(),
            answered_by=actor,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="outcomes.letter.answer",
        object_type="letter",
        object_id=str(letter_id),
        detail={"remedy_by": remedy_by},
    )
    return get_letter(conn, letter_id)
