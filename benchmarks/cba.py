"""Benchmark of cost-benefit simulation, in one run.

A model of --outcomes outcomes (default 50) over --years years (default 10), with ranges on engagement,
every success rate, deadweight and unit value, and a unit cost split across four agencies, is simulated for
--draws draws (default 10,000) by ``totalplace`` (the vectorised engine) and by a plain-Python loop doing the
same arithmetic draw by draw on the same draws (what a careful analyst would otherwise write, or a
spreadsheet's data table does). Reports both times, their ratio, that the two give the same NPVs, and the
whole ``cba simulate`` (draws, percentiles by agency, switching values for every input, the tornado).

    python benchmarks/cba.py [--draws 10000] [--outcomes 50] [--years 10]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import yaml

from totalplace.engines.cba.appraise import appraise
from totalplace.engines.cba.engine import Prepared
from totalplace.engines.cba.model import Intervention, load_model
from totalplace.engines.cba.simulate import Inputs, draw_inputs, evaluate, simulate
from totalplace.engines.cba.unit_costs import load_library

AGENCIES = ("NHS", "Police", "Council", "DWP")


def model_text(outcomes: int, years: int) -> str:
    """A model with ``outcomes`` outcomes over ``years`` years, every input uncertain."""
    rng = np.random.default_rng(11)
    start = 2025
    labels = [f"{start + t}-{(start + t + 1) % 100:02d}" for t in range(years)]
    units, rows = [], []
    for i in range(outcomes):
        split = rng.dirichlet(np.ones(len(AGENCIES))) * rng.integers(500, 20_000)
        units.append(
            {
                "code": f"B{i:03d}",
                "description": f"outcome {i}",
                "unit": "case",
                "fiscal": {a: f"{v:.2f}" for a, v in zip(AGENCIES, split, strict=True)},
                "economic": f"{rng.integers(0, 3000)}",
                "social": f"{rng.integers(0, 3000)}",
                "price_year": "2025-26",
                "grade": int(rng.integers(1, 7)),
                "source": "benchmark",
                "illustrative": True,
            }
        )
        success = float(rng.uniform(0.02, 0.3))
        rows.append(
            {
                "name": f"o{i}",
                "unit_cost": f"B{i:03d}",
                "success": {
                    "value": round(success, 4),
                    "low": round(success * 0.5, 4),
                    "high": round(success * 1.4, 4),
                },
                "deadweight": {"value": 0.2, "low": 0.1, "high": 0.4},
                "attribution": 0.8,
                "profile": [1, 0.8, 0.6, 0.4, 0.2],
                "cashability": ["cashable", "cost_avoidance", "step"][i % 3],
                **({"step_cost": "25000"} if i % 3 == 2 else {}),
                "health": i % 4 == 0,
                "value_scale": {"value": 1, "low": 0.8, "high": 1.25},
            }
        )
    document = {
        "name": "benchmark",
        "title": "Benchmark",
        "start_year": labels[0],
        "years": years,
        "price_year": "2025-26",
        "cohort": dict.fromkeys(labels, 500),
        "engagement": {"value": 0.7, "low": 0.5, "high": 0.85},
        "costs": [
            {"partner": a, "kind": "revenue", "amounts": dict.fromkeys(labels, "150000")} for a in AGENCIES
        ],
        "outcomes": rows,
        "unit_costs": units,
    }
    return yaml.safe_dump(document, sort_keys=False)


def plain_python(p: Prepared, inputs: Inputs) -> list[float]:
    """The same appraisal, one draw at a time, in plain Python loops over floats."""
    f = p.as_float()
    cohort = f.cohort.tolist()
    profile = f.profile.tolist()
    fiscal = f.fiscal.tolist()
    economic, social = f.economic.tolist(), f.social.tolist()
    attribution, optimism = f.attribution.tolist(), f.optimism.tolist()
    step = f.step_cost.tolist()
    kinds = p.kind.tolist()
    health = p.health.tolist()
    standard, healthy = f.discount_standard.tolist(), f.discount_health.tolist()
    costs = sum(
        (f.cash_costs[i, t] + f.in_kind_costs[i, t]) * standard[t]
        for i in range(len(p.partners))
        for t in range(len(cohort))
    )
    years = len(cohort)
    out = []
    for d in range(len(inputs.engagement)):
        engagement = float(inputs.engagement[d])
        total = 0.0
        for o in range(len(profile)):
            success = float(inputs.success[d, o])
            keep = (1 - float(inputs.deadweight[d, o])) * attribution[o] * (1 - optimism[o])
            scale = float(inputs.scale[d, o])
            discount = healthy if health[o] else standard
            for t in range(years):
                volume = 0.0
                for lag in range(t + 1):
                    volume += cohort[t - lag] * engagement * success * profile[o][lag]
                net = volume * keep
                value = 0.0
                for amount in fiscal[o]:
                    v = net * amount * scale
                    if kinds[o] == "step":
                        v = (v // step[o]) * step[o] + (v - (v // step[o]) * step[o])  # cash + capacity
                    value += v
                value += net * (economic[o] + social[o]) * scale
                total += value * discount[t]
        out.append(total - costs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--outcomes", type=int, default=50)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    model: Intervention = load_model(model_text(args.outcomes, args.years), "benchmark.yaml")
    prepared = appraise(model, load_library(None), {}, "benchmark.yaml").prepared
    inputs = draw_inputs(model, args.draws, seed=1)
    started = time.perf_counter()
    ours = evaluate(prepared.as_float(), inputs).npv
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    whole = simulate(model, prepared, args.draws, seed=1)
    whole_seconds = time.perf_counter() - started
    started = time.perf_counter()
    theirs = np.array(plain_python(prepared, inputs))
    loop_seconds = time.perf_counter() - started
    figures: dict[str, Any] = {
        "benchmark": "cba",
        "draws": args.draws,
        "outcomes": args.outcomes,
        "years": args.years,
        "agencies": len(AGENCIES),
        "totalplace_seconds": round(ours_seconds, 3),
        "plain_python_seconds": round(loop_seconds, 2),
        "simulate_command_seconds": round(whole_seconds, 2),
        "switching_values": len(whole.switching_values),
        "speedup": round(loop_seconds / ours_seconds, 1),
        "same_npv": bool(np.allclose(ours, theirs, rtol=1e-9, atol=1e-4)),
        "median_npv": round(float(np.median(ours)), 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
