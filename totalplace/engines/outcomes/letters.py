"""Exception letters: when an indicator leaves its tolerance band, a letter to the accountable body.

Modelled on the open letter the Bank of England Act 1998 requires of the Governor when inflation leaves its
band: it states the movement with its interval, what the data show about why (the breakdowns that moved
most), and leaves space for the remedial plan and the date by which it will work. Letters are kept until
answered; one per indicator, area and period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from totalplace.engines.outcomes.benchmark import BenchmarkRow, RowTrend, benchmark, by_period, headline
from totalplace.engines.outcomes.framework import Framework, Indicator, Outcome, current_framework
from totalplace.errors import ConflictError, InvalidInputError, NotFoundError
from totalplace.governance.policy import Resource
from totalplace.governance.roles import Principal
from totalplace.store import outcomes as store
from totalplace.store.areas import list_areas

if TYPE_CHECKING:
    from totalplace.place import Place


@dataclass(frozen=True, slots=True)
class Band:
    """The tolerance band the indicator left."""

    lower: float | None
    upper: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"lower": self.lower, "upper": self.upper}


@dataclass(frozen=True, slots=True)
class Reading:
    """The latest headline value with its limits, England's value and the comparison with it."""

    value: float | None
    lower95: float | None
    upper95: float | None
    lower998: float | None
    upper998: float | None
    benchmark: float | None
    comparison95: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "value": self.value,
            "lower95": self.lower95,
            "upper95": self.upper95,
            "lower998": self.lower998,
            "upper998": self.upper998,
            "benchmark": self.benchmark,
            "comparison95": self.comparison95,
        }


@dataclass(frozen=True, slots=True)
class Previous:
    """The headline value of the period before, with its 95% limits."""

    period: str
    value: float | None
    lower95: float | None
    upper95: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"period": self.period, "value": self.value, "lower95": self.lower95, "upper95": self.upper95}


@dataclass(frozen=True, slots=True)
class Cause:
    """A breakdown (an age group, say) in the latest period: its value and change since the period before."""

    breakdown: dict[str, str]
    value: float | None
    change: float | None
    comparison: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "breakdown": dict(self.breakdown),
            "value": self.value,
            "change": self.change,
            "comparison": self.comparison,
        }


@dataclass(frozen=True, slots=True)
class AreaMovement:
    """One of the place's own areas: its value, change, and its contribution to the place's change."""

    area: str
    area_code: str
    value: float | None
    lower95: float | None
    upper95: float | None
    change: float | None
    contribution: float | None
    comparison: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "area": self.area,
            "area_code": self.area_code,
            "value": self.value,
            "lower95": self.lower95,
            "upper95": self.upper95,
            "change": self.change,
            "contribution": self.contribution,
            "comparison": self.comparison,
        }


@dataclass(frozen=True, slots=True)
class OffTrack:
    """An indicator outside its tolerance band: what a letter says. ``areas`` is None when the place has
    no areas of its own to show."""

    framework: str
    outcome: str
    indicator: Indicator
    area: str
    area_code: str
    period: str
    side: str
    band: Band
    latest: Reading
    previous: Previous | None
    trend: RowTrend
    likely_causes: list[Cause] = field(default_factory=list)
    areas: list[AreaMovement] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (as the letter keeps it)."""
        out: dict[str, Any] = {
            "framework": self.framework,
            "outcome": self.outcome,
            "indicator": self.indicator.model_dump(mode="json"),
            "area": self.area,
            "area_code": self.area_code,
            "period": self.period,
            "side": self.side,
            "band": self.band.to_dict(),
            "latest": self.latest.to_dict(),
            "previous": None if self.previous is None else self.previous.to_dict(),
            "trend": self.trend.to_dict(),
            "likely_causes": [c.to_dict() for c in self.likely_causes],
        }
        if self.areas is not None:
            out["areas"] = [a.to_dict() for a in self.areas]
        return out


def _off_track(content: dict[str, Any]) -> OffTrack:
    """A letter's content, as the store gives it back, as typed."""
    previous = content["previous"]
    areas = content.get("areas")
    return OffTrack(
        framework=content["framework"],
        outcome=content["outcome"],
        indicator=Indicator.model_validate(content["indicator"]),
        area=content["area"],
        area_code=content["area_code"],
        period=content["period"],
        side=content["side"],
        band=Band(**content["band"]),
        latest=Reading(**content["latest"]),
        previous=None if previous is None else Previous(**previous),
        trend=RowTrend(**content["trend"]),
        likely_causes=[Cause(**c) for c in content["likely_causes"]],
        areas=None if areas is None else [AreaMovement(**a) for a in areas],
    )


