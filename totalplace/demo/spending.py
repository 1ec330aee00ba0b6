"""A year of spending for each of the demo's six partners, in the shapes each kind of body publishes.

The council's file follows the Transparency Code with Proclass codes, a title above the header and a totals
row below it; the NHS, police, fire and Jobcentre files use their own header names; the voluntary-sector
partner's grants are a 360Giving file whose grants name the small area they serve. Amounts include credits
and are written the way finance systems write them ("£1,234.50", "(25.00)"). A small share of lines carries
descriptions no rule recognises, as real files do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

YEAR_START = date(2024, 4, 1)


@dataclass(frozen=True)
class Service:
    """A line of business: its cost centre, what is bought, typical size and share of the partner's lines."""

    cost_centre: str
    descriptions: tuple[str, ...]
    suppliers: tuple[str, ...]
    median_pounds: int
    weight: int
    proclass: tuple[str, str] = ("NA", "NA")


COUNCIL = (
    Service(
        "PHYS SUPP 85+ LT",
        ("EXT RES CARE FEES", "EXT NURS CARE FEES"),
        ("Oakdene Care Home", "Riverside Nursing Home", "Hillcrest Care Ltd"),
        2200,
        14,
        ("321311", "SC : OP Residential Home"),
    ),
    Service(
        "LEARN DIS 18-64 LT",
        ("SUPPORTED LIVING", "DAY CARE SERVICES"),
        ("Parkside Supported Living", "Bridgeway Support CIC"),
        1800,
        12,
        ("321300", "SOCIAL CARE SERVICES : Adult"),
    ),
    Service(
        "MENT HLT 18-64 LT",
        ("EXT DOM CARE SPOT CO", "DIRECT PAYMENTS"),
        ("Redacted", "Northbridge Home Care"),
        900,
        8,
        ("321200", "SOCIAL CARE : Domiciliary Care"),
    ),
    Service(
        "CHILDREN'S HOMES",
        ("EXT RES PLACEMENTS", "BOARDED OUT SEC23"),
        ("Kestrel Children's Homes", "Redacted"),
        4200,
        6,
        ("321400", "SC : Children Residential Care"),
    ),
    Service(
        "Leaving Care Placeme",
        ("LEAVING CARE ALLOWANCE", "SUPPORTED LODGINGS"),
        ("Redacted", "Step Up Housing"),
        700,
        4,
    ),
    Service(
        "3 & 4 Yr Old Funding",
        ("PRIVATE CONTRACTORS - 34YO SUM24 ADV", "EARLY YEARS FUNDING"),
        ("Little Acorns Nursery", "Bright Start Nurseries"),
        3500,
        4,
    ),
    Service(
        "YP:Northbridge High Sch",
        ("SCHOOL SUPPLIES", "EXAM FEES"),
        ("EduSupplies Ltd", "Exam Board"),
        600,
        6,
        ("170000", "EDUCATION : Supplies"),
    ),
    Service(
        "Waste Collection",
        ("REFUSE COLLECTION CONTRACT", "RECYCLING GATE FEES"),
        ("Greenway Waste Services", "Northbridge Recycling"),
        5000,
        3,
        ("180000", "ENVIRONMENT : Waste Mgt"),
    ),
    Service(
        "Highways Maintenance",
        ("CARRIAGEWAY REPAIRS", "STREET LIGHTING ENERGY"),
        ("Civic Highways plc", "Unity Energy"),
        3000,
        4,
        ("230000", "HWY : Highways Maintenance"),
    ),
    Service(
        "Public Health Services",
        ("SEXUAL HEALTH SERVICE", "SUBSTANCE MISUSE SERVICE"),
        ("Northbridge Health Partnership", "Turning Point"),
        5000,
        2,
        ("310000", "MEDICAL : Services"),
    ),
    Service(
        "Libraries & Culture",
        ("BOOK STOCK", "EVENTS"),
        ("Book Suppliers Ltd", "Northbridge Arts Trust"),
        400,
        3,
        ("290000", "LEISURE : Services"),
    ),
    Service(
        "Homelessness",
        ("BED AND BREAKFAST", "TEMPORARY ACCOM"),
        ("Station Hotel", "Northbridge Lettings"),
        600,
        3,
    ),
    Service(
        "ICT Services",
        ("SOFTWARE LICENCES", "TELEPHONY"),
        ("Meridian IT Services", "Unity Telecom"),
        3000,
        5,
        ("270000", "ICT : Software"),
    ),
    Service(
        "Community Safety Partnership",
        ("CCTV MONITORING", "ASB CASEWORK"),
        ("Watchful CCTV Ltd", "Safer Streets CIC"),
        1500,
        2,
    ),
    Service("Corporate Misc", ("SUNDRY", "MISC EXPENSES"), ("Various", "Petty Cash"), 300, 2),
)
NHS = (
    Service(
        "Acute Medicine",
        ("Clinical supplies", "Agency nursing"),
        ("MedSupply UK", "Nurse Bank Ltd"),
        4000,
        10,
    ),
    Service(
        "Emergency Department",
        ("Clinical supplies", "Locum doctors"),
        ("MedSupply UK", "Locum Partners"),
        5000,
        6,
    ),
    Service(
        "Community Nursing", ("Community equipment", "Mileage"), ("Equip Community", "Travel Desk"), 800, 6
    ),
    Service(
        "Mental Health - Adult",
        ("Placement fees", "Talking therapies"),
        ("Mindful Care", "Pennine Therapies"),
        3000,
        5,
    ),
    Service(
        "Primary Care Prescribing",
        ("Prescribing costs", "Pharmacy services"),
        ("Northbridge Pharmacy", "PharmaCo"),
        6000,
        6,
    ),
    Service("Maternity", ("Clinical supplies",), ("MedSupply UK",), 2000, 3),
    Service(
        "Discharge to Assess",
        ("Residential care beds", "Home care packages"),
        ("Oakdene Care Home", "Northbridge Home Care"),
        2500,
        3,
    ),
    Service("Estates & Facilities", ("Cleaning contract", "Energy"), ("CleanCo", "Unity Energy"), 9000, 3),
    Service("Other", ("Sundries",), ("Various",), 500, 1),
)
POLICE = (
    Service(
        "Neighbourhood Policing", ("Vehicle fuel", "Community events"), ("FuelCard Ltd", "Events Co"), 700, 6
    ),
    Service(
        "Response Policing",
        ("Vehicle maintenance", "Body-worn video"),
        ("Fleet Services", "VideoTech"),
        1500,
        6,
    ),
    Service(
        "Public Protection Unit",
        ("Interpreters", "Forensic services"),
        ("Interpret UK", "Forensic Labs"),
        1200,
        4,
    ),
    Service("Custody", ("Custody healthcare", "Catering"), ("Custody Health Ltd", "Catering Co"), 2500, 3),
    Service("Headquarters", ("Consultancy", "Sundries"), ("Big Four LLP", "Various"), 3000, 2),
)
FIRE = (
    Service(
        "Fire Prevention - Home Fire Safety",
        ("Smoke alarms", "Safe and well visits"),
        ("Alarm Supplies", "Community Partners"),
        600,
        5,
    ),
    Service(
        "Operational Response",
        ("Breathing apparatus", "Appliance maintenance"),
        ("BA Systems", "Fleet Services"),
        3000,
        5,
    ),
    Service("Fire Station Running Costs", ("Energy", "Cleaning"), ("Unity Energy", "CleanCo"), 1200, 3),
)
DWP = (
    Service(
        "Jobcentre Plus Northbridge",
        ("Flexible support fund", "Travel to interview"),
        ("Skills Provider Ltd", "Travel Desk"),
        400,
        6,
    ),
    Service("Restart Scheme", ("Provider payments",), ("Employment Partners plc",), 9000, 3),
    Service(
        "Access to Work", ("Support worker", "Equipment"), ("Access Support Ltd", "Assistive Tech"), 1500, 3
    ),
)


