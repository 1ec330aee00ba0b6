"""The cited distances of the estate screens (``parameters/estate/distances.yaml``), read once and checked.

Access bands, and the co-location and rationalisation screens' distances, in straight-line metres. Values a
reader could not confirm against their source carry ``verified: false`` there.
"""

from __future__ import annotations

import functools

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from totalplace.errors import ConfigurationError
from totalplace.parameters import load_parameter

PARAMETER = "estate/distances.yaml"


class _Cited(BaseModel):
    """One value with what it means and whether it was checked against the source."""

    model_config = ConfigDict(extra="forbid")

    meaning: str
    verified: bool


class _Band(_Cited):
    metres: int = Field(gt=0)


class _Distance(_Cited):
    value: float = Field(gt=0)


class _Share(_Cited):
    value: float = Field(ge=0, le=1)


class _Colocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    within_m: _Distance
    catchment_m: _Distance
    min_overlap: _Share


class _Rationalisation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_standard_m: _Distance


class EstateDistances(BaseModel):
    """The estate parameters: access bands (rising metres) and the two screens' distances."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    access_bands: list[_Band] = Field(min_length=1)
    colocation: _Colocation
    rationalisation: _Rationalisation

    @field_validator("access_bands")
    @classmethod
    def _rising(cls, bands: list[_Band]) -> list[_Band]:
        metres = [b.metres for b in bands]
        if metres != sorted(set(metres)):
            raise ValueError("access bands must rise, each further than the one before")
        return bands

    @property
    def bands(self) -> tuple[int, ...]:
        """The access bands in metres, nearest first."""
        return tuple(b.metres for b in self.access_bands)


@functools.cache
def estate_distances() -> EstateDistances:
    """The packaged, cited estate distances (a refused file is a configuration error naming the field)."""
    body = load_parameter(PARAMETER).body
    try:
        return EstateDistances.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigurationError(
            f"{PARAMETER}: {where + ': ' if where else ''}{first['msg']}",
            hint="every estate distance is a positive number of metres; the overlap a fraction from 0 to 1",
        ) from None
