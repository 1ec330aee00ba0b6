"""The vectorised path takes only clean files, and gives exactly what the row-by-row path gives."""

from __future__ import annotations

from typing import Any

import pytest

from tests.datasets.files import csv_bytes
from totalplace.datasets.importer import ImportRequest, parse_file
from totalplace.datasets.limits import ImportLimits
from totalplace.errors import ImportRejectedError

HEADER = "Payment Date,Supplier Name,Amount,Description\n"
CLEAN = {
    "uk-dates": HEADER + '01/04/2024,Acme,"1,234.50",Care\n15/04/2024,Cafe,(25.00),Refund\n',
    "iso-dates-bom": "\ufeffPaymentDate,BeneficiaryName,Amount\n2024-04-01,A,-3.20\n2024-04-02,B,£7\n",
    "title-above": "Council payments\n\n" + HEADER + "01/04/2024,Acme,12.00,\n",
    "semicolons": "Payment Date;Supplier Name;Amount\n01/04/2024;Acme;12.00\n",
    "crlf": HEADER.replace("\n", "\r\n") + "01/04/2024,Acme,12.00,x\r\n",
    "card": "PaymentDate,BeneficiaryName,Amount,MerchantCategoryCode\n2024-04-01,Cafe,12.50,5812\n",
}
TRICKY = {
    "impossible-date": HEADER + "31/02/2024,Acme,12.00,x\n",
    "unpadded-date": HEADER + "1/4/2024,Acme,12.00,x\n",
    "blank-line": HEADER + "01/04/2024,Acme,12.00,x\n\n02/04/2024,B,1.00,y\n",
    "totals-row": HEADER + "01/04/2024,Acme,12.00,x\nTotal,,12.00,\n",
    "repeated-header": HEADER + "01/04/2024,Acme,12.00,x\n" + HEADER + "02/04/2024,B,1.00,y\n",
    "ragged": HEADER + "01/04/2024,Acme,12.00,x,extra\n",
    "bad-thousands": HEADER + '01/04/2024,Acme,"1,23.00",x\n',
    "double-negative": HEADER + "01/04/2024,Acme,(-1.00),x\n",
    "fraction-of-penny": HEADER + "01/04/2024,Acme,1.005,x\n",
    "quoted-newline": HEADER + '01/04/2024,"Acme\nLtd",12.00,x\n',
    "lost-delimiter": HEADER + "01/04/2024,Acme,12.00,x\n02/04/202412.00,,,\n",
    "empty-supplier": HEADER + "01/04/2024,,12.00,x\n",
    "mixed-dates": HEADER + "01/04/2024,A,1.00,x\n2024-04-02,B,1.00,y\n",
    "time-suffix": HEADER + "01/04/2024 00:00,A,1.00,x\n",
}
LIMITS = ImportLimits.from_settings()


def _both(text: str) -> tuple[Any, Any]:
    outcomes: list[Any] = []
    for fast in (True, False):
        try:
            parsed = parse_file(csv_bytes(text), "f.csv", ImportRequest("spend"), LIMITS, fast=fast)
            outcomes.append((parsed.arrow, parsed.totals, parsed.skipped_above, parsed.vectorised))
        except ImportRejectedError as error:
            outcomes.append(("refused", [p.to_dict() for p in error.problems]))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_files_take_the_vectorised_path_and_agree(name: str) -> None:
    fast, exact = _both(CLEAN[name])
    assert fast[3] is True and exact[3] is False
    assert fast[0].equals(exact[0]) and fast[1:3] == exact[1:3]


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_files_fall_back_to_the_exact_path(name: str) -> None:
    fast, exact = _both(TRICKY[name])
    if fast[0] == "refused":
        assert fast == exact
    else:
        assert fast[3] is False, "the vectorised path must not take a file it cannot judge exactly"
        assert fast[0].equals(exact[0])


def test_a_character_cut_at_the_scan_boundary_keeps_utf8() -> None:
    boundary = 1 << 20  # the header scan decodes the first megabyte
    pad = "01/04/2024,A,1.00,x\n"
    prefix = HEADER + pad * ((boundary - len(HEADER) - 200) // len(pad))
    lead = "01/04/2024,"
    filler = "y" * (boundary - 1 - len(prefix) - len(lead))
    data = (prefix + lead + filler + "é,1.00,x\n" + "01/04/2024,Café Ltd,2.00,x\n").encode("utf-8")
    assert data[boundary - 1 : boundary + 1] == "é".encode()  # the character straddles the boundary
    parsed = parse_file(data, "f.csv", ImportRequest("spend"), LIMITS)
    assert parsed.vectorised
    assert parsed.arrow.column("supplier").to_pylist()[-2:] == [filler + "é", "Café Ltd"]
