"""Asset registers and service points, read as published, located on the map and in the place's small areas.

A register gives each site's position in one of three ways: WGS84 longitude and latitude, British National
Grid easting and northing (metres), or only a postcode, geocoded from a postcode-centroid file such as the
ONS Postcode Directory. GeoJSON points (and polygons, taken at their centroid) are read too. Every row becomes
``asset_id, name, type, services, lon, lat, easting, northing, postcode, area_code, floor_area, tenure,
running_cost, located_by`` for the ``assets`` dataset kind, with problems located to the row and column as
published: a position outside the country, a grid reference read as degrees, an unknown postcode.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import pyarrow.parquet as pq
import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from totalplace.datasets import problems as codes
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.safe_json import load_json
from totalplace.datasets.schema import normalise_header
from totalplace.datasets.source import read_path, read_source
from totalplace.datasets.values import CellError, parse_number
from totalplace.errors import DocumentRefusedError, ImportRejectedError, InvalidInputError, RowProblem
from totalplace.money import Money, MoneyOutOfRangeError, MoneyParseError

# The extent of the United Kingdom with its islands, generously (OS GB grid: 0-700 km east, 0-1,300 km north;
# Northern Ireland lies west of the grid's origin, so eastings down to -100 km are allowed).
UK_LON: Final = (-8.8, 2.0)
UK_LAT: Final = (49.8, 61.0)
UK_EASTING: Final = (-100_000.0, 700_000.0)
UK_NORTHING: Final = (0.0, 1_300_000.0)
HEADER: Final = (
    "asset_id",
    "name",
    "type",
    "services",
    "lon",
    "lat",
    "easting",
    "northing",
    "postcode",
    "area_code",
    "floor_area",
    "tenure",
    "running_cost",
    "located_by",
)
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "asset_id": (
        "asset id",
        "assetcode",
        "asset code",
        "uprn",
        "urn",
        "id",
        "site id",
        "code",
        "satellite number",
    ),
    "name": (
        "name",
        "property name",
        "site name",
        "hospital name",
        "establishment name",
        "station",
        "office",
        "organisation",
        "title",
        "distname",
    ),
    "type": ("type", "asset type", "category", "service type", "holding type", "feature", "buildgtheme"),
    "services": ("services", "services delivered", "service", "other detail"),
    "lon": ("lon", "long", "longitude", "lng", "geox", "geo x"),
    "lat": ("lat", "latitude", "geoy", "geo y"),
    "easting": ("easting", "eastings", "map east", "oseast1m", "x", "x coordinate"),
    "northing": ("northing", "northings", "map north", "osnrth1m", "y", "y coordinate"),
    "postcode": ("postcode", "post code", "pcd", "postcode of site"),
    "floor_area": ("floor area", "floor area m2", "building size", "gia", "gross internal area", "gia m2"),
    "tenure": ("tenure", "tenure type", "tenure detail"),
    "running_cost": ("running cost", "running costs", "annual running cost", "annual cost", "cost"),
}
Crs = Literal["auto", "wgs84", "bng"]


@functools.cache
def to_bng() -> Any:
    """WGS84 longitude/latitude to British National Grid metres (pyproj, loaded on first use)."""
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


@functools.cache
def to_wgs84() -> Any:
    """British National Grid metres to WGS84 longitude/latitude."""
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def normalise_postcode(text: str) -> str:
    """ "wa14 1pf" and "WA141PF" both become "WA14 1PF"."""
    compact = "".join(text.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


@dataclass(frozen=True)
class PostcodeCentres:
    """Postcode centroids in British National Grid metres."""

    points: Mapping[str, tuple[float, float]]

    @classmethod
    def read(cls, path: Path, limits: ImportLimits) -> PostcodeCentres:
        """From a CSV (gzipped or not) or parquet file with pcd, oseast1m and osnrth1m columns."""
        if path.suffix == ".parquet":
            table = pq.read_table(path, columns=["pcd", "oseast1m", "osnrth1m"])
            rows = zip(*(table.column(c).to_pylist() for c in ("pcd", "oseast1m", "osnrth1m")), strict=True)
            return cls._from(rows)
        source = read_source(read_path(path, limits), path.name, limits).rows
        _, header = next(source, (0, []))
        names = [normalise_header(h) for h in header]
        try:
            where = [names.index(n) for n in ("pcd", "oseast1m", "osnrth1m")]
        except ValueError:
            raise InvalidInputError(
                f"{path.name} has no pcd, oseast1m and osnrth1m columns",
                hint="use the ONS Postcode Directory (or a file with those three columns)",
            ) from None
        return cls._from((cells[where[0]], cells[where[1]], cells[where[2]]) for _, cells in source)

    @classmethod
    def _from(cls, rows: object) -> PostcodeCentres:
        points: dict[str, tuple[float, float]] = {}
        for pcd, east, north in rows:  # type: ignore[attr-defined]
            if east in (None, "") or north in (None, ""):
                continue  # a postcode without a grid reference cannot place anything
            points[normalise_postcode(str(pcd))] = (float(east), float(north))
        return cls(points)


@dataclass
class AssetsRead:
    """What was read: rows, how each was located, and how many fell inside the place's areas."""

    rows: int = 0
    located_by: dict[str, int] = field(default_factory=dict)
    in_place: int = 0
    crs: str = ""
    unlocated: list[RowProblem] = field(default_factory=list)
    swapped: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "rows": self.rows,
            "located_by": self.located_by,
            "in_place": self.in_place,
            "crs": self.crs,
            "set_aside_unlocated": [p.to_dict() for p in self.unlocated],
            "swapped_longitude_latitude_rows": self.swapped,
        }


