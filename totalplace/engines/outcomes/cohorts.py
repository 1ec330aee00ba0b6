"""Cohorts: an outcome for the people referred to a programme before and after referral, and against a
matched comparison group.

The input is a table of people (pseudonymised ids): a group column saying who was referred, covariates, and
each outcome as ``<outcome>_before`` and ``<outcome>_after`` counts over equal windows (Cheshire's family
programme compared police occurrences and arrests in the year before and after referral).

- **Before and after**: the cohort's total before and after, the change as a percentage, and the rate ratio
  after/before with a log-normal interval (``sqrt(1/a + 1/b)`` on the log scale).
- **Matched comparison**: each referred person is matched to the nearest not-referred person on the stated
  covariates (standardised; nearest with replacement, so one may stand in for several), balance is shown as
  the standardised mean difference of each covariate before and after matching (below 0.1 is the usual mark of
  balance), and the effect is the difference in differences of the mean change per person, with a t interval
  from the paired differences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from totalplace.engines.outcomes.stats import z_value
from totalplace.errors import InvalidInputError

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BALANCED_SMD = 0.1


@dataclass(frozen=True)
class People:
    """The table of people: who was referred, covariates and outcome windows."""

    referred: npt.NDArray[np.bool_]
    covariates: dict[str, FloatArray]
    before: FloatArray
    after: FloatArray


@dataclass(frozen=True, slots=True)
class BeforeAfter:
    """A group's totals before and after, the change as a percentage, and the rate ratio after/before with
    its interval (None when either total is nought)."""

    people: int
    before: float
    after: float
    change_percent: float | None = None
    rate_ratio: float | None = None
    lower: float | None = None
    upper: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (without the number of people when there is no ratio, as it has always been)."""
        head: dict[str, Any] = {} if self.rate_ratio is None else {"people": self.people}
        return {
            **head,
            "before": self.before,
            "after": self.after,
            "change_percent": self.change_percent,
            "rate_ratio": self.rate_ratio,
            "lower": self.lower,
            "upper": self.upper,
        }


def before_after(before: FloatArray, after: FloatArray, confidence: float = 0.95) -> BeforeAfter:
    """The cohort's totals before and after, the change, and the rate ratio with its interval."""
    a, b = float(before.sum()), float(after.sum())
    if a <= 0 or b <= 0:
        return BeforeAfter(len(before), a, b)
    ratio = b / a
    spread = z_value(confidence) * np.sqrt(1 / a + 1 / b)
    return BeforeAfter(
        len(before),
        a,
        b,
        round(100 * (ratio - 1), 2),
        round(ratio, 4),
        round(float(ratio * np.exp(-spread)), 4),
        round(float(ratio * np.exp(spread)), 4),
    )


def _smd(a: FloatArray, b: FloatArray) -> float:
    spread = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) if len(a) > 1 and len(b) > 1 else 0.0
    return 0.0 if spread == 0 else float((a.mean() - b.mean()) / spread)


@dataclass(frozen=True, slots=True)
class Balance:
    """A covariate's standardised mean difference between the referred and the others, before and after
    matching (below 0.1 is the usual mark of balance)."""

    covariate: str
    smd_before_matching: float
    smd_after_matching: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "covariate": self.covariate,
            "smd_before_matching": self.smd_before_matching,
            "smd_after_matching": self.smd_after_matching,
        }


@dataclass(frozen=True, slots=True)
class MatchedComparison:
    """The referred against their nearest others: the matches, balance, and the difference in differences
    of the mean change per person with its interval."""

    pairs: int
    distinct_comparisons: int
    most_reused: int
    balance: list[Balance]
    cohort_change_per_person: float
    comparison_change_per_person: float
    difference_in_differences: float
    lower: float
    upper: float
    comparison: BeforeAfter

    @property
    def balanced(self) -> bool:
        """Whether every covariate is balanced after matching."""
        return all(abs(b.smd_after_matching) < BALANCED_SMD for b in self.balance)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "pairs": self.pairs,
            "distinct_comparisons": self.distinct_comparisons,
            "most_reused": self.most_reused,
            "balance": [b.to_dict() for b in self.balance],
            "balanced": self.balanced,
            "cohort_change_per_person": self.cohort_change_per_person,
            "comparison_change_per_person": self.comparison_change_per_person,
            "difference_in_differences": self.difference_in_differences,
            "lower": self.lower,
            "upper": self.upper,
            "comparison": self.comparison.to_dict(),
        }


