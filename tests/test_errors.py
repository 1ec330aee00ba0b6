"""Error codes are unique, stable, and all documented in docs/errors.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from totalplace import errors
from totalplace.cli.output import report_error
from totalplace.datasets import problems
from totalplace.money import MoneyOutOfRangeError
from totalplace.web.session import LoginRequiredError

DOC = Path(__file__).parents[1] / "docs" / "errors.md"


def _error_classes() -> list[type[errors.TotalplaceError]]:
    found: list[type[errors.TotalplaceError]] = []
    pending: list[type[errors.TotalplaceError]] = [errors.TotalplaceError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_codes_are_unique_and_documented() -> None:
    classes = _error_classes()
    assert LoginRequiredError in classes
    assert MoneyOutOfRangeError in classes  # money defines its own parse errors (TP107, TP113)
    error_codes = [c.code for c in classes]
    assert len(error_codes) == len(set(error_codes)), "two error classes share a code"
    problem_codes = [v for k, v in vars(problems).items() if k.isupper() and isinstance(v, str)]
    assert len(problem_codes) == len(set(problem_codes))
    documented = set(re.findall(r"`(TP\d{3})`", DOC.read_text(encoding="utf-8")))
    assert documented == set(error_codes) | set(problem_codes)


def test_errors_render_as_json_with_a_hint() -> None:
    error = errors.NotFoundError("no partner called 'X'", hint="partners are: Council")
    assert error.to_dict() == {
        "code": "TP104",
        "message": "no partner called 'X'",
        "hint": "partners are: Council",
    }
    assert error.http_status == 404


REFUSALS: list[type[errors.InputRefusedError]] = [
    errors.DocumentRefusedError,
    errors.ImportRejectedError,
    errors.AgreementInvalidError,
    errors.CbaModelInvalidError,
]


def _problems(code: str) -> list[errors.RowProblem]:
    return [
        errors.RowProblem(code, "costs.csv", 3, "Cost", "8x0", "not an amount of money"),
        errors.RowProblem(code, "costs.csv", 4, "Year", "", "a required value is empty"),
    ]


def test_every_refusal_of_input_is_one_kind_of_error_with_its_problems() -> None:
    for cls in [*REFUSALS, errors.RequestInvalidError]:
        assert issubclass(cls, errors.InputRefusedError) and cls.http_status == 422, cls
    for cls in REFUSALS:
        refused = cls("costs.csv", _problems(cls.code))
        shown = refused.to_dict()
        assert shown["code"] == cls.code and shown["hint"] == cls.default_hint
        assert [p["row"] for p in shown["problems"]] == [3, 4] and refused.file == "costs.csv"
        assert "costs.csv" in refused.message and "not an amount of money" in refused.message


def test_a_refused_request_names_its_parameters_without_echoing_them() -> None:
    refused = errors.RequestInvalidError(
        [{"parameter": "model", "message": "Field required"}, {"parameter": "csrf_token", "message": "x"}]
    )
    assert refused.message == "model: Field required (and 1 more)"
    assert refused.to_dict()["problems"] == [
        {"parameter": "model", "message": "Field required"},
        {"parameter": "csrf_token", "message": "x"},
    ]


def test_the_cli_exits_2_with_a_table_for_any_refused_input(capsys: pytest.CaptureFixture[str]) -> None:
    for cls in REFUSALS:
        assert report_error(cls("costs.csv", _problems(cls.code)), as_json=False) == 2
        shown = capsys.readouterr().err
        assert cls.code in shown and "8x0" in shown and "a required value is empty" in shown
        assert cls.place_headers[0] in shown
    assert report_error(errors.QueryRefusedError("two statements"), as_json=False) == 2
    assert report_error(errors.CbaError("no costs"), as_json=True) == 1


def _names(node: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _literal_codes(path: Path) -> list[int]:
    """Lines where a code is written as a string literal, other than an error class's own ``code``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = {
        id(node.value)
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        for node in cls.body
        if isinstance(node, ast.Assign | ast.AnnAssign) and "code" in _names(node)
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"TP\d{3}", node.value)
        and id(node) not in own
    ]


def test_codes_are_named_constants_not_literals() -> None:
    package = Path(errors.__file__).parent
    named_once = {package / "datasets" / "problems.py"}
    found = {
        str(path.relative_to(package)): lines
        for path in sorted(package.rglob("*.py"))
        if path not in named_once
        if (lines := _literal_codes(path))
    }
    assert found == {}, "use the named constants of totalplace.datasets.problems or an error class's code"
