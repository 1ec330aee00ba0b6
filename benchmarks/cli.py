"""Benchmark of the command line as a person meets it: how fast it starts, and a council's year through it.

(a) Start-up: the wall and CPU time of ``totalplace --help`` and of two commands that open the store (``pool
    list --json`` and ``partner list --json`` on a small place), each the median of --runs fresh processes,
    with the modules each loads; beside them ``python -c "import pandas"``, the analyst's own start-up.
(b) Trafford Council's 2024-25 supplier spend file as published, through the command line as the README
    runs it: ``totalplace import spend FILE --partner "Trafford Council"`` then ``totalplace spend map --year
    2024-25 --json`` (two processes, start-up included), against the script a competent analyst writes in
    pandas, run as its own process (start-up included): read the ZIP, parse pence exactly and vectorised
    (split at the point, no per-row Decimal), parse the dates and keep the year, classify with the same
    keyword rules in the same order (vectorised ``str.contains``, first match wins) and pivot by theme. Both
    must give the same pence per theme, or the run fails. Each side is the median of --repeats runs.

Prints one JSON line of figures.

    python benchmarks/cli.py [--runs 7] [--repeats 3] [--data ../shared/data] [--only startup|trafford]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TRAFFORD = "la_finance/trafford-supplier-spend-2024-25.zip"
YEAR = "2024-25"
PARTNER = "Trafford Council"
#: The console script a user runs (installed beside this interpreter).
TOTALPLACE = [str(Path(sys.executable).parent / "totalplace")]
#: The file's columns under the names the rules use (the importer maps them the same way).
COLUMNS = {
    "OrganisationalUnit": "cost_centre",
    "Purpose": "description",
    "ProclassLabel": "proclass_label",
    "ProclassCode": "proclass_code",
    "BeneficiaryName": "supplier",
}


# -- the analyst's script (run in its own process; imports nothing from totalplace) ------------------------
def analyst(zip_path: str, rules_path: str, distinct: bool) -> None:
    """Read, exact pence, dates, the year, classify by the keyword rules, pivot by theme; print the pence.

    ``distinct``: test each pattern on a column's distinct values and spread the answer back by code, the
    step an analyst takes once ``str.contains`` over every line is seen to be most of the time.
    """
    started = time.perf_counter()
    import warnings

    import numpy as np
    import pandas as pd

    warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression")

    imported = time.perf_counter()
    frame = pd.read_csv(zip_path, dtype=str, keep_default_na=False)
    # Exact pence without floats or a per-row Decimal: sign, pounds and up to two decimals, as integers.
    parts = frame["Amount"].str.replace(r"[£,\s]", "", regex=True).str.extract(r"^(-?)(\d+)(?:\.(\d{1,2}))?$")
    if parts[1].isna().any():
        raise SystemExit("an amount is not money")
    pence = parts[1].astype("int64") * 100 + parts[2].fillna("0").str.ljust(2, "0").astype("int64")
    frame["pence"] = pence.where(parts[0] != "-", -pence)
    frame["date"] = pd.to_datetime(frame["PaymentDate"], format="%Y-%m-%d")
    frame = frame[(frame["date"] >= "2024-04-01") & (frame["date"] <= "2025-03-31")]
    fields = frame.rename(columns=COLUMNS)
    masks = []
    rules = json.loads(Path(rules_path).read_text("utf-8"))
    for rule in rules:
        mask = np.ones(len(fields), dtype=bool)
        for field, pattern, bounds in rule["conditions"]:
            if field not in fields:
                mask &= False
            elif bounds is not None:
                mask &= pd.to_numeric(fields[field], errors="coerce").between(*bounds).to_numpy()
            elif distinct:
                codes, values = pd.factorize(fields[field])
                mask &= pd.Series(values).str.contains(pattern, case=False, regex=True).to_numpy()[codes]
            else:
                mask &= fields[field].str.contains(pattern, case=False, regex=True).to_numpy()
        masks.append(mask)
    frame["theme"] = np.select(masks, [rule["theme"] for rule in rules], default="")
    sums = frame.pivot_table(index="theme", values="pence", aggfunc="sum")["pence"]
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "pence_by_theme": {str(k): int(v) for k, v in sums.items()},
                "rows": len(frame),
                "import_seconds": imported - started,
                "work_seconds": done - imported,
            }
        )
    )


def export_rules(path: Path) -> None:
    """The default rules, in order, as the analyst's keyword list: (field, regex, numeric bounds) per rule."""
    from totalplace.engines.spendmap import load_rules

    rules = [
        {
            "theme": rule.theme,
            "conditions": [
                (c.field, c.pattern.pattern if c.pattern else "", list(c.bounds) if c.bounds else None)
                for c in rule.conditions
            ],
        }
        for rule in load_rules().rules
    ]
    path.write_text(json.dumps(rules), "utf-8")


