"""Small areas of the place's geography: output areas, LSOAs, wards, the local authority."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, func, select, update

from totalplace.errors import InvalidInputError
from totalplace.store import audit
from totalplace.store.schema import areas

AREA_LEVELS: Final = ("oa", "lsoa", "msoa", "ward", "la")


@dataclass(frozen=True)
class Area:
    """One small area."""

    code: str
    name: str
    level: str
    parent_code: str | None
    population: int | None
    has_boundary: bool


@dataclass(frozen=True)
class AreaRow:
    """An area as read from an import; ``None`` fields leave what the store holds unchanged."""

    code: str
    name: str | None
    level: str
    parent_code: str | None
    population: int | None
    boundary: str | None
    centre_x: float | None = None
    centre_y: float | None = None


def upsert_areas(
    conn: Connection, rows: list[AreaRow], *, batch_id: int, actor: str, update_only: bool = False
) -> dict[str, int]:
    """Add new areas and update known ones from an import batch. Returns counts added and updated.

    With ``update_only`` rows for areas the place does not have are ignored (and counted): a national file
    of centres or populations updates the place's own areas without adding the rest of the country.
    """
    # The import refuses these row by row (TP543); this guard keeps any other path from storing a population
    # that would break every per-head figure of the area and its parents, on every page, for everyone.
    negative = [r.code for r in rows if r.population is not None and r.population < 0]
    if negative:
        raise InvalidInputError(
            f"an area's population cannot be negative ({', '.join(negative[:5])})", hint="correct the file"
        )
    known = {r.code for r in conn.execute(select(areas.c.code))}
    added = updated = ignored = 0
    for row in rows:
        if update_only and row.code not in known:
            ignored += 1
            continue
        values: dict[str, object] = {"level": row.level, "batch_id": batch_id}
        for name in ("name", "parent_code", "population", "boundary", "centre_x", "centre_y"):
            value = getattr(row, name)
            if value is not None:
                values[name] = value
        if row.code in known:
            conn.execute(update(areas).where(areas.c.code == row.code).values(**values))
            updated += 1
        else:
            values.setdefault("name", row.code)
            conn.execute(areas.insert().values(code=row.code, **values))
            known.add(row.code)
            added += 1
    audit.append(
        conn,
        actor=actor,
        action="geography.import",
        object_type="batch",
        object_id=batch_id,
        detail={"added": added, "updated": updated, "ignored": ignored},
    )
    return {"added": added, "updated": updated, **({"ignored": ignored} if update_only else {})}


def list_areas(conn: Connection, level: str | None = None) -> list[Area]:
    """Areas, by level and code."""
    query = select(
        areas.c.code,
        areas.c.name,
        areas.c.level,
        areas.c.parent_code,
        areas.c.population,
        areas.c.boundary.is_not(None).label("has_boundary"),
    ).order_by(areas.c.level, areas.c.code)
    if level is not None:
        query = query.where(areas.c.level == level)
    return [Area(**r._mapping) for r in conn.execute(query)]


def boundaries(conn: Connection, level: str) -> list[tuple[str, str, int | None, str]]:
    """(code, name, population, GeoJSON geometry text) of every area of a level that has a boundary."""
    query = (
        select(areas.c.code, areas.c.name, areas.c.population, areas.c.boundary)
        .where(areas.c.level == level, areas.c.boundary.is_not(None))
        .order_by(areas.c.code)
    )
    return [(r.code, r.name, r.population, r.boundary) for r in conn.execute(query)]


def centres(
    conn: Connection, level: str
) -> list[tuple[str, str, int | None, float | None, float | None, str | None]]:
    """(code, name, population, centre easting, centre northing, boundary) of every area of a level."""
    query = (
        select(
            areas.c.code,
            areas.c.name,
            areas.c.population,
            areas.c.centre_x,
            areas.c.centre_y,
            areas.c.boundary,
        )
        .where(areas.c.level == level)
        .order_by(areas.c.code)
    )
    return [(r.code, r.name, r.population, r.centre_x, r.centre_y, r.boundary) for r in conn.execute(query)]


def summary(conn: Connection) -> dict[str, dict[str, int]]:
    """Per level: number of areas, total population, number with boundaries."""
    query = select(
        areas.c.level,
        func.count(),
        func.coalesce(func.sum(areas.c.population), 0),
        func.count(areas.c.boundary),
    ).group_by(areas.c.level)
    return {
        r[0]: {"areas": int(r[1]), "population": int(r[2]), "with_boundary": int(r[3])}
        for r in conn.execute(query)
    }