@dataclass(frozen=True)
class AreaShapes:
    """The place's small-area boundaries, for point-in-polygon assignment."""

    codes: list[str]
    tree: shapely.STRtree
    shapes: list[BaseGeometry]

    @classmethod
    def of(cls, outlines: list[tuple[str, str]]) -> AreaShapes:
        """From (code, GeoJSON geometry text) pairs."""
        shapes = [shapely.geometry.shape(json.loads(g)) for _, g in outlines]
        return cls([c for c, _ in outlines], shapely.STRtree(shapes), shapes)

    def area_of(self, lon: float, lat: float) -> str:
        """The code of the area containing the point, or "" outside them all."""
        point = shapely.geometry.Point(lon, lat)
        for index in self.tree.query(point, predicate="intersects"):
            return self.codes[int(index)]
        return ""


def assets_to_csv(
    data: bytes,
    name: str,
    *,
    limits: ImportLimits,
    areas: AreaShapes | None,
    crs: Crs = "auto",
    asset_type: str | None = None,
    postcodes: PostcodeCentres | None = None,
    skip_unlocated: bool = False,
) -> tuple[bytes, AssetsRead]:
    """The register as normalised CSV, or every problem in it as ImportRejectedError.

    With ``skip_unlocated`` rows with neither coordinates nor a known postcode are set aside and listed
    (registers often hold parcels of land never surveyed) instead of refusing the file.
    """
    rows = read_source(data, name, limits).rows
    header_row, header = next(rows, (0, []))
    headers = [str(h).strip() for h in header]
    normal = [normalise_header(h) for h in headers]
    index = {
        key: next((normal.index(normalise_header(a)) for a in aliases if normalise_header(a) in normal), None)
        for key, aliases in _ALIASES.items()
    }
    index["geometry"] = normal.index("geometry") if "geometry" in normal else None
    reader = _Reader(name, headers, index, limits, areas, asset_type, postcodes)
    reader.skip_unlocated = skip_unlocated
    reader.crs = reader.choose_crs(crs)
    body = []
    for number, cells in rows:
        if any(str(c).strip() for c in cells):
            body.append((number, cells))
            if len(body) > limits.max_rows:
                codes.reject(
                    name,
                    codes.TOO_MANY_ROWS,
                    f"the register has more than {limits.max_rows:,} rows",
                    row=number,
                )
    if not body:
        codes.reject(name, codes.NO_DATA_ROWS, "the register has no rows", row=header_row)
    for number, cells in body:
        reader.row(number, cells)
    if reader.problems:
        raise ImportRejectedError(name, reader.problems)
    reader.summary.crs = reader.crs
    return reader.out.getvalue().encode("utf-8"), reader.summary


