"""Real terms: spending of several years in the prices of one, by HM Treasury's GDP deflator.

HM Treasury publishes "GDP deflators at market prices, and money GDP" each quarter (a CSV or spreadsheet: a
few title lines, then one row per financial year, ``1955-56, 4.321, ...``, the index in the second column
with its base year in the header, e.g. ``2024-25 = 100``). ``totalplace spend deflators import FILE`` reads
that file as published and keeps it in the place's store as a cited parameter (the versioned object
``deflators:gdp``):
the release's own title lines are its citation. A year's pounds in the prices of the base year are
``pounds x index(base) / index(year)``, to the penny, rounded half to even.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import read_path, read_source
from totalplace.engines.spendmap.results import YearTheme
from totalplace.errors import InvalidInputError
from totalplace.governance.policy import Resource
from totalplace.parameters import parse_parameter_text
from totalplace.store import versions

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place
    from totalplace.store.versions import Version

DEFLATORS_FILE: Final = (
    Path("parameters") / "gdp_deflators.yaml"
)  # a place made before versioning kept it here
KIND: Final = "deflators"
DEFLATORS_NAME: Final = "gdp"
DEFLATORS_RESOURCE: Final = Resource("library", KIND)
_YEAR: Final = re.compile(r"^(\d{4})-(\d{2})$")
_BASE: Final = re.compile(r"(\d{4}-\d{2})\s*=\s*100")


@dataclass(frozen=True)
class Deflators:
    """A GDP deflator index by financial year, with its citation."""

    index: dict[str, Decimal]
    source: str
    vintage: str

    def real(self, pence: int, year: str, base: str) -> int | None:
        """``pence`` spent in ``year`` in ``base``-year prices (None when either year has no index)."""
        if year not in self.index or base not in self.index:
            return None
        value = Decimal(pence) * self.index[base] / self.index[year]
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "source": self.source,
            "vintage": self.vintage,
            "index": {k: str(v) for k, v in self.index.items()},
        }


def read_hmt_deflators(path: Path) -> tuple[Deflators, str]:
    """The financial-year index from HM Treasury's release as published, and its base year."""
    limits = ImportLimits.from_settings()
    titles: list[str] = []
    index: dict[str, Decimal] = {}
    base = None
    for number, cells in read_source(read_path(path, limits), path.name, limits).rows:
        texts = [str(c).strip() for c in cells if str(c).strip() and str(c).strip().lower() != "not set"]
        if not texts:
            continue
        found = next((m.group(1) for t in texts if (m := _BASE.search(t))), None)
        if found and base is None:
            base = found
        if _YEAR.match(texts[0]) and len(texts) > 1:
            try:
                index[texts[0]] = Decimal(texts[1].replace(",", ""))
            except InvalidOperation:
                raise InvalidInputError(
                    f"{path.name} row {number}: {texts[1]!r} is not a deflator for {texts[0]}"
                ) from None
        elif (
            not index and len(titles) < 4 and not found and not texts[0].lower().startswith("financial year")
        ):
            titles.append(", ".join(texts))
    if len(index) < 2 or base is None or base not in index:
        raise InvalidInputError(
            f"{path.name} is not HM Treasury's GDP deflator release",
            hint="import 'GDP deflators at market prices, and money GDP' from gov.uk as published",
        )
    source = "HM Treasury, " + "; ".join(titles or ["GDP deflators at market prices, and money GDP"])
    return Deflators(
        index, f"{source} (file {path.name})", f"{min(index)} to {max(index)}, {base} = 100"
    ), base


def deflators_text(deflators: Deflators) -> str:
    """The series as a cited parameter file (YAML)."""
    document = {
        "description": "GDP deflator at market prices by financial year, for showing spending in real terms.",
        "source": deflators.source,
        "vintage": deflators.vintage,
        "licence": "Open Government Licence v3.0 (HM Treasury)",
        "index": {year: str(value) for year, value in sorted(deflators.index.items())},
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def save_deflators(place: Place, deflators: Deflators, principal: Principal, *, reason: str = "") -> Version:
    """Keep the series as the next version of the place's deflators, if ``principal`` may change the place's
    library (``library.change``): every real-terms figure and every uprated unit cost depends on it."""
    principal.require("library.change", DEFLATORS_RESOURCE)
    with place.begin() as conn:
        return versions.add(
            conn,
            kind=KIND,
            name=DEFLATORS_NAME,
            body=deflators_text(deflators),
            owner_id=None,
            actor=principal.username,
            reason=reason.strip() or f"imported: {deflators.vintage}",
        )


def load_deflators(source: Place | Path) -> Deflators | None:
    """The place's deflator series, if one has been imported: the version in force in a place's store, or
    the file ``parameters/gdp_deflators.yaml`` under a plain folder."""
    from totalplace.place import Place

    if isinstance(source, Place):
        with source.read() as conn:
            kept = versions.current(conn, KIND, DEFLATORS_NAME)
        text = None if kept is None else kept.body
    else:
        path = source / DEFLATORS_FILE
        text = path.read_text(encoding="utf-8") if path.exists() else None
    if text is None:
        return None
    parameter = parse_parameter_text(str(DEFLATORS_FILE), text)
    index = {str(k): Decimal(str(v)) for k, v in parameter.body["index"].items()}
    return Deflators(index, parameter.source, parameter.vintage)


@dataclass(frozen=True, slots=True)
class RealTerms:
    """Each theme's spending by year in one year's prices, or why it cannot be shown."""

    available: bool
    reason: str | None = None
    series: str | None = None
    base: str | None = None
    source: str | None = None
    vintage: str | None = None
    years_without_deflator: tuple[str, ...] = ()
    rows: dict[str, dict[str, int | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the figures, or the reason (and the series, when it lacks the base year)."""
        if not self.available:
            reason: dict[str, Any] = {"available": False, "reason": self.reason}
            return reason if self.series is None else {**reason, "series": self.series}
        return {
            "available": True,
            "base": self.base,
            "source": self.source,
            "vintage": self.vintage,
            "years_without_deflator": list(self.years_without_deflator),
            "rows": self.rows,
        }


def real_terms(
    by_year_theme: Iterable[YearTheme],
    deflators: Deflators | None,
    base: str | None,
    labels: Mapping[str | None, str | None] | None = None,
) -> RealTerms:
    """Each theme's pence by year in ``base``-year prices (the latest year with spending by default).

    Themes are named by ``labels`` (a theme id's label, e.g. from :meth:`SpendMap.label_of`), else by id.
    """
    if deflators is None:
        return RealTerms(False, "no GDP deflator series: totalplace spend deflators import FILE")
    cells = list(by_year_theme)
    years = sorted({row.year for row in cells})
    base = base or (years[-1] if years else None)
    if base is None or base not in deflators.index:
        return RealTerms(False, f"the deflator series has no {base}", series=deflators.vintage)
    names = labels or {}
    rows: dict[str, dict[str, int | None]] = {}
    for row in cells:
        theme = names.get(row.theme) or row.theme or "Not classified"
        rows.setdefault(theme, {})[row.year] = deflators.real(row.pence, row.year, base)
    return RealTerms(
        True,
        base=base,
        source=deflators.source,
        vintage=deflators.vintage,
        years_without_deflator=tuple(y for y in years if y not in deflators.index),
        rows=rows,
    )