# -- measuring -------------------------------------------------------------------------------------------
def run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run ``command`` to completion; its wall time and standard output (a failure stops the benchmark)."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def start_up(command: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    """The median wall time, and CPU time, of ``runs`` fresh processes (the first warms the disk cache and is
    not kept). CPU time moves less than wall time when other work shares the machine."""
    run(command, env)
    walls, cpus = [], []
    for _ in range(runs):
        before = _cpu_of_children()
        walls.append(run(command, env)[0])
        cpus.append(_cpu_of_children() - before)
    return {"seconds": round(statistics.median(walls), 3), "cpu_seconds": round(statistics.median(cpus), 3)}


_MODULES = """
import sys
from totalplace.cli import cli
cli({args!r}, standalone_mode=False)
heavy = (
    "pandas", "pyarrow", "duckdb", "alembic", "altair", "vl_convert", "sklearn", "scipy", "shapely",
    "weasyprint", "sqlalchemy", "pydantic", "jinja2",
)
print(len(sys.modules), ",".join(name for name in heavy if name in sys.modules))
"""


def modules_loaded(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """How many modules a command loads, and which big libraries: figures the machine's load cannot move."""
    _, out = run([sys.executable, "-c", _MODULES.format(args=args)], env)
    count, _, heavy = out.splitlines()[-1].strip().partition(" ")
    return {"modules": int(count), "libraries": heavy.split(",") if heavy else []}


#: Commands that list or show what the store holds (tests/cli/test_startup.py checks what each loads).
STORE_COMMANDS = {
    "pool_list": ["pool", "list", "--json"],
    "partner_list": ["partner", "list", "--json"],
    "segment_list": ["segment", "list", "--json"],
    "versions_list": ["versions", "list", "--json"],
    "audit_log": ["audit", "log", "--json"],
    "outcomes_letters": ["outcomes", "letters", "--no-draft", "--json"],
    "spend_rules_list": ["spend", "rules", "list", "--json"],
    "cba_list": ["cba", "list", "--json"],
}


def startup(work: Path, env: dict[str, str], runs: int) -> dict[str, Any]:
    """(a): --help, the store commands on a small place, and the analyst's ``import pandas``.

    As a person meets it: with the package's bytecode cached (an installed package is compiled when pip
    installs it; a checkout writes it on its first run, the warm-up here). A shell with
    PYTHONDONTWRITEBYTECODE set and no bytecode written compiles every totalplace module on every start
    (about 0.4 s more), so the variable is unset for these runs.
    """
    small = {**env, "TOTALPLACE_PLACE": str(work / "small")}
    run([*TOTALPLACE, "init", str(work / "small"), "--name", "Small"], env)
    figures: dict[str, Any] = {"help": start_up([*TOTALPLACE, "--help"], env, runs)}
    for name, args in STORE_COMMANDS.items():
        figures[name] = start_up([*TOTALPLACE, *args], small, runs)
    figures["python_import_pandas"] = start_up([sys.executable, "-c", "import pandas"], env, runs)
    figures["help_loads"] = modules_loaded(["--help"], env)
    for name, args in STORE_COMMANDS.items():
        figures[f"{name}_loads"] = modules_loaded(args, small)
    figures["runs"] = runs
    return figures


