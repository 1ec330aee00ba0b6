"""The registry of dataset kinds: what each expects of a file and what it does with accepted rows.

A kind's ``apply`` hook runs inside the transaction that records the batch, so the batch and its effect on
the store (for geography, the areas) commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import Connection

from totalplace.datasets.observations import (
    FINGERTIPS,
    OBSERVATIONS,
    check_observations,
    detect_observations,
    observations_pass,
)
from totalplace.datasets.records_schema import RECORDS_STORED
from totalplace.datasets.schema import ColumnSpec, DatasetSchema
from totalplace.datasets.spend_formats import FORMATS, TRANSPARENCY, detect_format
from totalplace.errors import InvalidInputError, RowProblem
from totalplace.store.areas import AREA_LEVELS, AreaRow, upsert_areas

if TYPE_CHECKING:
    import pyarrow as pa

# Whose data a kind is, and so which action of the access policy importing it takes (docs/guide.md):
# - "partner": a partner's own data (its spending, its sites): batch.import on the batch of the partner the
#   import names; an import that names no partner is refused (TP207), never taken as the whole place's;
# - "place": data of the whole place that every page reads (areas and populations, census tables, area
#   measures): geography.change, held place-wide (a partnership lead or an analyst);
# - "indicator": observations of indicators: indicator.count on each indicator the file counts into, owned
#   by the partner the framework names for it (an indicator the framework gives no partner is the place's);
# - "records": records about people, a partner's under a sharing agreement: records.import on the partner's
#   batch for the agreement's purpose (imported by datasets/records.py, which names the agreement).
Access = Literal["partner", "place", "indicator", "records"]
ACCESS_ACTIONS: Final[dict[str, str]] = {
    "partner": "batch.import",
    "place": "geography.change",
    "indicator": "indicator.count",
    "records": "records.import",
}

ApplyHook = Callable[[Connection, int, dict[str, list[Any]], dict[str, str], str], dict[str, Any]]
CheckHook = Callable[[dict[str, list[Any]], list[int], str], list[RowProblem]]


@dataclass(frozen=True)
class DatasetKind:
    """A kind of data partners import, with its schema and (optionally) an effect on the store."""

    schema: DatasetSchema
    access: Access
    apply: ApplyHook | None = None
    required_options: tuple[str, ...] = ()
    formats: dict[str, DatasetSchema] | None = None
    detect: Callable[[list[list[object]]], str] | None = None
    check: CheckHook | None = None
    # The same checks as ``check`` over a whole Arrow table: True when the file passes them all, so a clean
    # CSV can take the vectorised path; False sends it to the exact path, which names each problem.
    table_check: Callable[[pa.Table], bool] | None = None

    @property
    def needs_partner(self) -> bool:
        """Whether the kind's data belongs to one partner (the import must name it)."""
        return self.access == "partner"

    @property
    def action(self) -> str:
        """The action of the access policy an import of this kind takes."""
        return ACCESS_ACTIONS[self.access]

    def schema_for(self, fmt: str, first_rows: list[list[object]]) -> tuple[str, DatasetSchema]:
        """The format to read a file in (detected from its first rows when "auto") and its schema."""
        if self.formats is None:
            return "standard", self.schema
        chosen = self.detect(first_rows) if fmt == "auto" and self.detect else fmt
        if chosen not in self.formats:
            raise InvalidInputError(
                f"unknown format {fmt!r} for {self.schema.kind} data",
                hint=f"formats are: auto, {', '.join(self.formats)}",
            )
        return chosen, self.formats[chosen]


GEOGRAPHY = DatasetSchema(
    kind="geography",
    title="Geography (small areas)",
    description="Small areas with codes, names, parent codes, populations and optional boundaries.",
    columns=(
        ColumnSpec(
            "code",
            "code",
            pattern=r"[EWSNK]\d{8}",
            unique=True,
            aliases=(
                "area_code",
                "area code",
                "gss code",
                "lsoa code",
                "lsoa11cd",
                "lsoa21cd",
                "oa11cd",
                "oa21cd",
                "wd22cd",
                "wd23cd",
                "ward code",
                "msoa11cd",
                "lad22cd",
            ),
        ),
        ColumnSpec(
            "name",
            "text",
            required=False,
            aliases=(
                "area_name",
                "area name",
                "lsoa name",
                "lsoa11nm",
                "lsoa21nm",
                "ward name",
                "wd22nm",
                "msoa11nm",
            ),
        ),
        ColumnSpec(
            "parent_code", "code", required=False, pattern=r"[EWSNK]\d{8}", aliases=("parent", "parent code")
        ),
        ColumnSpec(
            "population",
            "integer",
            required=False,
            aliases=("all_ages", "all ages", "mid 2018 population", "usual residents"),
            minimum=0,  # a negative population breaks every per-head figure of the area and its parents
        ),
        ColumnSpec("boundary", "geometry", required=False, aliases=("geometry",)),
        ColumnSpec(
            "centre_x",
            "number",
            required=False,
            aliases=("x", "easting", "oseast1m", "pwc easting"),
            help="population-weighted centre, British National Grid easting (metres)",
        ),
        ColumnSpec(
            "centre_y",
            "number",
            required=False,
            aliases=("y", "northing", "osnrth1m", "pwc northing"),
            help="population-weighted centre, British National Grid northing (metres)",
        ),
    ),
)