@dataclass(frozen=True, slots=True)
class Letter:
    """A stored letter."""

    id: int
    indicator_id: str
    area_code: str
    period: str
    addressee: str
    status: str
    content: OffTrack
    drafted_at: str
    plan: str | None
    remedy_by: str | None
    answered_at: str | None
    answered_by: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "id": self.id,
            "indicator_id": self.indicator_id,
            "area_code": self.area_code,
            "period": self.period,
            "addressee": self.addressee,
            "status": self.status,
            "content": self.content.to_dict(),
            "drafted_at": self.drafted_at,
            "plan": self.plan,
            "remedy_by": self.remedy_by,
            "answered_at": self.answered_at,
            "answered_by": self.answered_by,
        }


def _latest_outside(place: Place, indicator: Indicator) -> tuple[list[BenchmarkRow], list[BenchmarkRow], str]:
    """The indicator's rows for the place, its headline series, and "below" or "above" when the latest
    headline value is outside its band ("" when it is within, or there is none)."""
    band = indicator.tolerance
    if band is None or (band.lower is None and band.upper is None) or not place.config.code:
        return [], [], ""
    try:
        rows = benchmark(place, indicator=indicator.id, areas=[place.config.code]).rows()
    except NotFoundError:
        return [], [], ""
    series = [r for r in by_period(headline(rows)) if r.value is not None]
    if not series:
        return rows, series, ""
    value = series[-1].value
    assert value is not None
    if band.lower is not None and value < band.lower:
        return rows, series, "below"
    return rows, series, "above" if band.upper is not None and value > band.upper else ""


def exceptions(place: Place) -> list[OffTrack]:
    """Every framework indicator whose latest headline value for the place is outside its tolerance band."""
    with place.read() as conn:
        framework = current_framework(conn)
        own_areas = [a.code for a in list_areas(conn) if a.code != place.config.code]
    if framework is None or not place.config.code:
        return []
    out = []
    for outcome, indicator in framework.indicators().values():
        rows, series, side = _latest_outside(place, indicator)
        if not side:
            continue
        found = _exception(framework, outcome, indicator, series, rows, side)
        if own_areas:
            within = benchmark(place, indicator=indicator.id, areas=own_areas).rows()
            moved = area_movements(
                within, found.period, None if found.previous is None else found.previous.period
            )
            found = replace(found, areas=moved)
        out.append(found)
    return out


def area_movements(rows: Sequence[BenchmarkRow], period: str, previous: str | None) -> list[AreaMovement]:
    """The place's own areas (wards, neighbourhoods) in ``period``, those that moved the place's value most
    first: each area's change since ``previous`` weighted by its share of the denominator, so a small area's
    big swing does not outrank a large area's steady rise."""
    series = [r for r in headline(rows) if r.value is not None]
    now = {r.area_code: r for r in series if r.period == period}
    before = {r.area_code: r for r in series if r.period == previous}
    total = sum(r.denominator or 0 for r in now.values()) or 1
    out = []
    for code, row in now.items():
        earlier = before.get(code)
        change = (
            None
            if earlier is None or row.value is None or earlier.value is None
            else row.value - earlier.value
        )
        out.append(
            AreaMovement(
                area=row.area_name or code,
                area_code=code,
                value=row.value,
                lower95=row.lower95,
                upper95=row.upper95,
                change=change,
                contribution=None if change is None else change * (row.denominator or 0) / total,
                comparison=row.comparison95,
            )
        )
    out.sort(key=lambda a: -abs(a.contribution or 0))
    return out[:6]


