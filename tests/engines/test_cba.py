"""Cost-benefit analysis: the Green Book schedule, hand-worked cases, bad models, and the properties that make
the figures trustworthy (benefits by agency add up; settlements cover the cost and leave nobody worse off;
simulation is reproducible; the float path agrees with the exact one)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from totalplace.engines.cba.appraise import Appraisal, appraise
from totalplace.engines.cba.model import load_model
from totalplace.engines.cba.parameters import discount_factors
from totalplace.engines.cba.share import share
from totalplace.engines.cba.simulate import central, decimal_npv, evaluate, simulate
from totalplace.engines.cba.unit_costs import load_library
from totalplace.errors import CbaError, CbaModelInvalidError

CASES = sorted((Path(__file__).parent / "cba_cases").glob("*.yaml"))


def _appraise(text: str, file: str = "model.yaml") -> Appraisal:
    return appraise(load_model(text, file), load_library(None), {}, file)


@pytest.mark.parametrize(
    ("year", "schedule", "expected"),
    [
        (10, "standard", "0.70892"),
        (30, "standard", "0.35628"),
        (31, "standard", "0.34590"),
        (75, "standard", "0.09421"),
        (30, "health", "0.63976"),
        (0, "standard", "1.00000"),
    ],
)
def test_green_book_discount_factors(year: int, schedule: str, expected: str) -> None:
    assert discount_factors(year + 1, schedule)[year].quantize(Decimal("0.00001")) == Decimal(expected)


def test_there_are_at_least_fifteen_cases() -> None:
    assert len(CASES) >= 15


def _find(result: dict[str, Any], path: str) -> Any:
    section, _, rest = path.partition(".")
    if section == "totals":
        return result["totals"][rest]
    key = {"by_agency": "agency", "by_year": "year", "waterfall": "stage", "outcomes": "name"}[section]
    for row in result[section]:
        label = str(row[key])
        if rest.startswith(label + ".") or rest == label:
            return row[rest[len(label) + 1 :]] if rest != label else row["value"]
    raise KeyError(path)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    """Each case's model gives the figures worked by hand in its comments, to the penny."""
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = _appraise(yaml.safe_dump(case["model"]), path.name).to_dict()
    for where, expected in case["expect"].items():
        got = _find(result, where)
        assert str(got) == str(expected), f"{path.stem} {where}: {got} != {expected}"
    totals = result["totals"]
    assert sum(Decimal(a["fiscal_benefits"]) for a in result["by_agency"]) == pytest.approx(
        Decimal(totals["fiscal_benefits"]), abs=Decimal("0.02")
    )
    assert Decimal(result["waterfall"][-1]["value"]) == Decimal(totals["benefits"])


BASE = (CASES[0].parent / "08_multi_agency_split.yaml").read_text(encoding="utf-8")


def _model_with(change: dict[str, Any]) -> str:
    document = yaml.safe_load(BASE)["model"]
    for dotted, value in change.items():
        target = document
        parts = dotted.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        target[parts[-1]] = value
    return yaml.safe_dump(document, sort_keys=False)


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"outcomes.0.success": -0.1}, "outcomes.0.success", "between 0 and 1"),
        ({"outcomes.0.deadweight": 1.5}, "outcomes.0.deadweight", "between 0 and 1"),
        ({"engagement": {"value": 0.5, "low": 0.6}}, "engagement", "hold the value"),
        ({"outcomes.0.unit_cost": "NOPE"}, "outcomes.0.unit_cost", "no unit cost with this code"),
        ({"years": 3, "cohort": {"2025-26": 10, "2027-28": 10}}, "", "missing year 2026-27"),
        ({"start_year": "2025/26"}, "start_year", "financial year"),
        ({"outcomes.0.cashability": "step"}, "outcomes.0", "step_cost"),
        ({"costs.0.amounts": {"2025-26": "-5"}}, "costs.0.amounts", "cannot be negative"),
        ({"costs.0.kind": "loan"}, "costs.0.kind", "capital"),
    ],
)
def test_bad_models_are_refused_naming_the_field(change: dict[str, Any], field: str, says: str) -> None:
    with pytest.raises(CbaModelInvalidError) as refused:
        _appraise(_model_with(change), "bad.yaml")
    problems = refused.value.problems
    assert any(p.column.startswith(field) and says in p.message for p in problems), [
        (p.column, p.message) for p in problems
    ]
    assert all(p.code == "TP800" and p.file == "bad.yaml" for p in problems)


