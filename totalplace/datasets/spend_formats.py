"""The published formats of spending data, each read into the same stored columns of the ``spend`` kind.

- ``transparency``: Local Government Transparency Code 2015 "expenditure exceeding £500" files (DCLG), in
  the header variants councils publish (Trafford's LGTC schema names, Lambeth's "Invoice Nett Amount", …);
- ``360giving``: 360Giving Data Standard grant files (Amount Awarded, Award Date, Recipient Org:Name, …);
- ``card``: Government Procurement Card transaction files (with a merchant category code);
- ``mapped``: any CSV/XLSX, with the user naming the headers in a small YAML mapping.

Where a file has several columns one field could come from, the alias listed first wins (e.g. Trafford's
PaymentDate over its month-end EffectiveDate, OrganisationalUnit over ProfitCentre).
"""

from __future__ import annotations

from collections.abc import Sequence

from totalplace.datasets import problems as codes
from totalplace.datasets.schema import ColumnSpec, DatasetSchema, normalise_header
from totalplace.errors import RowProblem

# 360Giving's "Currency" column: an ISO 4217 code for Amount Awarded (360Giving Data Standard, grants
# schema, field "currency"). Spending is held in pounds; a grant in another currency is refused, row by row,
# rather than converted at a rate no one stated (TP558).
CURRENCY_HEADERS = ("currency",)
HOME_CURRENCY = "GBP"

# Stored columns every spend format produces (the parquet schema of the ``spend`` kind).
FIELDS = (
    "date",
    "supplier",
    "amount",
    "description",
    "cost_centre",
    "expense_type",
    "proclass_code",
    "proclass_label",
    "merchant_category",
    "supplier_id",
    "reference",
    "area_code",
)


def _spend_schema(fmt: str, title: str, aliases: dict[str, tuple[str, ...]]) -> DatasetSchema:
    kinds = {"date": "date", "amount": "money"}
    required = {"date", "supplier", "amount"}
    columns = tuple(
        ColumnSpec(name, kinds.get(name, "text"), required=name in required, aliases=aliases.get(name, ()))  # type: ignore[arg-type]
        for name in FIELDS
    )
    return DatasetSchema(
        kind="spend",
        title=title,
        columns=columns,
        total_columns=("amount",),
        description=f"spending lines, {fmt} format",
        repair_lost_delimiters=True,
    )


TRANSPARENCY = _spend_schema(
    "transparency",
    "Transparency Code spend file",
    {
        "date": (
            "payment date",
            "date paid",
            "paid date",
            "transaction date",
            "invoice creation date",
            "invoice date",
            "posting date",
        ),
        "supplier": (
            "supplier name",
            "beneficiary name",
            "payee",
            "vendor name",
            "creditor name",
            "beneficiary",
            "vendor",
            "payee name",
        ),
        "amount": (
            "net amount",
            "invoice nett amount",
            "amount £",
            "amount paid",
            "value",
            "total amount",
            "line amount",
            "amount excl vat",
            "transaction amount",
            "amount gbp",
        ),
        "description": ("purpose", "purpose of expenditure", "expense description", "narrative", "details"),
        "cost_centre": (
            "organisational unit",
            "cost centre",
            "service area",
            "department",
            "directorate",
            "service",
            "service label",
            "expenditure service",
            "expense area",
            "profit centre",
        ),
        "expense_type": (
            "expense type",
            "subj description",
            "expenditure category",
            "subjective",
            "account description",
            "expenses type",
            "expenditure type",
        ),
        "proclass_code": ("proclass code", "procurement classification code"),
        "proclass_label": (
            "proclass label",
            "proclass",
            "procurement category",
            "procurement classification",
        ),
        "merchant_category": ("merchant category code", "mcc"),
        "supplier_id": (
            "beneficiary other id",
            "supplier id",
            "vendor id",
            "supplier number",
            "creditor number",
        ),
        "reference": (
            "transaction number",
            "transaction id",
            "invoice number",
            "document number",
            "reference number",
        ),
        "area_code": ("area code", "beneficiary location geographic code", "lsoa code", "ward code"),
    },
)

GRANTS_360 = _spend_schema(
    "360giving",
    "360Giving grants file",
    {
        "date": ("award date",),
        "supplier": ("recipient org name", "recipient individual name"),
        "amount": ("amount awarded",),
        "description": ("title", "description"),
        "cost_centre": ("funding org department", "funding org name"),
        "expense_type": ("grant programme title", "grant programme code"),
        "supplier_id": ("recipient org identifier", "recipient org charity number"),
        "reference": ("identifier",),
        "area_code": ("beneficiary location geographic code", "recipient org location geographic code"),
    },
)

CARD = _spend_schema(
    "card",
    "Purchase card transactions",
    {
        "date": ("payment date", "transaction date", "date"),
        "supplier": ("beneficiary name", "merchant name", "merchant", "supplier name", "supplier"),
        "amount": ("transaction amount", "amount £", "value"),
        "description": ("purpose", "description"),
        "cost_centre": ("organisational unit", "cost centre", "department", "service area"),
        "expense_type": ("category internal name", "merchant category", "category"),
        "merchant_category": ("merchant category code", "mcc"),
        "reference": ("card transaction", "transaction number", "reference"),
    },
)

FORMATS: dict[str, DatasetSchema] = {
    "transparency": TRANSPARENCY,
    "360giving": GRANTS_360,
    "card": CARD,
    "mapped": TRANSPARENCY,
}

# A header naming one of these is of that format; otherwise a spend file is read as a transparency file.
SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("360giving", frozenset({"amount awarded", "recipient org name"})),
    ("card", frozenset({"merchant category code", "mcc"})),
)


def detect_format(first_rows: list[list[object]]) -> str:
    """The format whose signature columns appear in the first rows of a file."""
    for row in first_rows:
        headers = {normalise_header(c) for c in row if isinstance(c, str)}
        for fmt, signature in SIGNATURES:
            if headers & signature:
                return fmt
    return "transparency"


def currency_problems(
    file: str, headers: Sequence[str], rows: Sequence[tuple[int, Sequence[object]]]
) -> list[RowProblem]:
    """A problem for each row whose Currency is neither blank nor GBP (360Giving files say it per grant)."""
    normalised = [normalise_header(h) for h in headers]
    position = next((normalised.index(h) for h in CURRENCY_HEADERS if h in normalised), None)
    if position is None:
        return []
    found = []
    for number, cells in rows:
        raw = str(cells[position]).strip() if position < len(cells) else ""
        if raw and raw.upper() != HOME_CURRENCY:
            found.append(
                RowProblem(
                    codes.WRONG_CURRENCY,
                    file,
                    number,
                    headers[position],
                    raw[:200],
                    f"the amount is in {raw[:20]}, not pounds (GBP); totalplace holds spending in pounds "
                    "and converts at no rate: convert the file to GBP, or leave the grant out",
                )
            )
    return found
