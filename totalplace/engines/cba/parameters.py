"""The cited parameters of appraisal: Green Book discounting, optimism bias by grade, deadweight conventions.

Read from ``parameters/cba/*.yaml``; values a reader could not confirm carry ``verified: false`` there and
are reported as such with every result that uses them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from totalplace.parameters import load_parameter


@dataclass(frozen=True)
class Band:
    """A discount rate and the last year it applies to (None: every year after)."""

    to_year: int | None
    rate: Decimal
    verified: bool


def _bands(rows: list[dict[str, Any]]) -> tuple[Band, ...]:
    return tuple(
        Band(
            None if r["to_year"] is None else int(r["to_year"]),
            Decimal(str(r["rate"])),
            bool(r.get("verified", True)),
        )
        for r in rows
    )


@functools.cache
def discount_schedules() -> dict[str, tuple[Band, ...]]:
    """``standard`` and ``health`` bands of the Green Book discount schedule."""
    body = load_parameter("cba/green_book_discount.yaml").body
    return {"standard": _bands(body["standard"]), "health": _bands(body["health"])}


def rate_in_year(year: int, schedule: str = "standard") -> Band:
    """The band that discounts the step into ``year`` (years 1..30 at the first rate, and so on).

    >>> rate_in_year(30).rate, rate_in_year(31).rate, rate_in_year(1, "health").rate
    (Decimal('0.035'), Decimal('0.030'), Decimal('0.015'))
    """
    for band in discount_schedules()[schedule]:
        if band.to_year is None or year <= band.to_year:
            return band
    raise AssertionError("the last band has no end")  # the parameter file always ends open


def discount_factors(years: int, schedule: str = "standard") -> list[Decimal]:
    """Factors for years 0..years-1: year 0 is 1; each later year divides by 1 + that year's rate.

    The Green Book's 3.5% for years 1 to 30, then 3.0%; 1.5% (then 1.286%) for health effects:

    >>> [round(f, 4) for f in discount_factors(4)]
    [Decimal('1.0000'), Decimal('0.9662'), Decimal('0.9335'), Decimal('0.9019')]
    >>> [round(f, 4) for f in discount_factors(3, "health")]
    [Decimal('1.0000'), Decimal('0.9852'), Decimal('0.9707')]
    >>> factors = discount_factors(32)
    >>> round(factors[30], 4), round(factors[31], 4), round(factors[30] / factors[31], 3)
    (Decimal('0.3563'), Decimal('0.3459'), Decimal('1.030'))
    """
    factors = [Decimal(1)]
    for year in range(1, years):
        factors.append(factors[-1] / (1 + rate_in_year(year, schedule).rate))
    return factors[:years]


@dataclass(frozen=True)
class Grade:
    """An optimism-bias correction for a confidence grade."""

    grade: int
    correction: Decimal
    meaning: str
    verified: bool


@functools.cache
def optimism_bias() -> dict[int, Grade]:
    """Confidence grade (1-6) -> its correction."""
    body = load_parameter("cba/optimism_bias.yaml").body
    return {
        int(g): Grade(int(g), Decimal(str(v["correction"])), str(v["meaning"]), bool(v.get("verified", True)))
        for g, v in body["grades"].items()
    }


@functools.cache
def deadweight_conventions() -> tuple[str, dict[str, tuple[Decimal, bool]]]:
    """The default convention's name, and each convention's deadweight and whether it is verified."""
    body = load_parameter("cba/deadweight.yaml").body
    return str(body["default"]), {
        str(k): (Decimal(str(v["deadweight"])), bool(v.get("verified", True)))
        for k, v in body["conventions"].items()
    }
