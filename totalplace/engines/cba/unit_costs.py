"""The unit-cost library: what an outcome is worth, to which agency, at what price year, on what evidence.

Entries follow the GMCA (New Economy) Unit Cost Database: code, description, unit, the fiscal cost split by
the agency that bears it, economic and social value, price year, source and confidence grade. The library is
the packaged starter set (``parameters/cba/unit_costs_starter.yaml``), then the place's own imports
(kept in the store as the versioned object ``unit_costs:library``; the same code replaces a packaged entry),
then any entries a model carries itself. Values are Decimal pounds, never floats. Uprating to a model's price
year uses the GDP deflator (the place's imported HM Treasury series, or one the model states).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.safe_yaml import load_yaml
from totalplace.datasets.source import read_path, read_source
from totalplace.datasets.table import HEADER_SEARCH_ROWS
from totalplace.errors import CbaError, CbaModelInvalidError, RowProblem
from totalplace.governance.policy import Resource
from totalplace.money import Money, MoneyParseError
from totalplace.parameters import load_parameter
from totalplace.store import versions

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place
    from totalplace.store.versions import Version

LIBRARY_FILE: Final = Path("parameters") / "unit_costs.yaml"  # where a place made before versioning kept it
KIND: Final = "unit_costs"
LIBRARY_NAME: Final = "library"
LIBRARY_RESOURCE: Final = Resource("library", KIND)
_CODE: Final = CbaModelInvalidError.code

# Header spellings of the GMCA Unit Cost Database and of files written like it (lower case, trimmed).
COLUMNS: Final = {
    "code": ("code", "id", "unit cost code", "ref"),
    "description": ("description", "outcome", "outcome detail", "name"),
    "unit": ("unit", "unit of cost"),
    "fiscal": ("fiscal cost", "fiscal", "fiscal value", "cost"),
    "agency": ("agency", "agency bearing cost", "agency bearing the cost", "agency (fiscal)"),
    "economic": ("economic value", "economic", "economic cost"),
    "social": ("social value", "social", "social cost"),
    "price_year": ("price year", "price base", "year", "price base year"),
    "source": ("source", "source(s)", "reference"),
    "grade": ("confidence grade", "grade", "confidence"),
    "illustrative": ("illustrative",),
}
_REQUIRED: Final = ("code", "description", "unit", "fiscal", "agency", "price_year", "source", "grade")


@dataclass(frozen=True)
class UnitCost:
    """One unit cost as published, in its own price year."""

    code: str
    description: str
    unit: str
    fiscal: dict[str, Decimal]
    economic: Decimal
    social: Decimal
    price_year: str
    grade: int
    source: str
    verified: bool = True
    illustrative: bool = False
    origin: str = "packaged"
    uprated_from: str | None = None

    @property
    def fiscal_total(self) -> Decimal:
        """All agencies' fiscal cost."""
        return sum(self.fiscal.values(), Decimal(0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (amounts as strings of pounds)."""
        return {
            "code": self.code,
            "description": self.description,
            "unit": self.unit,
            "fiscal": {k: str(v) for k, v in self.fiscal.items()},
            "economic": str(self.economic),
            "social": str(self.social),
            "price_year": self.price_year,
            "grade": self.grade,
            "source": self.source,
            "verified": self.verified,
            "illustrative": self.illustrative,
            "origin": self.origin,
            "uprated_from": self.uprated_from,
        }

    def uprated(self, price_year: str, index: Mapping[str, Decimal]) -> UnitCost:
        """This cost in ``price_year`` prices by the GDP deflator ``index``, each value to the penny (half to
        even); the published price year is kept in ``uprated_from``. A missing year is a TP801 error."""
        factor = uplift_factor(self.price_year, price_year, index)
        if factor is None:
            absent = ", ".join(y for y in (self.price_year, price_year) if y not in index)
            raise CbaError(
                f"unit cost {self.code}: no GDP deflator for {absent} to uprate {self.price_year} prices to "
                f"{price_year}; import the HM Treasury series (totalplace spend deflators import)"
            )
        if factor == 1:
            return self

        def up(value: Decimal) -> Decimal:
            return (value * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)

        return replace(
            self,
            fiscal={agency: up(v) for agency, v in self.fiscal.items()},
            economic=up(self.economic),
            social=up(self.social),
            price_year=price_year,
            uprated_from=self.uprated_from or self.price_year,
        )


def uplift_factor(from_year: str, to_year: str, index: Mapping[str, Decimal]) -> Decimal | None:
    """What one pound of ``from_year`` prices is in ``to_year`` prices, ``index[to] / index[from]`` (the Green
    Book states costs and benefits in the real prices of one year by the GDP deflator); None when the index
    lacks either year."""
    if from_year == to_year:
        return Decimal(1)
    if from_year not in index or to_year not in index:
        return None
    return index[to_year] / index[from_year]


@dataclass
class Library:
    """Unit costs by code, with where each came from."""

    entries: dict[str, UnitCost] = field(default_factory=dict)

    def get(self, code: str) -> UnitCost | None:
        """The entry for ``code``, if any."""
        return self.entries.get(code)

    def with_entries(self, extra: list[UnitCost]) -> Library:
        """A copy with ``extra`` added (replacing the same codes)."""
        return Library({**self.entries, **{u.code: u for u in extra}})


def pounds(text: object, file: str, row: int, column: str) -> Decimal:
    """An amount in pounds as written (commas, a pound sign), exactly; a located problem if it is not one."""
    raw = str(text).strip()
    try:
        return (Decimal(Money.parse(raw or "0").pence) / 100).quantize(Decimal("0.01"))
    except MoneyParseError as exc:
        message = f"{exc.message}; write it like 1234.50"
        raise CbaModelInvalidError(file, [RowProblem(_CODE, file, row, column, raw[:200], message)]) from None


def _entry(raw: Mapping[str, object], origin: str, file: str, row: int = 0) -> UnitCost:
    missing = [k for k in ("code", "price_year", "grade") if k not in raw]
    if missing:
        raise CbaModelInvalidError(
            file,
            [
                RowProblem(
                    _CODE,
                    file,
                    row,
                    ", ".join(missing),
                    str(raw.get("code", "")),
                    f"a unit cost needs {', '.join(missing)} (with fiscal by agency, economic, social)",
                )
            ],
        )
    fiscal = raw.get("fiscal") or {}
    if not isinstance(fiscal, dict):
        raise CbaModelInvalidError(
            file, [RowProblem(_CODE, file, row, "fiscal", str(fiscal), "a mapping of agency to amount")]
        )
    try:
        grade = int(str(raw.get("grade", 0)))
    except ValueError:
        grade = 0
    if not 1 <= grade <= 6:
        raise CbaModelInvalidError(
            file, [RowProblem(_CODE, file, row, "grade", str(grade), "a confidence grade from 1 to 6")]
        )
    return UnitCost(
        code=str(raw["code"]),
        description=str(raw.get("description", "")),
        unit=str(raw.get("unit", "")),
        fiscal={str(k): pounds(v, file, row, f"fiscal.{k}") for k, v in fiscal.items()},
        economic=pounds(raw.get("economic", 0), file, row, "economic"),
        social=pounds(raw.get("social", 0), file, row, "social"),
        price_year=str(raw["price_year"]),
        grade=grade,
        source=str(raw.get("source", "")),
        verified=bool(raw.get("verified", True)),
        illustrative=bool(raw.get("illustrative", False)),
        origin=origin,
    )


def entries_from(rows: Sequence[Mapping[str, object]], origin: str, file: str) -> list[UnitCost]:
    """Unit costs from YAML mappings as written (the packaged set, a place's library, a model's own), each
    checked: CbaModelInvalidError names what is missing or wrong."""
    return [_entry(r, origin, file) for r in rows]


def load_library(source: Place | Path | None = None) -> Library:
    """The packaged starter set, overlaid with the place's library: the version in force in the store of a
    :class:`Place`, or the file ``parameters/unit_costs.yaml`` under a plain folder."""
    packaged = load_parameter("cba/unit_costs_starter.yaml")
    library = Library(
        {u.code: u for u in entries_from(packaged.body["unit_costs"], "packaged", packaged.name)}
    )
    text = library_text(source)
    if text is not None:
        body = load_yaml(text, str(LIBRARY_FILE)).data or {}
        library = library.with_entries(
            entries_from(body.get("unit_costs", []), "imported", str(LIBRARY_FILE))
        )
    return library


def library_text(source: Place | Path | None) -> str | None:
    """The place's own library as kept (None when it has none: the packaged set alone applies)."""
    from totalplace.place import Place

    if isinstance(source, Place):
        with source.read() as conn:
            kept = versions.current(conn, KIND, LIBRARY_NAME)
        return None if kept is None else kept.body
    if source is not None and (source / LIBRARY_FILE).is_file():
        return (source / LIBRARY_FILE).read_text(encoding="utf-8")
    return None


def _columns(labels: list[str]) -> dict[str, int]:
    """Where each known column is, by its spellings."""
    names = [h.lower() for h in labels]
    index: dict[str, int] = {}
    for key, spellings in COLUMNS.items():
        found = next((names.index(s) for s in spellings if s in names), None)
        if found is not None:
            index[key] = found
    return index


def read_unit_cost_file(path: Path) -> list[UnitCost]:
    """Unit costs from a CSV or XLSX file in the GMCA Unit Cost Database layout (see ``parse_unit_costs``)."""
    return parse_unit_costs(read_path(path, ImportLimits.from_settings()), path.name)


Rows = Iterator[tuple[int, list[str | object]]]


@dataclass(frozen=True, slots=True)
class _Header:
    """Where the header is and which column holds each field."""

    row: int
    labels: list[str]
    index: dict[str, int]

    def cell(self, cells: list[str | object], key: str) -> str:
        """The trimmed text of ``key``'s cell in a row ("" where the column or cell is absent)."""
        i = self.index.get(key)
        return "" if i is None or i >= len(cells) else str(cells[i]).strip()


def _header(rows: Rows, name: str) -> _Header:
    """The first row naming every required column; titles above it (as the published database has) are
    passed over. CbaModelInvalidError naming the columns missing from the first row when none does."""
    first: tuple[int, list[str]] | None = None
    for header_row, header in itertools.islice(rows, HEADER_SEARCH_ROWS):
        labels = [str(h).strip() for h in header]
        index = _columns(labels)
        if all(k in index for k in _REQUIRED):
            return _Header(header_row, labels, index)
        first = first or (header_row, labels)
    header_row, labels = first or (0, [])
    index = _columns(labels)
    missing = ", ".join(k for k in _REQUIRED if k not in index)
    message = f"no column for {missing}; the columns are {', '.join(labels)}"
    raise CbaModelInvalidError(name, [RowProblem(_CODE, name, header_row, missing, "", message)])


@dataclass
class _Draft:
    """A unit cost being gathered from its rows (one row per agency)."""

    code: str
    description: str
    unit: str
    economic: Decimal
    social: Decimal
    price_year: str
    grade: int
    source: str
    illustrative: bool
    fiscal: dict[str, Decimal] = field(default_factory=dict)

    def unit_cost(self) -> UnitCost:
        """The gathered unit cost, as imported."""
        return UnitCost(
            code=self.code,
            description=self.description,
            unit=self.unit,
            fiscal=dict(self.fiscal),
            economic=self.economic,
            social=self.social,
            price_year=self.price_year,
            grade=self.grade,
            source=self.source,
            illustrative=self.illustrative,
            origin="imported",
        )


def _read_row(
    cells: list[str | object], number: int, header: _Header, name: str
) -> tuple[_Draft, str, Decimal]:
    """A row as a unit cost of its own, the agency that bears its fiscal cost, and that cost; a located
    CbaModelInvalidError if its code, grade or an amount is not one."""
    code = header.cell(cells, "code")
    if not code:
        label = header.labels[header.index["code"]]
        raise CbaModelInvalidError(name, [RowProblem(_CODE, name, number, label, "", "no code")])
    grade = header.cell(cells, "grade")
    if grade not in {"1", "2", "3", "4", "5", "6"}:
        label = header.labels[header.index["grade"]]
        message = "a confidence grade is a whole number from 1 to 6"
        raise CbaModelInvalidError(name, [RowProblem(_CODE, name, number, label, grade, message)])
    fiscal = pounds(header.cell(cells, "fiscal"), name, number, header.labels[header.index["fiscal"]])
    draft = _Draft(
        code=code,
        description=header.cell(cells, "description"),
        unit=header.cell(cells, "unit"),
        economic=pounds(header.cell(cells, "economic"), name, number, "economic"),
        social=pounds(header.cell(cells, "social"), name, number, "social"),
        price_year=header.cell(cells, "price_year"),
        grade=int(grade),
        source=header.cell(cells, "source"),
        illustrative=header.cell(cells, "illustrative").lower() in {"yes", "true", "1", "y"},
    )
    return draft, header.cell(cells, "agency") or "Unassigned", fiscal


def _merge(
    merged: dict[str, _Draft], row: _Draft, agency: str, fiscal: Decimal, number: int, name: str
) -> RowProblem | None:
    """Add a row to its code's unit cost (the first row of a code gives the rest); a problem if it gives the
    code economic and social values other than those it already has."""
    entry = merged.setdefault(row.code, row)
    entry.fiscal[agency] = entry.fiscal.get(agency, Decimal(0)) + fiscal
    if not (row.economic or row.social) or (entry.economic, entry.social) == (row.economic, row.social):
        return None
    problem = None
    if entry.economic or entry.social:
        problem = RowProblem(
            _CODE,
            name,
            number,
            "economic value",
            str(row.economic),
            f"code {row.code} already has economic and social values "
            f"{entry.economic} and {entry.social}; give them once per code",
        )
    entry.economic, entry.social = row.economic, row.social
    return problem


def parse_unit_costs(data: bytes, name: str) -> list[UnitCost]:
    """Unit costs from a CSV or XLSX file's bytes in the GMCA Unit Cost Database layout.

    One row per code and agency: rows sharing a code are one unit cost split across agencies (a domestic
    violence incident borne by the NHS, the police, criminal justice and the council). The economic and
    social values are taken once per code (they must agree where repeated). Every problem is located.
    """
    limits = ImportLimits.from_settings()
    rows = read_source(data, name, limits).rows
    header = _header(rows, name)  # reads up to the header; the loop below goes on from the row after it
    merged: dict[str, _Draft] = {}
    problems: list[RowProblem] = []
    for number, cells in rows:
        if not any(str(c).strip() for c in cells):
            continue
        try:
            row, agency, fiscal = _read_row(cells, number, header, name)
        except CbaModelInvalidError as exc:
            problems.extend(exc.problems)
            continue
        problem = _merge(merged, row, agency, fiscal, number, name)
        if problem is not None:
            problems.append(problem)
    if problems:
        raise CbaModelInvalidError(name, problems[: limits.max_problems])
    return [draft.unit_cost() for draft in merged.values()]


def save_library(
    place: Place, entries: list[UnitCost], source_name: str, principal: Principal, *, reason: str = ""
) -> Version:
    """Add ``entries`` to the place's library (the same code replaces) as its next version, if ``principal``
    may change the place's library (``library.change``): a unit cost changes every model that uses it."""
    principal.require("library.change", LIBRARY_RESOURCE)
    with place.begin() as conn:
        kept = versions.current(conn, KIND, LIBRARY_NAME)
        current: dict[str, dict[str, Any]] = {}
        if kept is not None:
            body = load_yaml(kept.body, str(LIBRARY_FILE)).data or {}
            current = {str(r["code"]): r for r in body.get("unit_costs", [])}
        for entry in entries:
            current[entry.code] = {k: v for k, v in entry.to_dict().items() if k not in ("origin",)}
        document = {
            "description": "The place's unit-cost library, imported in the GMCA Unit Cost Database layout.",
            "source": f"imported from {source_name}; each entry names its own source",
            "unit_costs": list(current.values()),
        }
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        codes = ", ".join(e.code for e in entries[:10]) + (", ..." if len(entries) > 10 else "")
        return versions.add(
            conn,
            kind=KIND,
            name=LIBRARY_NAME,
            body=text,
            owner_id=None,
            actor=principal.username,
            reason=reason.strip() or f"{len(entries)} unit cost(s) imported from {source_name}: {codes}",
        )