def test_a_located_line_for_a_bad_rate() -> None:
    text = BASE.split("expect:")[0].replace("model:\n", "").replace("\n  ", "\n")
    text = text.replace("success: 0.1", "success: 1.2")
    with pytest.raises(CbaModelInvalidError) as refused:
        _appraise(text.strip() + "\n", "located.yaml")
    (problem,) = refused.value.problems
    assert (
        problem.row
        == text.strip()
        .splitlines()
        .index(next(line for line in text.strip().splitlines() if "success: 1.2" in line))
        + 1
    )


_RATES = st.decimals(min_value=0, max_value=1, places=2)
_MONEY = st.integers(min_value=0, max_value=5000).map(lambda n: str(n))


@settings(deadline=None, max_examples=40)
@given(
    success=_RATES,
    deadweight=_RATES,
    split=st.tuples(_MONEY, _MONEY, _MONEY),
    costs=st.tuples(st.integers(1, 50_000), st.integers(0, 50_000)),
    method=st.sampled_from(["proportional", "shapley"]),
)
def test_agencies_add_up_and_settlements_leave_nobody_worse_off(
    success: Decimal, deadweight: Decimal, split: tuple[str, str, str], costs: tuple[int, int], method: str
) -> None:
    text = _model_with(
        {
            "outcomes.0.success": str(success),
            "outcomes.0.deadweight": str(deadweight),
            "unit_costs.0.fiscal": {"NHS": split[0], "Police": split[1], "Council": split[2]},
            "costs": [
                {"partner": "Council", "kind": "revenue", "amounts": {"2025-26": str(costs[0])}},
                {"partner": "VCS", "kind": "in_kind", "amounts": {"2025-26": str(costs[1])}},
            ],
        }
    )
    appraisal = _appraise(text)
    result = appraisal.to_dict()
    fiscal = sum(Decimal(a["fiscal_benefits"]) for a in result["by_agency"])
    assert abs(fiscal - Decimal(result["totals"]["fiscal_benefits"])) <= Decimal("0.01") * len(
        result["by_agency"]
    )
    if Decimal(result["totals"]["fiscal_benefits"]) == 0:
        with pytest.raises(CbaError):
            share(appraisal, method)  # type: ignore[arg-type]
        return
    proposal = share(appraisal, method).to_dict()  # type: ignore[arg-type]
    paid = sum(Decimal(p["proposed"]) for p in proposal["partners"])
    assert paid == Decimal(proposal["costs"])
    if proposal["covered"]:
        assert all(Decimal(p["npv_after"]) >= 0 for p in proposal["partners"]), proposal
        assert all(Decimal(p["proposed"]) >= 0 for p in proposal["partners"])


def test_shapley_and_proportional_differ_where_one_partner_could_go_alone() -> None:
    """NHS gains 6,000 and could fund the 3,000 alone; Police 3,000, Council 1,000 could not. Shapley gives
    the NHS more of the surplus than its benefit share would."""
    appraisal = _appraise(_model_with({}))
    shapley = {p["partner"]: p for p in share(appraisal, "shapley").to_dict()["partners"]}
    proportional = {p["partner"]: p for p in share(appraisal, "proportional").to_dict()["partners"]}
    assert proportional["NHS"]["proposed"] == "1800.00"  # 3,000 x 6,000 / 10,000
    # v(NHS)=3000, v(Police)=0, v(Council)=0, v(NHS,Police)=6000, v(NHS,Council)=4000, v(Police,Council)=1000,
    # v(all)=7000; NHS's Shapley value = 1/3*3000 + 1/6*(6000-0) + 1/6*(4000-0) + 1/3*(7000-1000) = 4666.67
    assert shapley["NHS"]["npv_after"] == "4666.66" or shapley["NHS"]["npv_after"] == "4666.67"
    assert sum(Decimal(p["proposed"]) for p in shapley.values()) == Decimal("3000.00")


