"""Every packaged parameter says where it comes from."""

from __future__ import annotations

import pytest

from totalplace.errors import ConfigurationError
from totalplace.parameters import load_parameter, packaged_parameter_names, parse_parameter_text


def test_every_parameter_file_is_cited() -> None:
    names = packaged_parameter_names()
    assert "classification/taxonomy.yaml" in names
    for name in names:
        parameter = load_parameter(name)
        assert len(parameter.source) > 40, f"{name}: the source should be a citation a reader can follow"
        assert parameter.vintage and parameter.licence and parameter.description


def test_an_uncited_file_is_refused() -> None:
    with pytest.raises(ConfigurationError) as refused:
        parse_parameter_text("mine.yaml", "description: x\nrules: []\n")
    assert "source" in str(refused.value)
