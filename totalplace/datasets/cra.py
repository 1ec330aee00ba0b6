"""HM Treasury Country and Regional Analysis (CRA): an estimate of national agencies' spending in a place.

The CRA database gives identifiable public spending by department, COFOG function and region, in £ thousand.
The Total Place pilots estimated the spending of bodies that publish no local lines (DWP benefits, NHS
England, HMRC, …) by giving the place its population share of its region's identifiable spending. Each CRA
row becomes one spend line: the regional figure split between the place and the rest of the region by
largest remainder (so the place's pence are exact), dated the first day of the financial year.

Local government rows (CG/LG/PC = "LG") are left out by default: councils import their own spending, and
counting the CRA's estimate as well would count it twice.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from totalplace.datasets import problems as codes
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.source import read_source
from totalplace.errors import InvalidInputError
from totalplace.money import Money

# The CRA publishes £ thousand (metadata sheet: "Levels of expenditure shown are in £'000s").
PENCE_PER_UNIT = 100_000
SECTOR_COLUMN = "CG, LG, PC, BOE"
HEADER = (
    "Payment Date",
    "Supplier Name",
    "Amount",
    "Purpose",
    "Cost Centre",
    "Expense Type",
    "Transaction Number",
)


@dataclass(frozen=True)
class CraShare:
    """Which slice of the CRA to take and the population share that apportions it to the place."""

    region: str
    year: str
    place_population: int
    region_population: int
    sectors: tuple[str, ...] = ("CG", "PC")

    def describe(self) -> str:
        """The assumptions, for the batch's provenance."""
        return (
            f"CRA {self.year}, {self.region}, sectors {'+'.join(self.sectors)}, "
            f"share {self.place_population:,}/{self.region_population:,}"
        )


def _region_key(text: str) -> str:
    return text.removeprefix("ENGLAND_").strip().casefold()


def cra_to_spend_csv(data: bytes, name: str, share: CraShare, limits: ImportLimits) -> tuple[bytes, int]:
    """The place's share of the CRA rows as a spend CSV, and how many CRA rows were used."""
    if not 0 < share.place_population <= share.region_population:
        raise InvalidInputError("the place's population must be positive and no larger than its region's")
    rows = read_source(data, name, limits).rows
    _, header = next(rows, (0, []))
    columns = _columns(header, name, share.year)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    used = 0
    for number, cells in rows:
        line = _spend_line(_CraRow(columns, cells, number, name), share)
        if line is not None:
            writer.writerow(line)
            used += 1
    if used == 0:
        raise InvalidInputError(
            f"no identifiable CRA spending for {share.region!r} in {share.year}",
            hint='regions are written like "North West"; years like "2017-18"',
        )
    return out.getvalue().encode("utf-8"), used


def _columns(header: list[object], name: str, year: str) -> dict[str, int]:
    """Where each column is; a file without the CRA's columns (or without ``year``) is refused."""
    columns = {str(h).strip(): i for i, h in enumerate(header)}
    needed = (
        "Department Name",
        "Organisation Name",
        "CRA Segment Code",
        "HMT Subfunction",
        "COFOG Level 1",
        "ID/non-ID",
        SECTOR_COLUMN,
        "NUTS Region",
        year,
    )
    missing = [c for c in needed if c not in columns]
    if missing:
        codes.reject(
            name,
            codes.MISSING_COLUMN,
            f"this is not a CRA database file: no {', '.join(missing)} column",
            row=1,
            column=missing[0],
        )
    return columns


@dataclass(frozen=True)
class _CraRow:
    """One row of the CRA file, read by column name."""

    columns: dict[str, int]
    cells: list[object]
    number: int
    file: str

    def __getitem__(self, column: str) -> str:
        return str(self.cells[self.columns[column]]).strip()


def _spend_line(row: _CraRow, share: CraShare) -> tuple[str, ...] | None:
    """The spend line of the place's share of one CRA row, or None for a row outside the slice or of 0p."""
    if (
        row["ID/non-ID"] != "ID"
        or row[SECTOR_COLUMN] not in share.sectors
        or _region_key(row["NUTS Region"]) != _region_key(share.region)
        or not row[share.year]
    ):
        return None
    place, _rest = Money(_regional_pence(row, share.year)).allocate(
        [share.place_population, share.region_population - share.place_population]
    )
    if place.pence == 0:
        return None
    return (
        f"{share.year[:4]}-04-01",  # the first day of the financial year
        row["Organisation Name"],
        f"{place.to_decimal():.2f}",
        row["HMT Subfunction"],
        row["Department Name"],
        row["COFOG Level 1"],
        row["CRA Segment Code"],
    )


def _regional_pence(row: _CraRow, year: str) -> int:
    """The region's figure for ``year`` in pence (the CRA publishes £ thousand), or the file refused."""
    try:
        return int((Decimal(row[year]) * PENCE_PER_UNIT).quantize(Decimal(1), ROUND_HALF_EVEN))
    except InvalidOperation:
        codes.reject(
            row.file,
            codes.BAD_AMOUNT,
            f"{row[year]!r} is not a number of £ thousand",
            row=row.number,
            column=year,
            value=row[year],
        )
