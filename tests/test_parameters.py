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


def test_every_appraisal_parameter_has_a_unit_a_reference_and_a_date() -> None:
    """The cost-benefit parameters (discounting, optimism bias, deadweight, unit costs) say what unit they
    are in, where to check them and when the values date from; unconfirmed values say so."""
    names = [n for n in packaged_parameter_names() if n.startswith("cba/")]
    assert {"cba/green_book_discount.yaml", "cba/optimism_bias.yaml", "cba/deadweight.yaml"} <= set(names)
    for name in names:
        body = load_parameter(name).body
        for key in ("unit", "reference", "values_dated"):
            assert str(body.get(key) or "").strip(), f"{name} lacks {key}"
        assert str(body["reference"]).startswith("https://"), name
    grades = load_parameter("cba/optimism_bias.yaml").body["grades"]
    assert sorted(grades) == [1, 2, 3, 4, 5, 6]
    assert all("verified" in g for g in grades.values()), "each grade says whether it was confirmed"
