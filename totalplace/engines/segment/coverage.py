"""How much of its specification a classification rests on: the share of variables it uses, and the refusal
of one built or assigned on less than the cited minimum (``parameters/segmentation/coverage.yaml``) unless a
partial classification is asked for."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from totalplace.errors import PartialVariablesError
from totalplace.parameters import load_parameter
from totalplace.store.segments import SegmentationRow

COVERAGE_PARAMETER = "segmentation/coverage.yaml"


@cache
def minimum_share() -> float:
    """The cited least share of its variables a classification may use unless a partial one is asked for."""
    return float(load_parameter(COVERAGE_PARAMETER).body["minimum_share"])


@dataclass(frozen=True, slots=True)
class VariableShare:
    """``used`` of ``of`` variables, against the minimum share a full classification needs."""

    used: int
    of: int
    minimum: float

    @property
    def share(self) -> float:
        """The share used (0 when the classification has no variables at all)."""
        return self.used / self.of if self.of else 0.0

    @property
    def partial(self) -> bool:
        """True when the share is below the minimum (kept only because a partial one was asked for)."""
        return self.share < self.minimum

    def sentence(self) -> str:
        """For a person: "50 of 60 variables (83%), below the 90% a full classification uses"."""
        said = f"{self.used} of {self.of} variables ({self.share:.0%})"
        return f"{said}, below the {self.minimum:.0%} a full classification uses" if self.partial else said

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "used": self.used,
            "of": self.of,
            "share": round(self.share, 4),
            "minimum": self.minimum,
            "partial": self.partial,
        }


def share_of_variables(used: int, of: int) -> VariableShare:
    """``used`` of ``of`` variables against the cited minimum."""
    return VariableShare(used, of, minimum_share())


def require_share(share: VariableShare, *, allow_partial: bool, what: str) -> None:
    """Refuse (TP703) a classification below the minimum share unless a partial one was asked for."""
    if share.partial and not allow_partial:
        raise PartialVariablesError(
            f"the {what} would use only {share.sentence()}",
            hint="import the census tables that give the missing variables (census variables lists them), "
            "or ask for a partial classification explicitly",
        )


def stored_share(seg: SegmentationRow) -> VariableShare:
    """A kept segmentation's share: of its specification's variables (built), or the centroids' (assigned)."""
    used = len(seg.variables)
    if seg.method == "assign" and seg.detail.variables_missing is not None:
        return share_of_variables(used, used + len(seg.detail.variables_missing))
    return share_of_variables(used, seg.detail.variables.of_total)
