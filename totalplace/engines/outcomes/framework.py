"""The shared outcomes framework: outcomes, their indicators, and what each indicator is.

Written as YAML a partnership can read::

    name: lowestoft-rising
    title: Lowestoft Rising
    baseline_period: "2013/14"
    outcomes:
      - name: healthier
        title: Healthier lives
        indicators:
          - id: "93356"
            title: Campylobacter incidence
            source: Public Health
            polarity: low_is_good          # high_is_good | low_is_good | no_judgement
            value_type: crude_rate         # proportion | crude_rate | dsr | isr | count | mean
            multiplier: 100000
            ci_method: Byar's method       # as Fingertips' metadata names it; default: by value type
            tolerance: {lower: 40, upper: 80}   # or target: 50
            owner: Director of Public Health
            partner: Northbridge NHS           # whose data counts into it; none: the whole place's
            definition: Laboratory reports of Campylobacter per 100,000 residents

An indicator not in the framework is still shown, with what its observations imply (a count over a
denominator times 1 or 100 is a proportion, otherwise a crude rate) and no judgement of better or worse.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Connection

from totalplace.datasets.safe_yaml import decode, load_yaml
from totalplace.engines.outcomes import stats
from totalplace.errors import InvalidInputError
from totalplace.store import outcomes as store

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal

ValueType = Literal["proportion", "crude_rate", "dsr", "isr", "count", "mean"]


class Tolerance(BaseModel):
    """The band an indicator is expected to stay within; leaving it calls for an exception letter."""

    model_config = ConfigDict(extra="forbid")

    lower: float | None = None
    upper: float | None = None


class Indicator(BaseModel):
    """One indicator and its metadata."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    source: str | None = None
    polarity: Literal["high_is_good", "low_is_good", "no_judgement"] = "no_judgement"
    value_type: ValueType = "crude_rate"
    multiplier: float = 100_000
    baseline_period: str | None = None
    target: float | None = None
    tolerance: Tolerance | None = None
    owner: str | None = None
    # The partner whose data counts into the indicator (observations, aggregated records): only its roles,
    # and place-wide ones, may count a file into it (indicator.count). None: the whole place's indicator.
    partner: str | None = Field(default=None, min_length=1, max_length=200, pattern=r"\S")
    definition: str | None = None
    ci_method: str | None = None

    @field_validator("ci_method")
    @classmethod
    def _known_method(cls, name: str | None) -> str | None:
        """The confidence-interval method under the name Fingertips' metadata gives it, whatever its case."""
        return None if name is None else stats.interval_method(name).name

    @model_validator(mode="after")
    def _method_fits(self) -> Indicator:
        method = self.interval_method()
        if self.value_type not in method.value_types:
            raise ValueError(
                f"{method.name} is not a method for a {self.value_type} "
                f"(it is for {', '.join(method.value_types)})"
            )
        return self

    def interval_method(self) -> stats.IntervalMethod:
        """The method the indicator names, else the one the profiles' methods give its value type."""
        if self.ci_method is None:
            return stats.default_interval_method(self.value_type)
        return stats.interval_method(self.ci_method)


class Outcome(BaseModel):
    """An outcome the partners hold themselves to, and its indicators."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_-]{1,60}$")
    title: str
    indicators: list[Indicator] = Field(min_length=1)


class Framework(BaseModel):
    """The outcomes framework."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_-]{1,60}$")
    title: str
    baseline_period: str | None = None
    outcomes: list[Outcome] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Framework:
        ids = [i.id for o in self.outcomes for i in o.indicators]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"indicators appear twice: {', '.join(repeated)}")
        return self

    def indicators(self) -> dict[str, tuple[Outcome, Indicator]]:
        """Each indicator by id, with its outcome."""
        return {i.id: (o, i) for o in self.outcomes for i in o.indicators}


def parse_framework(text: str | bytes, file: str = "framework.yaml") -> Framework:
    """A framework from YAML text, or a coded error naming the field."""
    try:
        return Framework.model_validate(load_yaml(text, file).data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInputError(
            f"{file}: {where + ': ' if where else ''}{first['msg']}",
            hint=f"{exc.error_count()} problem(s); see docs/outcomes.md for the framework format",
        ) from None


def save_framework(
    conn: Connection,
    source: str | bytes,
    *,
    principal: Principal,
    reason: str = "",
    restored_from: int | None = None,
) -> Framework:
    """Store a new version of the framework (the latest version is the one in force), if ``principal`` may
    change the outcomes framework (``framework.change``)."""
    principal.require_any("framework.change")  # refuse before reading what cannot be kept
    text = decode(source, "framework.yaml")
    framework = parse_framework(text)
    store.add_framework(
        conn,
        name=framework.name,
        text=text,
        indicators=len(framework.indicators()),
        principal=principal,
        reason=reason,
        restored_from=restored_from,
    )
    return framework


def current_framework(conn: Connection) -> Framework | None:
    """The framework in force, if any."""
    text = store.latest_framework_yaml(conn)
    return None if text is None else parse_framework(text)


def current_framework_yaml(conn: Connection) -> str:
    """The YAML of the framework in force as it was written ("" when there is none), for editing."""
    return store.latest_framework_yaml(conn) or ""


def framework_json(framework: Framework | None) -> str:
    """The framework as JSON text (for twins and the audit)."""
    return json.dumps(None if framework is None else framework.model_dump(mode="json"))
