"""The view of the home page: the place at a glance (partners, data imported, geography, the flow of
engines and what each has produced), with the residents-by-ward and rows-by-partner charts."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from totalplace.datasets.kinds import KINDS
from totalplace.reports.charts import RenderedChart, bar_chart
from totalplace.store.areas import Area, list_areas, summary
from totalplace.store.catalog import Batch, list_batches
from totalplace.store.partners import Partner, list_partners
from totalplace.store.pools import list_pools

if TYPE_CHECKING:
    from totalplace.place import Place, PlaceConfig

# The six stages of the flow (DESIGN.md §2), the engine of each and the data it starts from. An engine that is
# not installed yet says so; each engine adds what it has produced when it arrives.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("count", "Place spending map", "spend"),
    ("understand", "Need, segmentation and the public estate", "geography"),
    ("plan", "Cost-benefit analysis and the plan", ""),
    ("pool", "Pooled funds and settlement", ""),
    ("deliver", "Cases and payment by results", ""),
    ("account", "Outcomes and accountability", ""),
)
LINKS = {"count": "/spend", "pool": "/pools"}  # the stages whose engine has a page
LEVEL_NAMES = {
    "la": "Local authority",
    "ward": "Wards",
    "msoa": "MSOAs",
    "lsoa": "LSOAs",
    "oa": "Output areas",
}


@dataclass(frozen=True, slots=True)
class PlaceFacts:
    """What the home page reads of the store: partners, active batches, areas by level, wards, pools."""

    partners: tuple[Partner, ...]
    batches: tuple[Batch, ...]
    geography: dict[str, dict[str, int]]
    wards: tuple[Area, ...]
    pools: int


def place_facts(place: Place) -> PlaceFacts:
    """Read what the home page shows from the place's store."""
    with place.read() as conn:
        return PlaceFacts(
            tuple(list_partners(conn)),
            tuple(list_batches(conn, active_only=True)),
            summary(conn),
            tuple(list_areas(conn, "ward")),
            len(list_pools(conn)),
        )


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage of the flow: its engine, the batches it starts from, and what it has produced (with a link)."""

    stage: str
    engine: str
    input: str | None
    input_batches: int
    link: str | None
    produced: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "link": self.link,
            "stage": self.stage,
            "engine": self.engine,
            "input": self.input,
            "input_batches": self.input_batches,
            "installed": self.link is not None,
            "produced": self.produced,
        }


@dataclass(frozen=True, slots=True)
class HomePage:
    """The home page's data (its JSON twin) and charts."""

    place: dict[str, str | None]
    user: str
    partners: tuple[Partner, ...]
    batches: int
    by_kind: dict[str, int]
    geography: dict[str, dict[str, int]]
    engines: tuple[Stage, ...]
    charts: dict[str, RenderedChart] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The page's JSON twin."""
        return {
            "place": self.place,
            "user": self.user,
            "partners": [dataclasses.asdict(p) for p in self.partners],
            "datasets": {"batches": self.batches, "by_kind": self.by_kind},
            "geography": self.geography,
            "level_names": LEVEL_NAMES,
            "engines": [e.to_dict() for e in self.engines],
        }


def _engines(kinds: dict[str, int], pools: int) -> tuple[Stage, ...]:
    """Each stage of the flow: its engine, the batches it starts from and what it has produced."""
    produced = {
        "count": f"the spending map of {kinds.get('spend', 0)} spend batches" if kinds.get("spend") else None,
        "pool": f"{pools} pooled fund{'s' if pools != 1 else ''}" if pools else None,
    }
    return tuple(
        Stage(stage, title, kind or None, kinds.get(kind, 0), LINKS.get(stage), produced.get(stage))
        for stage, title, kind in STAGES
    )


def _charts(facts: PlaceFacts) -> dict[str, RenderedChart]:
    """Residents by ward (when the wards have populations) and rows imported by partner."""
    charts = {}
    if facts.wards and any(w.population for w in facts.wards):
        charts["population"] = bar_chart(
            [{"ward": w.name, "population": w.population or 0} for w in facts.wards],
            category="ward",
            value="population",
            title="Residents by ward",
            value_title="residents",
        )
    rows_by_partner: dict[str, int] = defaultdict(int)
    for b in facts.batches:
        if b.partner_name:
            rows_by_partner[b.partner_name] += b.row_count
    if rows_by_partner:
        charts["rows"] = bar_chart(
            [{"partner": k, "rows": v} for k, v in rows_by_partner.items()],
            category="partner",
            value="rows",
            title="Rows imported by partner",
            value_title="rows",
            colour="#6a3d9a",
        )
    return charts


def home_page(config: PlaceConfig, user: str, facts: PlaceFacts) -> HomePage:
    """The home page of the place, for ``user``."""
    kinds = {k: sum(1 for b in facts.batches if b.kind == k) for k in KINDS}
    return HomePage(
        {"name": config.name, "code": config.code, "store": config.store},
        user,
        facts.partners,
        len(facts.batches),
        kinds,
        {level: facts.geography[level] for level in LEVEL_NAMES if level in facts.geography},
        _engines(kinds, facts.pools),
        _charts(facts),
    )