def test_simulation_is_reproducible_and_agrees_with_the_exact_run() -> None:
    text = _model_with(
        {
            "outcomes.0.success": {"value": 0.1, "low": 0.05, "high": 0.2},
            "outcomes.0.deadweight": {"value": 0.2, "low": 0.1, "high": 0.4, "distribution": "uniform"},
            "engagement": {"value": 0.8, "low": 0.6, "high": 0.9},
        }
    )
    model = load_model(text, "sim.yaml")
    appraisal = appraise(model, load_library(None), {}, "sim.yaml")
    first = simulate(model, appraisal.prepared, 2_000, seed=7).to_dict()
    again = simulate(model, appraisal.prepared, 2_000, seed=7).to_dict()
    other = simulate(model, appraisal.prepared, 2_000, seed=8).to_dict()
    assert first == again and first["npv"] != other["npv"]
    exact = decimal_npv(appraisal.prepared, model)
    fast = evaluate(appraisal.prepared.as_float(), central(model)).npv[0]
    assert abs(float(exact) - fast) < 1e-6
    assert Decimal(appraisal.to_dict()["totals"]["npv"]) == exact.quantize(Decimal("0.01"))
    assert first["npv"]["p5"] < first["npv"]["p50"] < first["npv"]["p95"]
    assert 0 <= first["p_bcr_above_one"] <= 1
    switching = {s["input"]: s for s in first["switching_values"]}
    # NPV falls to nil when success falls far enough; check the value found really is where NPV is nil
    at = switching["o: success"]["switching_value"]
    moved = load_model(
        _model_with({"outcomes.0.success": at, "engagement": 0.8, "outcomes.0.deadweight": 0.2}), "s"
    )
    assert abs(float(decimal_npv(appraise(moved, load_library(None), {}, "s").prepared, moved))) < 0.01
    assert next(r["input"] for r in first["tornado"]) == "o: success"


def test_a_models_own_unit_cost_without_its_price_year_is_refused() -> None:
    document = yaml.safe_load(BASE)["model"]
    del document["unit_costs"][0]["price_year"]
    with pytest.raises(CbaModelInvalidError) as refused:
        _appraise(yaml.safe_dump(document), "own.yaml")
    assert "price_year" in refused.value.problems[0].message


@pytest.mark.parametrize("path", CASES[:4], ids=[p.stem for p in CASES[:4]])
def test_the_typed_results_are_what_the_json_says(path: Path) -> None:
    """The result's fields are the figures its JSON shows, as Decimal to the penny, and cannot be changed."""
    import dataclasses

    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    appraisal = _appraise(yaml.safe_dump(case["model"]), path.name)
    result, shown = appraisal.result, appraisal.to_dict()
    assert result.to_dict() == shown and list(shown) == [
        "name",
        "title",
        "illustrative",
        "price_year",
        "years",
        "totals",
        "by_agency",
        "by_year",
        "waterfall",
        "outcomes",
        "warnings",
    ]
    assert str(result.totals.npv) == shown["totals"][
        "npv"
    ] and result.totals.npv == result.totals.npv.quantize(Decimal("0.01"))
    assert [a.agency for a in result.by_agency] == [a["agency"] for a in shown["by_agency"]]
    assert result.waterfall[-1].value == result.totals.benefits
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.totals.npv = Decimal(0)  # type: ignore[misc]
    proposal = share(appraisal, "proportional")
    assert sum((p.proposed for p in proposal.partners), Decimal(0)) == proposal.costs
