"""The command line of records about people: import under an agreement, keys, the opt-out list."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Invoke
from tests.engines.people.records_support import (
    NHS_PARTNER,
    add_agreement,
    agreement_yaml,
    extract,
    nhs_number,
    row,
)
from totalplace.datasets import problems as codes
from totalplace.place import Place

USED = nhs_number(943476591)


def _setup(run: Invoke, tmp_path: Path) -> Path:
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    assert run("partner", "add", NHS_PARTNER, "--kind", "nhs").exit_code == 0
    with Place.open(tmp_path / "place") as place:
        add_agreement(
            place,
            agreement_yaml("nhs-plan", "planning", fields=("nhs_number", "event_date", "event_type")),
            "nhs-plan",
        )
    return tmp_path / "place"


def test_import_records_reports_what_was_dropped_and_excluded(run: Invoke, tmp_path: Path) -> None:
    _setup(run, tmp_path)
    response = tmp_path / "resp.dat"
    response.write_bytes(f"{USED},\r\n".encode())
    shown = run("optout", "import", str(response), "--date", "2026-12-01")
    assert shown.exit_code == 0 and "1 NHS numbers" in shown.output
    data = tmp_path / "contacts.csv"
    data.write_bytes(extract(row(USED), row(nhs_number(123456780), local="L2")))
    done = run(
        "import",
        "records",
        str(data),
        "--partner",
        NHS_PARTNER,
        "--agreement",
        "nhs-plan",
        "--source",
        "nhs_urgent_contacts",
    )
    assert done.exit_code == 0, done.output
    assert "dropped: " in done.output and "given_name" in done.output and "excluded 1" in done.output
    assert USED not in done.output
    as_json = run("optout", "show", "--json")
    assert json.loads(as_json.output)["entries"] == 1 and USED not in as_json.output


def test_a_bad_nhs_number_exits_2_naming_row_and_column(run: Invoke, tmp_path: Path) -> None:
    _setup(run, tmp_path)
    data = tmp_path / "contacts.csv"
    data.write_bytes(extract(row(USED), row("9434765918")))
    done = run(
        "import",
        "records",
        str(data),
        "--partner",
        NHS_PARTNER,
        "--agreement",
        "nhs-plan",
        "--source",
        "nhs_urgent_contacts",
        "--json",
    )
    assert done.exit_code == 2
    problem = json.loads(done.output)["error"]["problems"][0]
    assert (problem["code"], problem["row"], problem["column"]) == (codes.BAD_NHS_NUMBER, 3, "NHS Number")
    assert "9434765918" not in done.output


def test_keys_rotate_and_list(run: Invoke, tmp_path: Path) -> None:
    _setup(run, tmp_path)
    assert run("keys", "rotate", "--purpose", "planning", "--reason", "annual").exit_code == 0
    listed = json.loads(run("keys", "list", "--json").output)
    assert [(k["purpose"], k["generation"]) for k in listed] == [("planning", 1)]
    rotated = run("keys", "rotate", "--purpose", "planning", "--reason", "again")
    assert "generation 2" in rotated.output and "run the linkage again" in rotated.output