def _standardised(people: People) -> tuple[list[str], FloatArray]:
    """The covariates' names and their values standardised (mean 0, standard deviation 1)."""
    names = list(people.covariates)
    if not names:
        raise InvalidInputError("name the covariates to match on", hint="e.g. --covariates age,prior_arrests")
    x = np.column_stack([people.covariates[n] for n in names])
    spread = x.std(axis=0)
    z: FloatArray = (x - x.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    return names, z


def _balance(people: People, names: list[str], groups: tuple[IntArray, IntArray, IntArray]) -> list[Balance]:
    cohort, pool, controls = groups
    return [
        Balance(
            name,
            round(_smd(people.covariates[name][cohort], people.covariates[name][pool]), 3),
            round(_smd(people.covariates[name][cohort], people.covariates[name][controls]), 3),
        )
        for name in names
    ]


def _abadie_imbens_half_width(
    z_pool: FloatArray, own: FloatArray, uses: FloatArray, differences: FloatArray, confidence: float
) -> float:
    """Half the interval of the mean difference, allowing for each comparison person's reuse: K(K - 1)
    times their outcome's conditional variance, estimated from their own nearest other comparison person."""
    from scipy.stats import norm
    from sklearn.neighbors import NearestNeighbors

    mean = float(differences.mean())
    _, pair = NearestNeighbors(n_neighbors=2).fit(z_pool).kneighbors(z_pool)
    # with tied covariates a person's nearest may be listed after their identical twin: take the other one
    itself = np.arange(len(z_pool))
    other = np.where(pair[:, 0] == itself, pair[:, 1], pair[:, 0])
    conditional_variance = 0.5 * (own - own[other]) ** 2
    variance = (np.sum((differences - mean) ** 2) + np.sum(uses * (uses - 1) * conditional_variance)) / len(
        differences
    ) ** 2
    return float(norm.ppf(0.5 + confidence / 2) * np.sqrt(variance))


def matched_comparison(people: People, confidence: float = 0.95) -> MatchedComparison:
    """Nearest-neighbour matching on the covariates, balance diagnostics, and the effect.

    The effect is the mean over referred people of their change less their match's (the effect on those
    referred). Matching is with replacement, so one person may stand in for several and the paired
    differences are not independent: the interval uses the Abadie-Imbens variance (Abadie A. and Imbens G.,
    "Large sample properties of matching estimators for average treatment effects", Econometrica 74(1), 2006;
    one match each), which adds each comparison person's reuse K(K - 1) times their outcome's conditional
    variance, estimated from their own nearest other comparison person.
    """
    cohort = np.flatnonzero(people.referred)
    pool = np.flatnonzero(~people.referred)
    if len(cohort) < 2 or len(pool) < 2:
        raise InvalidInputError(
            f"{len(cohort)} referred and {len(pool)} others: matching needs at least two referred people and "
            "two others to match them with"
        )
    from sklearn.neighbors import NearestNeighbors  # loaded on first use, as are all the heavy libraries

    names, z = _standardised(people)
    # Each referred person's nearest other, with replacement: one may stand in for several referred people,
    # which keeps the matches close where the referred sit at the edge of the population.
    _, index = NearestNeighbors(n_neighbors=1).fit(z[pool]).kneighbors(z[cohort])
    controls = pool[index[:, 0]]
    change = people.after - people.before
    differences = change[cohort] - change[controls]
    mean = float(differences.mean())
    uses = np.bincount(index[:, 0], minlength=len(pool)).astype(np.float64)
    half = _abadie_imbens_half_width(z[pool], change[pool], uses, differences, confidence)
    return MatchedComparison(
        pairs=len(cohort),
        distinct_comparisons=len(set(controls.tolist())),
        most_reused=int(uses.max()),
        balance=_balance(people, names, (cohort, pool, controls)),
        cohort_change_per_person=round(float(change[cohort].mean()), 4),
        comparison_change_per_person=round(float(change[controls].mean()), 4),
        difference_in_differences=round(mean, 4),
        lower=round(mean - half, 4),
        upper=round(mean + half, 4),
        comparison=before_after(people.before[controls], people.after[controls], confidence),
    )


def read_people(
    header: list[str],
    rows: list[list[Any]],
    *,
    group: str,
    referred_value: str,
    outcome: str,
    covariates: list[str],
    file: str,
) -> People:
    """The people table from a file's header and rows, every missing column or bad number named."""
    index = {h.strip(): i for i, h in enumerate(header)}
    needed = [group, f"{outcome}_before", f"{outcome}_after", *covariates]
    missing = [c for c in needed if c not in index]
    if missing:
        raise InvalidInputError(
            f"{file} has no column {', '.join(missing)}",
            hint=f"an outcome is read from {outcome}_before and {outcome}_after; columns: {', '.join(index)}",
        )

    def numbers(column: str) -> FloatArray:
        out = np.empty(len(rows))
        for n, row in enumerate(rows):
            try:
                out[n] = float(str(row[index[column]]).strip())
            except ValueError:
                raise InvalidInputError(
                    f"{file} row {n + 2}, column {column}: {row[index[column]]!r} is not a number"
                ) from None
        return out

    referred = np.array([str(r[index[group]]).strip() == referred_value for r in rows])
    return People(
        referred,
        {c: numbers(c) for c in covariates},
        numbers(f"{outcome}_before"),
        numbers(f"{outcome}_after"),
    )


@dataclass(frozen=True, slots=True)
class CohortReport:
    """One outcome for a cohort: before and after, and (when there were others to match) the matched
    comparison."""

    outcome: str
    referred: int
    others: int
    before_after: BeforeAfter
    matched: MatchedComparison | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``matched`` only when it was made)."""
        out: dict[str, Any] = {
            "outcome": self.outcome,
            "referred": self.referred,
            "others": self.others,
            "before_after": self.before_after.to_dict(),
        }
        if self.matched is not None:
            out["matched"] = self.matched.to_dict()
        return out


def cohort_report(people: People, outcome: str, confidence: float = 0.95) -> CohortReport:
    """Before and after for the cohort, and (when there are others to match) the matched comparison."""
    others = int((~people.referred).sum())
    return CohortReport(
        outcome,
        int(people.referred.sum()),
        others,
        before_after(people.before[people.referred], people.after[people.referred], confidence),
        matched_comparison(people, confidence) if others and people.covariates else None,
    )


def cohort_file_reports(
    data: bytes,
    name: str,
    *,
    outcomes: list[str],
    group: str,
    referred_value: str,
    covariates: list[str],
    principal: Principal,
) -> list[CohortReport]:
    """The report of each outcome from a cohort file's bytes (CSV, XLSX or zipped, read as any import is).

    Nothing is stored and nobody else's data is read: the file is the principal's own records. It is an
    analysis of what counts into outcomes, so it is for those who may count records into some indicator
    (indicator.count), asked before the file is read.
    """
    principal.require_any("indicator.count")
    from totalplace.datasets.limits import ImportLimits
    from totalplace.datasets.source import read_source

    limits = ImportLimits.from_settings()
    rows = read_source(data, name, limits).rows
    _, header = next(rows, (0, []))
    body = [cells for _, cells in rows if any(str(c).strip() for c in cells)]
    chosen = [o.strip() for o in outcomes if o.strip()]
    if not chosen:
        raise InvalidInputError(
            "name at least one outcome", hint="e.g. arrests, read from arrests_before and arrests_after"
        )
    labels = [str(h) for h in header]
    return [
        cohort_report(
            read_people(
                labels,
                body,
                group=group,
                referred_value=referred_value,
                outcome=o,
                covariates=covariates,
                file=name,
            ),
            o,
        )
        for o in chosen
    ]
