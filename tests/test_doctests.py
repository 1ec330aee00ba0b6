"""The short worked examples in the docstrings of the pure maths run, and stay right.

An explicit list, not pytest's ``--doctest-modules`` over the package: that would import every module,
Spark's backend and the web app among them.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "totalplace.money",
    "totalplace.datasets.identifiers",
    "totalplace.governance.pseudonyms",
    "totalplace.engines.outcomes.stats",
    "totalplace.engines.pool.riskshare",
    "totalplace.engines.cba.parameters",
]


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_in_the_docstrings_hold(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