CENSUS = DatasetSchema(
    kind="census",
    title="Census counts",
    description=(
        "Census topic tables by small area, one row per area and category (normalised from the long or wide "
        "layouts by the census reader)."
    ),
    columns=(
        ColumnSpec("area_code", "code", pattern=r"[EWSNK]\d{8}"),
        ColumnSpec("table", "text"),
        ColumnSpec("category", "text"),
        ColumnSpec("value", "number"),
    ),
)


ASSETS = DatasetSchema(
    kind="assets",
    title="Public estate (assets and service points)",
    description="A partner's sites, located in WGS84 and British National Grid, and the small area of each.",
    columns=(
        ColumnSpec("asset_id", "text"),
        ColumnSpec("name", "text"),
        ColumnSpec("type", "text"),
        ColumnSpec("services", "text"),
        ColumnSpec("lon", "number"),
        ColumnSpec("lat", "number"),
        ColumnSpec("easting", "number"),
        ColumnSpec("northing", "number"),
        ColumnSpec("postcode", "text", required=False),
        ColumnSpec("area_code", "code", required=False, pattern=r"[EWSNK]\d{8}"),
        ColumnSpec("floor_area", "number", required=False, minimum=0),
        ColumnSpec("tenure", "text", required=False),
        ColumnSpec("running_cost", "money", required=False),
        ColumnSpec("located_by", "text"),
    ),
    total_columns=("running_cost",),
)


def _apply_geography(
    conn: Connection, batch_id: int, columns: dict[str, list[Any]], options: dict[str, str], actor: str
) -> dict[str, Any]:
    rows = [
        AreaRow(
            code=code,
            name=name or None,
            level=options["level"],
            parent_code=parent or None,
            population=population,
            boundary=boundary or None,
            centre_x=x,
            centre_y=y,
        )
        for code, name, parent, population, boundary, x, y in zip(
            columns["code"],
            columns["name"],
            columns["parent_code"],
            columns["population"],
            columns["boundary"],
            columns["centre_x"],
            columns["centre_y"],
            strict=True,
        )
    ]
    update_only = options.get("update_only") == "yes"
    return upsert_areas(conn, rows, batch_id=batch_id, actor=actor, update_only=update_only)


KINDS: dict[str, DatasetKind] = {
    "spend": DatasetKind(TRANSPARENCY, access="partner", formats=FORMATS, detect=detect_format),
    "geography": DatasetKind(GEOGRAPHY, access="place", apply=_apply_geography, required_options=("level",)),
    "census": DatasetKind(CENSUS, access="place"),
    "assets": DatasetKind(ASSETS, access="partner"),
    "observations": DatasetKind(
        OBSERVATIONS,
        access="indicator",
        formats={"fingertips": FINGERTIPS, "csv": OBSERVATIONS},
        detect=detect_observations,
        check=check_observations,
        table_check=observations_pass,
    ),
    "person_records": DatasetKind(RECORDS_STORED, access="records"),
}

# The kinds the place's analytics (the engines' SQL, and the SQL anyone may type) see as views. Records about
# people are not among them: they are read only through ``engines/people/records.py``, which asks the access
# policy for the purpose they were shared for and audits the read.
ANALYTICS_KINDS: Final[tuple[str, ...]] = tuple(k for k, v in KINDS.items() if v.access != "records")


def get_kind(name: str) -> DatasetKind:
    """The dataset kind called ``name``."""
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown kind of data {name!r}", hint=f"kinds are: {', '.join(KINDS)}"
        ) from None


def check_options(kind: DatasetKind, options: dict[str, str]) -> None:
    """Refuse an import that lacks an option its kind needs."""
    for name in kind.required_options:
        if not options.get(name):
            raise InvalidInputError(f"{kind.schema.kind} imports need --{name}")
    if kind.schema.kind == "geography" and options["level"] not in AREA_LEVELS:
        raise InvalidInputError(
            f"unknown level {options['level']!r}", hint=f"levels are: {', '.join(AREA_LEVELS)}"
        )