class _Reader:
    def __init__(
        self,
        name: str,
        headers: list[str],
        index: dict[str, int | None],
        limits: ImportLimits,
        areas: AreaShapes | None,
        asset_type: str | None,
        postcodes: PostcodeCentres | None,
    ) -> None:
        self.name, self.headers, self.index, self.limits = name, headers, index, limits
        self.areas, self.asset_type, self.postcodes = areas, asset_type, postcodes
        self.problems: list[RowProblem] = []
        self.summary = AssetsRead()
        self.out = io.StringIO()
        self.writer = csv.writer(self.out, lineterminator="\n")
        self.writer.writerow(HEADER)
        self.crs = "auto"
        self.skip_unlocated = False
        if asset_type is None and index["type"] is None:
            raise InvalidInputError(
                f"{name} has no type column", hint="say what the sites are with --type (e.g. --type library)"
            )

    def choose_crs(self, crs: Crs) -> str:
        """Which coordinates the rows carry: degrees, grid metres, a geometry, or only a postcode."""
        has = {
            k
            for k in ("lon", "lat", "easting", "northing", "postcode", "geometry")
            if self.index[k] is not None
        }
        if crs == "wgs84" or (crs == "auto" and {"lon", "lat"} <= has):
            if not {"lon", "lat"} <= has:
                if {"easting", "northing"} <= has:  # X/Y columns the user says are degrees
                    self.index["lon"], self.index["lat"] = self.index["easting"], self.index["northing"]
                    return "wgs84"
                raise InvalidInputError(f"{self.name} has no longitude and latitude columns")
            return "wgs84"
        if crs == "bng" or (crs == "auto" and {"easting", "northing"} <= has):
            if not {"easting", "northing"} <= has:
                if {"lon", "lat"} <= has:  # grid references published under lon/lat headers
                    self.index["easting"], self.index["northing"] = self.index["lon"], self.index["lat"]
                    return "bng"
                raise InvalidInputError(f"{self.name} has no easting and northing columns")
            return "bng"
        if "geometry" in has:
            return "geojson"
        if "postcode" in has:
            if self.postcodes is None:
                raise InvalidInputError(
                    f"{self.name} locates its sites by postcode only",
                    hint="give a postcode-centroid file with --postcodes (e.g. the ONS Postcode Directory)",
                )
            return "postcode"
        raise InvalidInputError(
            f"{self.name} has no coordinates (longitude/latitude, easting/northing, geometry) "
            "or postcode column"
        )

    def cell(self, cells: list[str | object], key: str) -> str:
        position = self.index.get(key)
        if position is None or position >= len(cells) or cells[position] is None:
            return ""
        return str(cells[position]).strip()

    def problem(self, code: str, row: int, key: str, value: str, message: str) -> None:
        position = self.index.get(key)
        column = self.headers[position] if position is not None else key
        found = RowProblem(code, self.name, row, column, value[:200], message)
        if self.skip_unlocated and code in (codes.NO_LOCATION, codes.UNKNOWN_POSTCODE):
            self.summary.unlocated.append(found)
        elif len(self.problems) < self.limits.max_problems:
            self.problems.append(found)

    def row(self, number: int, cells: list[str | object]) -> None:
        located = self.locate(number, cells)
        if located is None:
            return
        lon, lat, east, north, how = located
        floor = self.number(number, cells, "floor_area")
        cost = self.money(number, cells, "running_cost")
        area = self.areas.area_of(lon, lat) if self.areas is not None else ""
        self.summary.rows += 1
        self.summary.located_by[how] = self.summary.located_by.get(how, 0) + 1
        self.summary.in_place += bool(area)
        kind = self.asset_type or self.cell(cells, "type") or "unspecified"
        self.writer.writerow(
            (
                self.cell(cells, "asset_id") or f"{self.name}:{number}",
                self.cell(cells, "name") or f"{kind} at row {number}",
                kind,
                self.cell(cells, "services") or kind,
                f"{lon:.6f}",
                f"{lat:.6f}",
                f"{east:.1f}",
                f"{north:.1f}",
                normalise_postcode(self.cell(cells, "postcode")) if self.cell(cells, "postcode") else "",
                area,
                "" if floor is None else repr(floor),
                self.cell(cells, "tenure"),
                "" if cost is None else f"{cost.to_decimal():.2f}",
                how,
            )
        )

    def number(self, row: int, cells: list[str | object], key: str) -> float | None:
        text = self.cell(cells, key)
        if not text:
            return None
        try:
            number = parse_number(text)
        except CellError as exc:
            self.problem(exc.code or codes.BAD_NUMBER, row, key, text, str(exc))
            return None
        if key == "floor_area" and number < 0:
            self.problem(codes.NEGATIVE_COUNT, row, key, text, "a floor area cannot be negative")
            return None
        return number

    def money(self, row: int, cells: list[str | object], key: str) -> Money | None:
        text = self.cell(cells, key)
        if not text:
            return None
        try:
            return Money.parse(text)
        except MoneyParseError as exc:
            code = codes.AMOUNT_OUT_OF_RANGE if isinstance(exc, MoneyOutOfRangeError) else codes.BAD_AMOUNT
            self.problem(code, row, key, text, exc.message)
            return None

    def locate(self, row: int, cells: list[str | object]) -> tuple[float, float, float, float, str] | None:
        if self.crs == "geojson":
            return self.from_geometry(row, cells)
        if self.crs == "postcode":
            return self.from_postcode(row, cells)
        first, second = ("lon", "lat") if self.crs == "wgs84" else ("easting", "northing")
        x, y = self.number(row, cells, first), self.number(row, cells, second)
        if x is None or y is None:
            if self.postcodes is not None and self.cell(cells, "postcode"):
                return self.from_postcode(row, cells)
            if x is None and y is None and not self.problems_for(row):
                self.problem(
                    codes.NO_LOCATION,
                    row,
                    first,
                    self.cell(cells, "postcode"),
                    "the site has no coordinates"
                    + (
                        " (give --postcodes to place it by its postcode)"
                        if self.cell(cells, "postcode")
                        else ""
                    ),
                )
            return None
        if self.crs == "wgs84":
            return self.from_degrees(row, x, y, first)
        return self.from_grid(row, x, y, first, "bng")

    def problems_for(self, row: int) -> bool:
        return any(p.row == row for p in self.problems)

    def from_degrees(
        self, row: int, lon: float, lat: float, key: str
    ) -> tuple[float, float, float, float, str] | None:
        if abs(lon) > 180 or abs(lat) > 90:
            if UK_EASTING[0] <= lon <= UK_EASTING[1] and UK_NORTHING[0] <= lat <= UK_NORTHING[1]:
                self.problem(
                    codes.WRONG_COORDINATES,
                    row,
                    key,
                    f"{lon}, {lat}",
                    "these look like British National Grid eastings and northings, not degrees; import with "
                    "--crs bng",
                )
            else:
                self.problem(codes.OUTSIDE_COUNTRY, row, key, f"{lon}, {lat}", "not a longitude and latitude")
            return None
        if UK_LON[0] <= lat <= UK_LON[1] and UK_LAT[0] <= lon <= UK_LAT[1]:
            # Latitude written under the longitude header and vice versa: in the UK the two ranges cannot be
            # confused, so the pair is put right and the row reported rather than the register refused.
            lon, lat = lat, lon
            self.summary.swapped.append(row)
        if not (UK_LON[0] <= lon <= UK_LON[1] and UK_LAT[0] <= lat <= UK_LAT[1]):
            self.problem(codes.OUTSIDE_COUNTRY, row, key, f"{lon}, {lat}", "this position is outside the UK")
            return None
        east, north = to_bng().transform(lon, lat)
        return lon, lat, float(east), float(north), "wgs84"

    def from_grid(
        self, row: int, east: float, north: float, key: str, how: str
    ) -> tuple[float, float, float, float, str] | None:
        if UK_LON[0] <= east <= UK_LON[1] and UK_LAT[0] <= north <= UK_LAT[1]:
            self.problem(
                codes.WRONG_COORDINATES,
                row,
                key,
                f"{east}, {north}",
                "these look like degrees of longitude and latitude, not grid metres; import with --crs wgs84",
            )
            return None
        if not (UK_EASTING[0] <= east <= UK_EASTING[1] and UK_NORTHING[0] <= north <= UK_NORTHING[1]):
            self.problem(
                codes.OUTSIDE_COUNTRY, row, key, f"{east}, {north}", "this grid reference is outside the UK"
            )
            return None
        lon, lat = to_wgs84().transform(east, north)
        return float(lon), float(lat), east, north, how

    def from_postcode(
        self, row: int, cells: list[str | object]
    ) -> tuple[float, float, float, float, str] | None:
        text = self.cell(cells, "postcode")
        assert self.postcodes is not None
        point = self.postcodes.points.get(normalise_postcode(text)) if text else None
        if point is None:
            self.problem(
                codes.UNKNOWN_POSTCODE if text else codes.NO_LOCATION,
                row,
                "postcode",
                text,
                f"{text!r} is not in the postcode file (or has no grid reference)" if text else "no postcode",
            )
            return None
        return self.from_grid(row, point[0], point[1], "postcode", "postcode")

    def from_geometry(
        self, row: int, cells: list[str | object]
    ) -> tuple[float, float, float, float, str] | None:
        text = self.cell(cells, "geometry")
        try:
            shape = shapely.geometry.shape(load_json(text, self.name))
            point = shape if isinstance(shape, shapely.geometry.Point) else shape.centroid
            x, y = float(point.x), float(point.y)
        except (
            DocumentRefusedError,
            ValueError,
            TypeError,
            KeyError,
            IndexError,
            AttributeError,
            shapely.errors.ShapelyError,
        ):
            self.problem(codes.BAD_GEOMETRY, row, "geometry", text, "not a GeoJSON point or polygon")
            return None
        if not (math.isfinite(x) and math.isfinite(y)):
            self.problem(codes.BAD_GEOMETRY, row, "geometry", text, "the geometry has no finite position")
            return None
        located = self.from_degrees(row, x, y, "geometry")
        if located is None:
            return None
        return (*located[:4], "point" if shape.geom_type == "Point" else "polygon centroid")
