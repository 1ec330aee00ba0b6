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
        share.year,
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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    used, wanted_region = 0, _region_key(share.region)
    start = f"{share.year[:4]}-04-01"
    for number, cells in rows:

        def cell(column: str, cells: list[object] = cells) -> str:
            return str(cells[columns[column]]).strip()

        if (
            cell("ID/non-ID") != "ID"
            or cell(SECTOR_COLUMN) not in share.sectors
            or _region_key(cell("NUTS Region")) != wanted_region
            or not cell(share.year)
        ):
            continue
        try:
            regional = (Decimal(cell(share.year)) * PENCE_PER_UNIT).quantize(Decimal(1), ROUND_HALF_EVEN)
        except InvalidOperation:
            codes.reject(
                name,
                codes.BAD_AMOUNT,
                f"{cell(share.year)!r} is not a number of £ thousand",
                row=number,
                column=share.year,
                value=cell(share.year),
            )
        place, _rest = Money(int(regional)).allocate(
            [share.place_population, share.region_population - share.place_population]
        )
        if place.pence == 0:
            continue
        writer.writerow(
            (
                start,
                cell("Organisation Name"),
                f"{place.to_decimal():.2f}",
                cell("HMT Subfunction"),
                cell("Department Name"),
                cell("COFOG Level 1"),
                cell("CRA Segment Code"),
            )
        )
        used += 1
    if used == 0:
        raise InvalidInputError(
            f"no identifiable CRA spending for {share.region!r} in {share.year}",
            hint='regions are written like "North West"; years like "2017-18"',
        )
    return out.getvalue().encode("utf-8"), used