def through_cli(
    trafford: Path, place: Path, env: dict[str, str]
) -> tuple[float, float, dict[str | None, int]]:
    """(b), ours: a fresh place and partner (not timed), then import and map as the README does (timed)."""
    env = {**env, "TOTALPLACE_PLACE": str(place)}
    run([*TOTALPLACE, "init", str(place), "--name", "Trafford", "--code", "E08000009"], env)
    run([*TOTALPLACE, "partner", "add", PARTNER, "--kind", "local_authority"], env)
    import_s, _ = run([*TOTALPLACE, "import", "spend", str(trafford), "--partner", PARTNER], env)
    map_s, out = run([*TOTALPLACE, "spend", "map", "--year", YEAR, "--json"], env)
    themes = {row["theme"]: int(row["pence"]) for row in json.loads(out)["by_theme"]}
    return import_s, map_s, themes


def by_pandas(trafford: Path, rules: Path, env: dict[str, str], mode: str) -> tuple[float, dict[str, Any]]:
    """(b), the analyst: the script in its own process, start-up included."""
    seconds, out = run([sys.executable, __file__, "--analyst", mode, str(trafford), str(rules)], env)
    return seconds, json.loads(out)


def _same(ours: dict[str | None, int], theirs: dict[str, int]) -> None:
    mine = {(k or None): v for k, v in ours.items() if v}
    analysts = {(k or None): v for k, v in theirs.items() if v}
    if mine != analysts:
        raise SystemExit(f"the maps disagree: ours {mine} pandas {analysts}")


def compare(trafford: Path, work: Path, env: dict[str, str], repeats: int) -> dict[str, Any]:
    """(b): each side ``repeats`` times, alternating, medians reported; the pence per theme must agree."""
    rules = work / "rules.json"
    export_rules(rules)
    times: dict[str, list[float]] = {}
    rows = 0
    for n in range(repeats):
        import_s, map_s, ours = through_cli(trafford, work / f"trafford-{n}", env)
        for name, seconds in (("cli", import_s + map_s), ("cli_import", import_s), ("cli_map", map_s)):
            times.setdefault(name, []).append(seconds)
        for mode in ("plain", "distinct"):
            seconds, theirs = by_pandas(trafford, rules, env, mode)
            _same(ours, theirs["pence_by_theme"])
            rows = theirs["rows"]
            times.setdefault(mode, []).append(seconds)
            times.setdefault(f"{mode}_work", []).append(theirs["work_seconds"])
            times.setdefault("pandas_import", []).append(theirs["import_seconds"])
    med = {name: round(statistics.median(values), 2) for name, values in times.items()}
    return {
        "rows": rows,
        "totalplace_cli_seconds": med["cli"],
        "totalplace_import_seconds": med["cli_import"],
        "totalplace_map_seconds": med["cli_map"],
        "pandas_script_seconds": med["plain"],
        "pandas_work_seconds": med["plain_work"],
        "pandas_distinct_values_script_seconds": med["distinct"],
        "pandas_distinct_values_work_seconds": med["distinct_work"],
        "pandas_import_seconds": med["pandas_import"],
        "ratio_to_pandas": round(med["cli"] / med["plain"], 2),
        "ratio_to_pandas_distinct_values": round(med["cli"] / med["distinct"], 2),
        "identical_pence_per_theme": True,
        "repeats": repeats,
    }


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--analyst":
        analyst(sys.argv[3], sys.argv[4], distinct=sys.argv[2] == "distinct")
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["startup", "trafford"], default=None, help="Run one part only.")
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    )
    args = parser.parse_args()
    unset = ("TOTALPLACE_PLACE", "TOTALPLACE_DATABASE_URL", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    figures: dict[str, Any] = {"benchmark": "cli"}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.only != "trafford":
            figures["startup"] = startup(work, env, args.runs)
        if args.only != "startup":
            figures["trafford"] = compare((args.data / TRAFFORD).resolve(), work, env, args.repeats)
    figures["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
