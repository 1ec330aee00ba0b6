"""Error codes are unique, stable, and all documented in docs/errors.md."""

from __future__ import annotations

import re
from pathlib import Path

from totalplace import errors
from totalplace.datasets import problems
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