def _amount(rng: random.Random, median: int) -> int:
    pence = max(100, int(rng.lognormvariate(0, 0.9) * median * 100))
    return -pence if rng.random() < 0.02 else pence


def _money_text(rng: random.Random, pence: int) -> str:
    pounds = f"{abs(pence) / 100:,.2f}" if pence % 100 else f"{abs(pence) // 100:,}.00"
    if pence < 0:
        return f"({pounds})" if rng.random() < 0.5 else f"-{pounds}"
    return f"£{pounds}" if rng.random() < 0.3 else pounds


def _when(rng: random.Random) -> date:
    return YEAR_START + timedelta(days=rng.randrange(365))


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _lines(
    rng: random.Random, services: tuple[Service, ...], count: int
) -> list[tuple[Service, str, str, int]]:
    weights = [s.weight for s in services]
    out = []
    for service in rng.choices(services, weights, k=count):
        description = rng.choice(service.descriptions)
        if rng.random() < 0.05:  # messy text as finance staff type it
            description = description.lower() + "  "
        out.append((service, description, rng.choice(service.suppliers), _amount(rng, service.median_pounds)))
    return out


# Monthly lines that are few but large: payroll deductions paid over, and capital payments.
MONTHLY = (
    Service(
        "NA",
        ("PAYE Tax", "Nat Ins & Rebate", "SUPERANN CONTRIBS"),
        ("HMRC", "Regional Pension Fund"),
        1_800_000,
        1,
    ),
    Service(
        "Capital Schemes",
        ("CAP GRANT OTH BODIES", "PURCHASE OF BUILDING"),
        ("Northbridge Regeneration Co", "Civic Construction Ltd"),
        900_000,
        1,
    ),
)


