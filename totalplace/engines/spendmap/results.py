"""What the spending map finds, as typed rows: one class per breakdown, each with the JSON it has always had.

Every amount is integer pence; ``share`` is a fraction of the map's total and ``per_head_pence`` is rounded
to the penny (None when the place has no population). ``to_dict`` gives exactly the JSON of the CLI's
``--json`` and the page's twin, key for key and in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PartnerSpend:
    """One partner's spending in the map."""

    partner: str
    pence: int
    lines: int
    share: float
    per_head_pence: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "partner": self.partner,
            "pence": self.pence,
            "lines": self.lines,
            "share": self.share,
            "per_head_pence": self.per_head_pence,
        }


@dataclass(frozen=True, slots=True)
class ThemeSpend:
    """One service theme's spending (``theme`` None: the unclassified pounds, with no label)."""

    theme: str | None
    pence: int
    lines: int
    share: float
    per_head_pence: int | None
    label: str | None = None
    cofog: str | None = None
    pass_through: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the unclassified row has no label, COFOG division or pass-through flag)."""
        row: dict[str, Any] = {
            "theme": self.theme,
            "pence": self.pence,
            "lines": self.lines,
            "share": self.share,
            "per_head_pence": self.per_head_pence,
        }
        if self.theme is not None:
            row.update(label=self.label, cofog=self.cofog, pass_through=self.pass_through)
        return row


@dataclass(frozen=True, slots=True)
class CofogSpend:
    """One COFOG division's spending (``cofog`` None: unclassified, with no label)."""

    cofog: str | None
    pence: int
    lines: int
    share: float
    per_head_pence: int | None
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        row: dict[str, Any] = {
            "cofog": self.cofog,
            "pence": self.pence,
            "lines": self.lines,
            "share": self.share,
            "per_head_pence": self.per_head_pence,
        }
        if self.cofog is not None:
            row["label"] = self.label
        return row


@dataclass(frozen=True, slots=True)
class StageSpend:
    """Spending at one prevention stage (universal, early help, targeted, acute; None: unclassified)."""

    stage: str | None
    pence: int
    lines: int
    share: float
    per_head_pence: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "stage": self.stage,
            "pence": self.pence,
            "lines": self.lines,
            "share": self.share,
            "per_head_pence": self.per_head_pence,
        }


@dataclass(frozen=True, slots=True)
class CohortSpend:
    """Spending on one cohort (None: unclassified)."""

    cohort: str | None
    pence: int
    lines: int
    share: float
    per_head_pence: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "cohort": self.cohort,
            "pence": self.pence,
            "lines": self.lines,
            "share": self.share,
            "per_head_pence": self.per_head_pence,
        }


@dataclass(frozen=True, slots=True)
class PartnerTheme:
    """One partner's spending on one theme: a cell of the who-spends-what matrix."""

    partner: str
    theme: str | None
    pence: int
    lines: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"partner": self.partner, "theme": self.theme, "pence": self.pence, "lines": self.lines}


@dataclass(frozen=True, slots=True)
class PartnerStage:
    """One partner's spending at one prevention stage."""

    partner: str
    stage: str | None
    pence: int
    lines: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"partner": self.partner, "stage": self.stage, "pence": self.pence, "lines": self.lines}


