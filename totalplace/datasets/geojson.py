"""Reading a GeoJSON FeatureCollection as a table: one row per feature, its properties and its geometry."""

from __future__ import annotations

import json
from collections.abc import Iterator

from totalplace.datasets import problems as codes


def looks_like_geojson(text_head: bytes) -> bool:
    """True when the bytes start like a GeoJSON document."""
    head = text_head.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    return head.startswith(b"{") and b'"type"' in head and b"Feature" in head


def geojson_rows(data: bytes, name: str) -> Iterator[tuple[int, list[str | object]]]:
    """Row 0 is the header (property names, then "geometry"); feature N is row N."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        codes.reject(name, codes.NOT_A_TABLE, f"the file is not valid GeoJSON: {exc}")
    except RecursionError:
        codes.reject(name, codes.NOT_A_TABLE, "the GeoJSON is nested too deeply to be a list of areas")
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        codes.reject(name, codes.NOT_A_TABLE, "the GeoJSON has no list of features")
    keys: list[str] = []
    for feature in features:
        for key in (feature.get("properties") or {}) if isinstance(feature, dict) else {}:
            if key not in keys:
                keys.append(key)
    return _rows(features, keys)


def _rows(features: list[object], keys: list[str]) -> Iterator[tuple[int, list[str | object]]]:
    yield 0, [*keys, "geometry"]
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        cells: list[str | object] = ["" if props.get(k) is None else str(props.get(k)) for k in keys]
        cells.append("" if geometry is None else json.dumps(geometry, separators=(",", ":")))
        yield number, cells
