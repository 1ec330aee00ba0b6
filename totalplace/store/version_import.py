"""Bringing a place made before versioning into its store: its loose files and frameworks become versions.

A place kept its models (``cba/*.yaml``), unit-cost library (``parameters/unit_costs.yaml``), GDP deflators
(``parameters/gdp_deflators.yaml``), own classification rules (``rules/*.yaml``) and settlement drafts
(``pools/drafts/*.yaml``) as files, and its outcomes framework's versions in their own table. When such a
place is opened, each file whose object has no version yet is kept as its version 1 and each framework row as
a version, by ``migration``, each audited like any change; nothing is deleted (the files stay where they
were, but the store is what is read from then on). A place with none of these costs one look at its folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import Connection, func, select

from totalplace.store import audit, versions
from totalplace.store.schema import object_versions, outcome_frameworks

if TYPE_CHECKING:
    from totalplace.place import Place

FILES: Final = (  # (kind, folder or file within the place, fixed name or None: the file's stem)
    ("model", "cba", None),
    ("unit_costs", "parameters/unit_costs.yaml", "library"),
    ("deflators", "parameters/gdp_deflators.yaml", "gdp"),
    ("rules", "rules", None),
    ("settlement_draft", "pools/drafts", None),
)


def loose_files(place_dir: Path) -> list[tuple[str, str, Path]]:
    """(kind, name, path) of every file a place made before versioning kept its objects in."""
    found: list[tuple[str, str, Path]] = []
    for kind, where, name in FILES:
        path = place_dir / where
        if name is not None:
            if path.is_file():
                found.append((kind, name, path))
        elif path.is_dir():
            found.extend((kind, p.stem, p) for p in sorted(path.glob("*.yaml")) if p.is_file())
    return found


def import_loose(place: Place) -> int:
    """Keep every loose file and framework row whose object has no version yet as its first version(s);
    how many versions were added."""
    files = loose_files(place.dir)
    with place.read() as conn:
        frameworks = _frameworks_to_import(conn)
    if not files and not frameworks:
        return 0
    added = 0
    with place.begin() as conn:
        audit.lock_head(conn)  # two processes opening the place at once: the second finds the first's work
        for kind, name, path in files:
            if versions.current(conn, kind, name) is None:
                body = path.read_text(encoding="utf-8")
                where = path.relative_to(place.dir).as_posix()
                _add(
                    conn, kind, name, body, f"imported from {where} when the place moved to versioned objects"
                )
                added += 1
        if _frameworks_to_import(conn):
            for row in conn.execute(select(outcome_frameworks).order_by(outcome_frameworks.c.id)):
                why = f"framework kept by {row.created_by} at {row.created_at}, before versioning"
                _add(conn, "framework", str(row.name), str(row.yaml), why)
                added += 1
    return added


def _add(conn: Connection, kind: str, name: str, body: str, reason: str) -> None:
    versions.add(
        conn, kind=kind, name=name, body=body, owner_id=None, actor=versions.MIGRATION_ACTOR, reason=reason
    )


def _frameworks_to_import(conn: Connection) -> bool:
    """True when the framework table holds versions and none is a versioned object yet."""
    kept = conn.execute(
        select(func.count()).select_from(object_versions).where(object_versions.c.kind == "framework")
    ).scalar_one()
    if kept:
        return False
    return bool(conn.execute(select(func.count()).select_from(outcome_frameworks)).scalar_one())