@dataclass(frozen=True, slots=True)
class YearTheme:
    """One theme's cash spending in one financial year (``year`` "2024-25", which starts in ``fy_start``)."""

    theme: str | None
    pence: int
    year: str
    fy_start: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the map's twin has always carried the year's first calendar year too)."""
        row: dict[str, Any] = {} if self.fy_start is None else {"fy_start": self.fy_start}
        return {**row, "theme": self.theme, "pence": self.pence, "year": self.year}


@dataclass(frozen=True, slots=True)
class SupplierSpend:
    """A supplier and what a theme paid it."""

    supplier: str | None
    pence: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"supplier": self.supplier, "pence": self.pence}


@dataclass(frozen=True, slots=True)
class PartnerPence:
    """What one partner spends on a theme several partners fund."""

    partner: str
    pence: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"partner": self.partner, "pence": self.pence}


@dataclass(frozen=True, slots=True)
class Overlap:
    """A theme several partners spend on: where pooling or alignment could start."""

    theme: str
    label: str
    partners: tuple[PartnerPence, ...]
    pence: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "theme": self.theme,
            "label": self.label,
            "partners": [p.to_dict() for p in self.partners],
            "pence": self.pence,
        }


@dataclass(frozen=True, slots=True)
class UnclassifiedSupplier:
    """A supplier of unclassified spending."""

    supplier: str | None
    pence: int
    lines: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"supplier": self.supplier, "pence": self.pence, "lines": self.lines}


@dataclass(frozen=True, slots=True)
class UnclassifiedCategory:
    """A category (Proclass label, else expense type, else cost centre) of unclassified spending."""

    category: str | None
    pence: int
    lines: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"category": self.category, "pence": self.pence, "lines": self.lines}


@dataclass(frozen=True, slots=True)
class Unclassified:
    """The pounds no rule classified, and where they go most: reported, never hidden."""

    pence: int
    lines: int
    top_suppliers: tuple[UnclassifiedSupplier, ...]
    top_categories: tuple[UnclassifiedCategory, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "pence": self.pence,
            "lines": self.lines,
            "top_suppliers": [r.to_dict() for r in self.top_suppliers],
            "top_categories": [r.to_dict() for r in self.top_categories],
        }


@dataclass(frozen=True, slots=True)
class AreaSpend:
    """One small area's spending: located there, plus its population's share of the unlocated."""

    code: str
    name: str | None
    population: int | None
    located_pence: int
    apportioned_pence: int
    pence: int
    per_head_pence: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "code": self.code,
            "name": self.name,
            "population": self.population,
            "located_pence": self.located_pence,
            "apportioned_pence": self.apportioned_pence,
            "pence": self.pence,
            "per_head_pence": self.per_head_pence,
        }


@dataclass(frozen=True, slots=True)
class AreaBreakdown:
    """Spending by small area at one level, and how much of it was apportioned by population."""

    level: str
    apportioned_pence: int
    method: str
    rows: tuple[AreaSpend, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "level": self.level,
            "apportioned_pence": self.apportioned_pence,
            "method": self.method,
            "rows": [r.to_dict() for r in self.rows],
        }


@dataclass(frozen=True, slots=True)
class SpendMap:
    """The map for one financial year (or all years), ready for the CLI, the web page and the JSON twin."""

    year: str | None
    years: tuple[str, ...]
    total_pence: int
    lines: int
    coverage: float
    classified_pence: int
    population: int | None
    per_head_pence: int | None
    prevention_share: float | None
    by_partner: tuple[PartnerSpend, ...]
    by_theme: tuple[ThemeSpend, ...]
    by_partner_theme: tuple[PartnerTheme, ...]
    by_partner_stage: tuple[PartnerStage, ...]
    by_year_theme: tuple[YearTheme, ...]
    by_cofog: tuple[CofogSpend, ...]
    by_stage: tuple[StageSpend, ...]
    by_cohort: tuple[CohortSpend, ...]
    top_suppliers: Mapping[str, tuple[SupplierSpend, ...]]
    overlaps: tuple[Overlap, ...]
    unclassified: Unclassified
    areas: AreaBreakdown
    rule_sources: tuple[str, ...]

    def theme_labels(self) -> dict[str | None, str | None]:
        """Each theme's label by its id (the unclassified pounds, id None, have no label)."""
        return {r.theme: r.label for r in self.by_theme}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (money in pence)."""
        return {
            "year": self.year,
            "years": list(self.years),
            "total_pence": self.total_pence,
            "lines": self.lines,
            "coverage": self.coverage,
            "classified_pence": self.classified_pence,
            "population": self.population,
            "per_head_pence": self.per_head_pence,
            "prevention_share": self.prevention_share,
            "by_partner": [r.to_dict() for r in self.by_partner],
            "by_theme": [r.to_dict() for r in self.by_theme],
            "by_partner_theme": [r.to_dict() for r in self.by_partner_theme],
            "by_partner_stage": [r.to_dict() for r in self.by_partner_stage],
            "by_year_theme": [r.to_dict() for r in self.by_year_theme],
            "by_cofog": [r.to_dict() for r in self.by_cofog],
            "by_stage": [r.to_dict() for r in self.by_stage],
            "by_cohort": [r.to_dict() for r in self.by_cohort],
            "top_suppliers": {t: [s.to_dict() for s in rows] for t, rows in self.top_suppliers.items()},
            "overlaps": [o.to_dict() for o in self.overlaps],
            "unclassified": self.unclassified.to_dict(),
            "areas": self.areas.to_dict(),
            "rule_sources": list(self.rule_sources),
        }
