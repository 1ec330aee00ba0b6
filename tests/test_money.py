from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from totalplace.errors import InvalidInputError
from totalplace.money import Money, MoneyParseError, format_pounds, sum_money


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("£1,234.50", 123450),
        ("(1,234.50)", -123450),
        ("-1234.5", -123450),
        ("1,234", 123400),
        ("0.01", 1),
        ("  £ 12.00 ", 1200),
        ("1234.50 CR", -123450),
        ("12.5-", -1250),
        ("£-3.20", -320),
        (".5", 50),
        ("1,234,567.89", 123456789),
        ("GBP 10", 1000),
        ("-0.00", 0),
        ("1e3", None),
        ("12.345", None),
        ("1,23.00", None),
        ("abc", None),
        ("", None),
        ("£", None),
        ("1.2.3", None),
        ("12.300", 1230),
        ("(-1.00)", None),
        ("(£1,234.50)", -123450),
        ("-£3.20", -320),
    ],
)
def test_parse(text: str, pence: int | None) -> None:
    if pence is None:
        with pytest.raises(MoneyParseError):
            Money.parse(text)
    else:
        assert Money.parse(text).pence == pence


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        Money(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.from_pounds(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.parse(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(100) * 1.5  # type: ignore[operator]


def test_arithmetic_and_format() -> None:
    assert str(Money(-123456)) == "-£1,234.56"
    assert Money(5) + Money(7) == Money(12)
    assert Money(5) - Money(7) == Money(-2)
    assert 3 * Money(5) == Money(15)
    assert Money.from_pounds(Decimal("2.50")) == Money(250)
    assert sum_money([Money(1), Money(2)]) == Money(3)
    assert Money(-1).to_decimal() == Decimal("-0.01")


def test_allocate_examples() -> None:
    assert [m.pence for m in Money(1000).allocate([1, 1, 1])] == [334, 333, 333]
    assert [m.pence for m in Money(-1000).allocate([1, 1, 1])] == [-334, -333, -333]
    assert [m.pence for m in Money(100).allocate([Money(3), Money(1)])] == [75, 25]
    with pytest.raises(InvalidInputError):
        Money(1).allocate([])
    with pytest.raises(InvalidInputError):
        Money(1).allocate([0, 0])
    with pytest.raises(InvalidInputError):
        Money(1).allocate([1, -1])


@given(
    st.integers(min_value=-(10**13), max_value=10**13),
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40).filter(lambda w: sum(w) > 0),
)
def test_allocate_sums_to_whole_and_each_part_within_a_penny(pence: int, weights: list[int]) -> None:
    parts = Money(pence).allocate(weights)
    assert sum(p.pence for p in parts) == pence
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(pence * weight, total)
        assert abs(part.pence - exact) < 1


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_format_parse_round_trip(pence: int) -> None:
    assert Money.parse(str(Money(pence))).pence == pence


def test_pounds_for_people_keep_the_sign_in_front_and_round_half_to_even() -> None:
    assert format_pounds(Decimal("-181581.49")) == "-£181,581"
    assert format_pounds("1234.5", 2) == "£1,234.50"
    assert format_pounds(Decimal("2.5")) == "£2" and format_pounds(Decimal("3.5")) == "£4"
    assert format_pounds(-0.4) == "£0"  # no minus sign on nothing
    assert format_pounds(413170.2) == "£413,170"  # a simulated float, by its shortest decimal
