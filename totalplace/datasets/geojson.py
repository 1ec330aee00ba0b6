"""Reading a GeoJSON FeatureCollection as a table: one row per feature, its properties and its geometry.

Before anything is parsed the file's coordinate positions are counted (one ``[`` each, at most; a C-speed
count of bytes) against ``TOTALPLACE_MAX_GEOJSON_VERTICES`` (TP557), so a polygon of millions of points is
refused in a fraction of a second instead of being built into millions of Python lists. Nesting is bounded and
a feature whose properties repeat a key is refused, naming the feature and the key (TP554), as JSON readers
otherwise keep the last value silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

from totalplace.datasets import problems as codes
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.safe_json import Repeated, first_repeated, parse_json
from totalplace.errors import DocumentRefusedError, ImportRejectedError, RowProblem


def looks_like_geojson(text_head: bytes) -> bool:
    """True when the bytes start like a GeoJSON document."""
    head = text_head.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    return head.startswith(b"{") and b'"type"' in head and b"Feature" in head


def check_vertices(data: bytes, name: str, limit: int, counted: int = 0) -> None:
    """Refuse a document with more coordinate positions than ``limit`` (an upper bound: every ``[``), or
    whose positions already ``counted`` pass it."""
    brackets = counted or data.count(b"[")
    if brackets > limit:
        codes.reject(
            name,
            codes.TOO_MANY_VERTICES,
            f"the file holds up to {brackets:,} coordinate positions; the limit is {limit:,} "
            "(TOTALPLACE_MAX_GEOJSON_VERTICES); simplify the boundaries (e.g. ONS generalised, BGC) or "
            "split the file",
        )


def geojson_rows(data: bytes, name: str, limits: ImportLimits) -> Iterator[tuple[int, list[str | object]]]:
    """Row 0 is the header (property names, then "geometry"); feature N is row N."""
    check_vertices(data, name, limits.max_vertices)
    try:
        document = parse_json(data, name)
    except DocumentRefusedError as refused:
        # JSON that does not parse is, for an import, a file that is not a table (TP512), as before
        problems = [
            replace(p, code=codes.NOT_A_TABLE, message=f"the file is not valid GeoJSON: {p.message}")
            if p.code == codes.NOT_YAML
            else p
            for p in refused.problems
        ]
        raise ImportRejectedError(name, problems) from None
    if isinstance(document, Repeated):
        message = f"the document writes the key {document.key[:80]!r} twice; keep one"
        codes.reject(name, codes.REPEATED_KEY, message, column=document.key[:200], value=document.key)
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        codes.reject(name, codes.NOT_A_TABLE, "the GeoJSON has no list of features")
    _refuse_repeated_keys(features, name)
    keys: list[str] = []
    for feature in features:
        for key in _properties(feature):
            if key not in keys:
                keys.append(key)
    return _rows(features, keys)


def _properties(feature: object) -> dict[str, object]:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return props if isinstance(props, dict) else {}


def _refuse_repeated_keys(features: list[object], name: str) -> None:
    """Every feature (its properties, its geometry) that writes a key twice, as one refusal."""
    found: list[RowProblem] = []
    for number, feature in enumerate(features, start=1):
        repeated = first_repeated(feature)
        if isinstance(repeated, Repeated):
            found.append(
                RowProblem(
                    codes.REPEATED_KEY,
                    name,
                    number,
                    repeated.key[:200],
                    repeated.key[:200],
                    f"feature {number} writes the key {repeated.key[:80]!r} twice; keep one",
                )
            )
    if found:
        raise ImportRejectedError(name, found)


def _rows(features: list[object], keys: list[str]) -> Iterator[tuple[int, list[str | object]]]:
    yield 0, [*keys, "geometry"]
    for number, feature in enumerate(features, start=1):
        props = _properties(feature)
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        cells: list[str | object] = ["" if props.get(k) is None else str(props.get(k)) for k in keys]
        cells.append("" if geometry is None else json.dumps(geometry, separators=(",", ":")))
        yield number, cells