def _causes(
    rows: list[BenchmarkRow], series: list[BenchmarkRow], previous: BenchmarkRow | None
) -> list[Cause]:
    """The breakdowns of the latest period (other than the headline), largest movement first."""
    latest = series[-1]
    causes = []
    for row in rows:
        if row.period != latest.period or row in series or row.value is None:
            continue
        before = next(
            (
                r
                for r in rows
                if previous is not None and r.period == previous.period and r.breakdown == row.breakdown
            ),
            None,
        )
        change = None if before is None or before.value is None else row.value - before.value
        causes.append(Cause(row.breakdown, row.value, change, row.comparison95))
    causes.sort(key=lambda c: -abs(c.change or 0))
    return causes[:6]


def _exception(
    framework: Framework,
    outcome: Outcome,
    indicator: Indicator,
    series: list[BenchmarkRow],
    rows: list[BenchmarkRow],
    side: str,
) -> OffTrack:
    band = indicator.tolerance
    latest = series[-1]
    previous = series[-2] if len(series) > 1 else None
    return OffTrack(
        framework=framework.title,
        outcome=outcome.title,
        indicator=indicator,
        area=latest.area_name or latest.area_code,
        area_code=latest.area_code,
        period=latest.period,
        side=side,
        band=Band(None if band is None else band.lower, None if band is None else band.upper),
        latest=Reading(
            latest.value,
            latest.lower95,
            latest.upper95,
            latest.lower998,
            latest.upper998,
            latest.benchmark,
            latest.comparison95,
        ),
        previous=None
        if previous is None
        else Previous(previous.period, previous.value, previous.lower95, previous.upper95),
        trend=latest.trend,
        likely_causes=_causes(rows, series, previous),
    )


def draft_letters(place: Place, *, principal: Principal) -> list[Letter]:
    """Draft a letter for every exception that has none yet; return the new letters."""
    principal.require("framework.change", Resource("framework", "letters"))
    found = exceptions(place)
    new: list[int] = []
    with place.begin() as conn:
        for item in found:
            if store.letter_exists(
                conn, indicator_id=item.indicator.id, area_code=item.area_code, period=item.period
            ):
                continue
            new.append(
                store.add_letter(
                    conn,
                    indicator_id=item.indicator.id,
                    area_code=item.area_code,
                    period=item.period,
                    addressee=item.indicator.owner or "the accountable body",
                    content=item.to_dict(),
                    side=item.side,
                    actor=principal.username,
                )
            )
        return [get_letter(conn, letter_id) for letter_id in new]


def _letter(row: store.LetterRow) -> Letter:
    return Letter(
        row.id,
        row.indicator_id,
        row.area_code,
        row.period,
        row.addressee,
        row.status,
        _off_track(row.content),
        row.drafted_at,
        row.plan,
        row.remedy_by,
        row.answered_at,
        row.answered_by,
    )


def list_letters(conn: Connection) -> list[Letter]:
    """Every letter, open ones first, newest first."""
    return sorted(
        (_letter(r) for r in store.letter_rows(conn)), key=lambda letter: letter.status == "answered"
    )


def get_letter(conn: Connection, letter_id: int) -> Letter:
    """One letter."""
    row = store.letter_row(conn, letter_id)
    if row is None:
        raise NotFoundError(f"no letter {letter_id}", hint="list them: totalplace outcomes letters")
    return _letter(row)


def answer_letter(
    conn: Connection, letter_id: int, *, plan: str, remedy_by: str, principal: Principal
) -> Letter:
    """Record the accountable body's remedial plan and the date it will have worked by."""
    principal.require("framework.change", Resource("framework", "letters"))
    letter = get_letter(conn, letter_id)
    if letter.status == "answered":
        raise ConflictError(f"letter {letter_id} was answered on {letter.answered_at}")
    if not plan.strip():
        raise InvalidInputError("the answer needs the remedial plan")
    try:
        date.fromisoformat(remedy_by)
    except ValueError:
        raise InvalidInputError(f"{remedy_by!r} is not a date", hint="write it as YYYY-MM-DD") from None
    store.answer_letter(conn, letter_id, plan=plan.strip(), remedy_by=remedy_by, actor=principal.username)
    return get_letter(conn, letter_id)
