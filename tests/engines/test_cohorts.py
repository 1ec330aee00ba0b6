"""Cohorts: before and after, and a matched comparison that recovers a known effect."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import Invoke
from totalplace.engines.outcomes.cohorts import (
    People,
    before_after,
    cohort_report,
    matched_comparison,
    read_people,
)
from totalplace.errors import InvalidInputError


def _people(seed: int = 1, effect: float = -1.0) -> People:
    """Referred people are older and had more prior arrests; the programme takes ``effect`` arrests off."""
    rng = np.random.default_rng(seed)
    n_cohort, n_pool = 200, 2000
    age = np.r_[rng.normal(35, 5, n_cohort), rng.normal(30, 8, n_pool)]
    prior = np.r_[rng.poisson(4, n_cohort), rng.poisson(2, n_pool)].astype(float)
    referred = np.r_[np.ones(n_cohort, bool), np.zeros(n_pool, bool)]
    before = prior + rng.poisson(1, n_cohort + n_pool)
    trend = 0.8 * before  # everyone with many arrests tends to have fewer next year (regression to the mean)
    after = np.maximum(0, trend + np.where(referred, effect, 0.0) + rng.normal(0, 0.5, n_cohort + n_pool))
    return People(referred, {"age": age, "prior_arrests": prior}, before, np.round(after))


def test_before_and_after_with_a_rate_ratio() -> None:
    result = before_after(np.array([10.0, 20.0, 70.0]), np.array([5.0, 15.0, 70.0]))
    assert result.change_percent == -10.0 and result.rate_ratio == 0.9
    assert result.lower is not None and result.upper is not None and result.lower < 0.9 < result.upper


def test_matching_balances_covariates_and_recovers_the_effect() -> None:
    result = matched_comparison(_people())
    before = {b.covariate: b for b in result.balance}
    assert abs(before["prior_arrests"].smd_before_matching) > 0.5
    assert result.balanced and all(abs(b.smd_after_matching) < 0.1 for b in result.balance)
    assert result.lower < -1.0 < result.upper and result.pairs == 200
    naive = before_after(_people().before[:200], _people().after[:200])
    assert naive.change_percent is not None
    assert naive.change_percent < -30, "before/after alone overstates the effect: regression to the mean"


def test_the_interval_allows_for_people_matched_more_than_once() -> None:
    """With few others to match against, each stands in for several referred people; the Abadie-Imbens
    interval still covers the true effect about 95% of the time, where treating the pairs as independent
    would not (about 40% here: one person can stand in for thirty)."""
    covered = 0
    reps = 200
    for seed in range(reps):
        rng = np.random.default_rng(seed)
        n_cohort, n_pool = 150, 60
        prior = rng.integers(0, 5, n_cohort + n_pool).astype(float)
        referred = np.r_[np.ones(n_cohort, bool), np.zeros(n_pool, bool)]
        before = prior + rng.normal(0, 1, n_cohort + n_pool)
        after = before + 0.5 * prior + np.where(referred, -1.0, 0.0) + rng.normal(0, 1, n_cohort + n_pool)
        result = matched_comparison(People(referred, {"prior_arrests": prior}, before, after))
        assert result.most_reused > 5
        covered += result.lower <= -1.0 <= result.upper
    assert 0.9 <= covered / reps <= 0.99


def test_cohort_from_a_file_and_its_problems(run: Invoke, tmp_path: Path) -> None:
    people = _people(seed=3)
    lines = ["person,group,age,prior_arrests,arrests_before,arrests_after"]
    for i in range(len(people.before)):
        group = "referred" if people.referred[i] else "other"
        lines.append(
            f"p{i},{group},{people.covariates['age'][i]:.1f},{people.covariates['prior_arrests'][i]:.0f},"
            f"{people.before[i]:.0f},{people.after[i]:.0f}"
        )
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("init", str(tmp_path / "place"), "--name", "Testshire").exit_code == 0
    result = run(
        "outcomes", "cohort", str(path), "--outcome", "arrests", "--covariates", "age,prior_arrests", "--json"
    )
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.stdout)["cohorts"][0]
    assert report["referred"] == 200 and report["matched"]["pairs"] == 200
    assert all(
        abs(b["smd_after_matching"]) < abs(b["smd_before_matching"]) / 5 for b in report["matched"]["balance"]
    )
    missing = run("outcomes", "cohort", str(path), "--outcome", "occurrences", "--json")
    assert missing.exit_code == 1 and "occurrences_before" in json.loads(missing.stdout)["error"]["message"]
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    rows[4][2] = "old"
    with pytest.raises(InvalidInputError, match="row 6, column age"):
        read_people(
            header,
            rows,
            group="group",
            referred_value="referred",
            outcome="arrests",
            covariates=["age"],
            file="c.csv",
        )
    assert cohort_report(people, "arrests").before_after.people == 200
