"""The bounds on what enters: money, numbers, totals, lines, YAML and JSON documents."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Invoke
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.safe_json import load_json
from totalplace.datasets.safe_yaml import load_yaml
from totalplace.datasets.source import LineGuard
from totalplace.datasets.validate import total_problems
from totalplace.datasets.values import CellError, parse_integer, parse_number
from totalplace.errors import ConfigurationError, DocumentRefusedError, ImportRejectedError
from totalplace.governance.roles import OPERATOR
from totalplace.money import (
    MAX_AMOUNT_PENCE,
    MAX_ROWS_FOR_64_BITS,
    Money,
    MoneyOutOfRangeError,
    MoneyParseError,
)
from totalplace.place import Place


def test_the_limits_keep_every_batch_total_within_64_bits() -> None:
    assert MAX_ROWS_FOR_64_BITS * MAX_AMOUNT_PENCE <= 2**63 - 1
    assert ImportLimits.from_settings().max_rows <= MAX_ROWS_FOR_64_BITS


def test_a_row_limit_that_could_overflow_a_total_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOTALPLACE_MAX_IMPORT_ROWS", str(MAX_ROWS_FOR_64_BITS + 1))
    with pytest.raises(ConfigurationError, match="64 bits"):
        ImportLimits.from_settings()


def test_a_total_past_64_bits_is_a_coded_problem() -> None:
    assert total_problems({"amount_pence": 2**63 - 1}, "f.csv") == []
    [problem] = total_problems({"amount_pence": 2**63}, "f.csv")
    assert problem.code == "TP552"


@pytest.mark.parametrize(
    "text", ["99999999999999999999.99", "10000000000.01", "(10,000,000,000.01)", "-92233720368547758.07"]
)
def test_amounts_past_ten_billion_pounds_are_refused(text: str) -> None:
    with pytest.raises(MoneyOutOfRangeError) as refused:
        Money.parse(text)
    assert refused.value.code == "TP113"


@pytest.mark.parametrize("text", ["NaN", "inf", "1e309", "9" * 4000])
def test_non_finite_amounts_are_not_money(text: str) -> None:
    with pytest.raises(MoneyParseError):
        Money.parse(text)
    with pytest.raises((MoneyParseError, TypeError)):
        Money.from_pounds(Decimal(text))


def test_the_limit_itself_is_money() -> None:
    assert Money.parse("10,000,000,000.00").pence == MAX_AMOUNT_PENCE
    assert Money.parse("(10000000000.00)").pence == -MAX_AMOUNT_PENCE


@pytest.mark.parametrize("value", ["NaN", "inf", "-Infinity", "1e309", float("nan"), 1e16, "1" + "0" * 70])
def test_numbers_must_be_finite_and_bounded(value: object) -> None:
    with pytest.raises(CellError) as refused:
        parse_number(value)
    assert refused.value.code == "TP553"


@pytest.mark.parametrize("value", ["nan", "9" * 30, float("inf")])
def test_integers_must_be_finite_and_bounded(value: object) -> None:
    with pytest.raises(CellError) as refused:
        parse_integer(value)
    assert refused.value.code == "TP553"


def test_a_long_line_is_refused_wherever_the_chunks_cut_it() -> None:
    guard = LineGuard("f.csv", limit=10)
    guard.feed(b"short\nabcde")
    guard.feed(b"fgh")  # the second line is 8 bytes so far
    with pytest.raises(ImportRejectedError) as refused:
        guard.feed(b"ijk\nfine\n")
    [problem] = refused.value.problems
    assert (problem.code, problem.row) == ("TP516", 2)


def test_a_repeated_yaml_key_is_named_with_both_lines() -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        load_yaml("name: bcf\nhost: Council\ncontributions: []\nhost: NHS\n", "bcf.yaml")
    [problem] = refused.value.problems
    assert (problem.code, problem.row, problem.column) == ("TP554", 4, "host")
    assert "lines 2 and 4" in problem.message


def test_yaml_merge_keys_and_anchors_are_still_read() -> None:
    document = load_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  x: 3\n", "m.yaml")
    assert document.data["use"] == {"x": 3, "y": 2}


def test_yaml_nested_100000_deep_is_refused_at_once() -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        load_yaml("a: " + "[" * 100_000 + "]" * 100_000, "deep.yaml")
    assert refused.value.problems[0].code == "TP555"


def test_a_repeated_json_key_is_refused_naming_it() -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        load_json('{"type": "Point", "coordinates": [1, 2], "coordinates": [3, 4]}', "g.json")
    assert (refused.value.problems[0].code, refused.value.problems[0].column) == ("TP554", "coordinates")


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": -Infinity}', '{"a": 1e309}'])
def test_json_numbers_must_be_finite(text: str) -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        load_json(text, "g.json")
    assert refused.value.problems[0].code == "TP553"


def test_json_depth_is_limited_before_parsing() -> None:
    with pytest.raises(DocumentRefusedError) as refused:
        load_json("[" * 65 + "]" * 65, "g.json")
    assert refused.value.problems[0].code == "TP555"
    assert load_json('["[[[[[[", ' + "[" * 60 + "]" * 60 + "]", "g.json")[0] == "[[[[[["


def test_the_cli_refuses_hostile_files_with_codes_not_tracebacks(run: Invoke, tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "place"), "--name", "T", "--code", "E06000001").exit_code == 0
    assert run("partner", "add", "Council", "--kind", "local_authority").exit_code == 0
    spend = tmp_path / "big.csv"
    spend.write_text("Payment Date,Supplier Name,Amount\n01/04/2024,A,99999999999999999999.99\n")
    result = run("import", "spend", str(spend), "--partner", "Council", "--json")
    assert result.exit_code == 2 and "TP551" in result.output
    agreement = tmp_path / "a.yaml"
    agreement.write_bytes(b"name: \xff\xfe\n")
    result = run("pool", "create", str(agreement), "--json")
    assert result.exit_code == 2 and "TP514" in result.output
    agreement.write_text("a: " + "[" * 100_000 + "]" * 100_000)
    result = run("pool", "create", str(agreement), "--json")
    assert result.exit_code == 2 and "TP555" in result.output


def test_a_file_of_garbage_is_refused_from_its_first_rows(sqlite_place: Place) -> None:
    from totalplace.datasets.importer import ImportRequest, import_file

    body = "Payment Date,Supplier Name,Amount\n" + "01/04/2024,A,1.00\n" + "01/04/2024,B,lots\n" * 60_000
    with pytest.raises(ImportRejectedError) as refused:
        import_file(
            sqlite_place,
            body.encode(),
            ImportRequest("spend", "Council"),
            principal=OPERATOR,
            source_name="g.csv",
        )
    problems = refused.value.problems
    assert len(problems) == ImportLimits.from_settings().max_problems
    assert [p.row for p in problems[:2]] == [3, 4] and {p.code for p in problems} == {"TP531"}


def test_money_at_and_past_the_limit_on_both_stores(place: Place) -> None:
    from totalplace.datasets.importer import ImportRequest, import_file
    from totalplace.store.catalog import list_batches

    header = "Payment Date,Supplier Name,Amount\n"
    request = ImportRequest("spend", "Council")
    with pytest.raises(ImportRejectedError) as refused:
        import_file(
            place, (header + "01/04/2024,A,99999999999999999999.99\n").encode(), request, principal=OPERATOR
        )
    assert refused.value.problems[0].code == "TP551"
    at_limit = (header + "01/04/2024,A,10000000000.00\n" * 3 + "01/04/2024,B,(10000000000.00)\n").encode()
    result = import_file(place, at_limit, request, principal=OPERATOR, source_name="limit.csv")
    assert result.batch.totals["amount_pence"] == 2 * MAX_AMOUNT_PENCE
    with place.read() as conn:
        assert [b.totals["amount_pence"] for b in list_batches(conn)] == [2 * MAX_AMOUNT_PENCE]