# Services delivered somewhere in particular: their lines carry the LSOA served, as case systems record it.
PLACE_BASED = (
    "PHYS SUPP",
    "LEARN DIS",
    "MENT HLT",
    "CHILDREN'S HOMES",
    "Leaving Care",
    "Yr Old",
    "High Sch",
    "Libraries",
    "Homelessness",
)


def council_file(rng: random.Random, count: int, lsoas: list[str]) -> bytes:
    """The council's Transparency Code file, Trafford-style headers, a title row and a totals row.

    Place-based services name the LSOA they serve; need is skewed so that later LSOAs (the demo's
    "east side") draw up to four times the spending per line of earlier ones, which a choropleth shows.
    """
    header = (
        "OrganisationalUnit,BeneficiaryName,PaymentDate,TransactionNumber,Amount,Purpose,ProclassLabel,"
        "ProclassCode,Area Code"
    )
    need = [1 + 3 * i / max(1, len(lsoas) - 1) for i in range(len(lsoas))]
    rows = ["Northbridge Council - payments to suppliers 2024-25", "", header]
    total = 0
    lines = _lines(rng, COUNCIL, count - 12 * 6) + _lines(rng, MONTHLY, 12 * 6)
    for n, (s, description, supplier, pence) in enumerate(lines):
        area = (
            rng.choices(lsoas, need)[0]
            if s.cost_centre.startswith(PLACE_BASED) or any(key in s.cost_centre for key in PLACE_BASED)
            else ""
        )
        total += pence
        rows.append(
            ",".join(
                (
                    _quote(s.cost_centre),
                    _quote(supplier),
                    _when(rng).isoformat(),
                    str(5_100_000_000 + n),
                    _quote(_money_text(rng, pence)),
                    _quote(description),
                    _quote(s.proclass[1]),
                    s.proclass[0],
                    area,
                )
            )
        )
    rows.append(f",Total,,,{_quote(_money_text(rng, total))},,,,")
    return ("\n".join(rows) + "\n").encode("utf-8")


def partner_file(
    rng: random.Random, services: tuple[Service, ...], count: int, header: tuple[str, ...]
) -> bytes:
    """Another partner's spend file in its own header names (date, supplier, amount, cost centre, purpose)."""
    rows = [",".join(header)]
    for s, description, supplier, pence in _lines(rng, services, count):
        rows.append(
            ",".join(
                (
                    _when(rng).strftime("%d/%m/%Y"),
                    _quote(supplier),
                    _quote(_money_text(rng, pence)),
                    _quote(s.cost_centre),
                    _quote(description),
                )
            )
        )
    return ("\r\n".join(rows) + "\r\n").encode("cp1252")


def grants_file(rng: random.Random, count: int, lsoas: list[str]) -> bytes:
    """The voluntary-sector partner's grants as 360Giving, each naming the LSOA it serves."""
    header = (
        "Identifier,Title,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
        "Beneficiary Location:Geographic Code,Grant Programme:Title"
    )
    rows = [header]
    groups = (
        "Friends of the Park",
        "Youth Club",
        "Foodbank",
        "Carers Group",
        "Men's Shed",
        "Tenants Association",
    )
    for n in range(count):
        lsoa = rng.choice(lsoas)
        group = f"{rng.choice(groups)} {lsoa[-3:]}"
        pounds = rng.choice((500, 750, 1000, 1500, 2000, 2500, 5000))
        rows.append(
            ",".join(
                (
                    f"360G-northbridge-{n:05d}",
                    _quote(f"Community grant to {group}"),
                    "GBP",
                    str(pounds),
                    _when(rng).isoformat(),
                    f"360G-nca-{n:05d}",
                    _quote(group),
                    lsoa,
                    "Community Grants",
                )
            )
        )
    return ("\n".join(rows) + "\n").encode("utf-8")
