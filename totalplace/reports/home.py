"""The view of the home page: the place at a glance (partners, data imported, geography, the flow of
engines and what each has produced), with the residents-by-ward and rows-by-partner charts."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from totalplace.datasets.kinds import KINDS
from totalplace.engines.outcomes.framework import current_framework
from totalplace.reports.charts import RenderedChart, bar_chart
from totalplace.store import versions
from totalplace.store.areas import Area, list_areas, summary
from totalplace.store.catalog import Batch, list_batches
from totalplace.store.outcomes import letter_rows
from totalplace.store.partners import Partner, list_partners
from totalplace.store.pools import list_pools
from totalplace.store.segments import list_segmentations

if TYPE_CHECKING:
    from totalplace.place import Place, PlaceConfig

# The six stages of the flow (DESIGN.md §2): each engine, the kind of batch it starts from, its page and the
# action a user needs to follow the link (the policy's, so the link shows only to those it would let in).
# "understand" has two engines, so two rows.
STAGES: tuple[tuple[str, str, str, str, str], ...] = (
    ("count", "Place spending map", "spend", "/spend", "figures.read"),
    ("understand", "Segmentation of areas by need", "census", "/segments", "figures.read"),
    ("understand", "The public estate and access to it", "assets", "/estate", "figures.read"),
    ("plan", "Cost-benefit analysis and the plan", "", "/cba", "figures.read"),
    ("pool", "Pooled funds and settlement", "", "/pools", "pool.read"),
    ("deliver", "Cases and payment by results", "", "/outcomes/cohort", "indicator.count"),
    ("account", "Outcomes and accountability", "observations", "/outcomes", "figures.read"),
)
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
    segmentations: int = 0
    models: int = 0
    indicators: int = 0
    letters: int = 0


def place_facts(place: Place) -> PlaceFacts:
    """Read what the home page shows from the place's store."""
    with place.read() as conn:
        framework = current_framework(conn)
        return PlaceFacts(
            tuple(list_partners(conn)),
            tuple(list_batches(conn, active_only=True)),
            summary(conn),
            tuple(list_areas(conn, "ward")),
            len(list_pools(conn)),
            segmentations=len(list_segmentations(conn)),
            models=len(versions.currents(conn, "model")),
            indicators=0 if framework is None else len(framework.indicators()),
            letters=len(letter_rows(conn)),
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
            # the action each stage's link needs (the template shows a link only to those who may follow it)
            "actions": {link: action for _, _, _, link, action in STAGES},
        }


def _plural(n: int, word: str, plural: str | None = None) -> str:
    """``n`` and the word, in the plural unless ``n`` is 1."""
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _produced(facts: PlaceFacts, kinds: dict[str, int]) -> dict[str, str | None]:
    """What each engine has produced, by its page ("" when nothing yet), from the store's counts."""
    sites = sum(b.row_count for b in facts.batches if b.kind == "assets")
    account = []
    if facts.indicators:
        account.append(f"a framework of {_plural(facts.indicators, 'indicator')}")
    if facts.letters:
        account.append(_plural(facts.letters, "exception letter"))
    return {
        "/spend": f"the spending map of {_plural(kinds['spend'], 'spend batch', 'spend batches')}"
        if kinds.get("spend")
        else None,
        "/segments": _plural(facts.segmentations, "segmentation") if facts.segmentations else None,
        "/estate": f"{_plural(sites, 'site')} mapped" if sites else None,
        "/cba": f"{_plural(facts.models, 'intervention')} appraised" if facts.models else None,
        "/pools": _plural(facts.pools, "pooled fund") if facts.pools else None,
        # cohorts are analysed on demand from a file and not kept, so there is always something to do
        "/outcomes/cohort": "a cohort's outcomes against others', analysed from a file",
        "/outcomes": ", ".join(account) or None,
    }


def _engines(facts: PlaceFacts, kinds: dict[str, int]) -> tuple[Stage, ...]:
    """Each stage of the flow: its engine, the batches it starts from and what it has produced."""
    produced = _produced(facts, kinds)
    return tuple(
        Stage(stage, title, kind or None, kinds.get(kind, 0), link, produced.get(link))
        for stage, title, kind, link, _ in STAGES
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
        _engines(facts, kinds),
        _charts(facts),
    )
