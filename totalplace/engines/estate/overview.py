"""The estate at a glance: every site, and (where the place's areas allow) access to one service and the
candidates to share or release buildings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from totalplace.engines.estate.access import Access, measure_access, sites_offering
from totalplace.engines.estate.candidates import Candidates, screen
from totalplace.engines.estate.sites import Site, area_centres, load_sites
from totalplace.errors import EstateError

if TYPE_CHECKING:
    from totalplace.place import Place


@dataclass(frozen=True, slots=True)
class EstateOverview:
    """The sites; access to ``service`` (when one is asked for) and the candidates over the areas of
    ``level``; ``problem`` says why the areas could not be used (no area centres or boundaries)."""

    level: str
    service: str | None
    sites: tuple[Site, ...]
    access: Access | None = None
    candidates: Candidates | None = None
    problem: EstateError | None = None

    def types(self) -> dict[str, int]:
        """Sites by type, in name order."""
        return _count(s.type for s in self.sites)

    def partners(self) -> dict[str, int]:
        """Sites by partner, in name order."""
        return _count(s.partner for s in self.sites)

    def shown(self) -> list[Site]:
        """The sites a map shows: those offering the service, or all when none is asked for."""
        return [s for s in self.sites if not self.service or s.offers(self.service)]


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def estate_overview(place: Place, *, level: str, service: str | None) -> EstateOverview:
    """Every site; with areas of ``level``, access to ``service`` (an unknown one is an error) and the
    candidates under the cited rules."""
    with place.analytics() as engine:
        sites = tuple(load_sites(engine))
    if not sites:
        return EstateOverview(level, service, sites)
    try:
        centres = area_centres(place, level)
    except EstateError as error:
        return EstateOverview(level, service, sites, problem=error)
    access = measure_access(centres, sites_offering(list(sites), service), service) if service else None
    return EstateOverview(level, service, sites, access, screen(list(sites), centres))
