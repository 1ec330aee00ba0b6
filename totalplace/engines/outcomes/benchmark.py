"""Benchmarking the place's indicators: each value with its 95% and 99.8% limits, compared with England, the
region or a target, and the trend of its last five points.

Observations come from the active ``observations`` batches (the latest import of an indicator replaces the
earlier ones). Limits published with the data are kept; otherwise they are calculated from the count and
denominator by the indicator's value type (``stats``). Rows are matched to their benchmark on indicator,
period, sex, age and category.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt

from totalplace.backends.base import AnalyticsBackend
from totalplace.datasets.observations import period_start
from totalplace.engines.outcomes import stats
from totalplace.engines.outcomes.compare import Polarity, compare, trend
from totalplace.engines.outcomes.framework import Framework, Indicator, ValueType, current_framework
from totalplace.errors import InvalidInputError, NotFoundError
from totalplace.store.areas import list_areas

if TYPE_CHECKING:
    from totalplace.place import Place

ENGLAND: Final = "E92000001"
Against = Literal["england", "region", "target"]
FloatArray = npt.NDArray[np.float64]
_KEYS: Final = ("sex", "age", "category_type", "category")

# The latest batch of each indicator; every breakdown is kept.
_LATEST = """
select o.* from observations o
join (select indicator_id, max(batch_id) as b from observations group by 1) latest
  on o.indicator_id = latest.indicator_id and o.batch_id = latest.b
"""


@dataclass(frozen=True)
class Limits:
    """Values and their 95% and 99.8% limits for a set of rows, with the method of each."""

    value: FloatArray
    lower95: FloatArray
    upper95: FloatArray
    lower998: FloatArray
    upper998: FloatArray
    method: npt.NDArray[np.str_]


def infer_indicator(
    indicator_id: str, name: str | None, count: float | None, denominator: float | None, value: float | None
) -> Indicator:
    """What an indicator outside the framework appears to be from one observation."""
    multiplier = 100_000.0
    value_type: ValueType = "crude_rate"
    if count and denominator and value:
        ratio = value / (count / denominator)
        multiplier = float(10 ** round(np.log10(ratio))) if ratio > 0 else 1.0
        value_type = "proportion" if multiplier in (1.0, 100.0) else "crude_rate"
    return Indicator(
        id=indicator_id, title=name or indicator_id, value_type=value_type, multiplier=multiplier
    )


def limits_for(indicator: Indicator, columns: dict[str, FloatArray]) -> Limits:
    """Limits of rows of one indicator: published ones where given, else by the indicator's value type."""
    count, denominator, value = columns["count"], columns["denominator"], columns["value"]
    size = len(value)
    nan = np.full(size, np.nan)
    out = {
        "value": value.copy(),
        "lower95": nan.copy(),
        "upper95": nan.copy(),
        "lower998": nan.copy(),
        "upper998": nan.copy(),
    }
    method = np.full(size, "published" if size else "", dtype="<U24")
    usable = ~np.isnan(count) & ~np.isnan(denominator) & (denominator > 0)
    for level, suffix in ((0.95, "95"), (0.998, "998")):
        if indicator.value_type == "proportion":
            est = stats.proportion(count, denominator, level, indicator.multiplier)
        elif indicator.value_type == "crude_rate":
            est = stats.crude_rate(count, np.where(usable, denominator, 1.0), level, indicator.multiplier)
        elif indicator.value_type == "count":
            est = stats.crude_rate(count, np.ones(size), level, 1.0)
            usable = ~np.isnan(count)
        else:
            continue  # standardised rates and means need age bands or records: only published limits
        with np.errstate(invalid="ignore", divide="ignore"):
            calculated = usable & np.isnan(columns[f"lower{suffix}"])
            out[f"lower{suffix}"] = np.where(calculated, est.lower, columns[f"lower{suffix}"])
            out[f"upper{suffix}"] = np.where(calculated, est.upper, columns[f"upper{suffix}"])
            out["value"] = np.where(np.isnan(value) & usable, est.value, out["value"])
        method = np.where(calculated, est.method, method)
    for suffix in ("95", "998"):
        published = ~np.isnan(columns[f"lower{suffix}"])
        out[f"lower{suffix}"] = np.where(published, columns[f"lower{suffix}"], out[f"lower{suffix}"])
    return Limits(out["value"], out["lower95"], out["upper95"], out["lower998"], out["upper998"], method)


def _floats(rows: list[dict[str, Any]], name: str) -> FloatArray:
    return np.array([np.nan if r[name] is None else r[name] for r in rows], dtype=np.float64)


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["indicator_id"], row["period"], *(row[k] or "" for k in _KEYS))


def benchmark(
    place: Place,
    *,
    against: Against = "england",
    indicator: str | None = None,
    areas: list[str] | None = None,
    period: str | None = None,
) -> dict[str, Any]:
    """The place's rows (or ``areas``'), each with limits, comparison and trend."""
    if against not in ("england", "region", "target"):
        raise InvalidInputError(f"cannot compare against {against!r}", hint="use england, region or target")
    with place.read() as conn:
        framework = current_framework(conn)
        own = {a.code for a in list_areas(conn)} | ({place.config.code} if place.config.code else set())
    with place.analytics() as engine:
        rows = _observations(engine, indicator)
    if not rows:
        raise NotFoundError(
            "no observations" + (f" of indicator {indicator}" if indicator else ""),
            hint="import them: totalplace outcomes import FILE",
        )
    wanted = set(areas) if areas else own
    results = []
    for indicator_id in sorted({r["indicator_id"] for r in rows}):
        group = [r for r in rows if r["indicator_id"] == indicator_id]
        results += _indicator_rows(group, _indicator(framework, group), against, wanted, period)
    return {
        "against": against,
        "framework": None if framework is None else framework.name,
        "rows": results,
        "areas": sorted({r["area_code"] for r in results}),
    }


def _observations(engine: AnalyticsBackend, indicator: str | None) -> list[dict[str, Any]]:
    rows = engine.query(_LATEST).to_pylist()
    return [r for r in rows if indicator is None or r["indicator_id"] == indicator]


def _indicator(framework: Framework | None, group: list[dict[str, Any]]) -> Indicator:
    found = framework.indicators().get(group[0]["indicator_id"]) if framework else None
    if found is not None:
        return found[1]
    sample = next((r for r in group if r["count"] and r["denominator"] and r["value"]), group[0])
    return infer_indicator(
        sample["indicator_id"],
        sample.get("indicator_name"),
        sample["count"],
        sample["denominator"],
        sample["value"],
    )


def _indicator_rows(
    group: list[dict[str, Any]], indicator: Indicator, against: Against, wanted: set[str], period: str | None
) -> list[dict[str, Any]]:
    columns = {
        name: _floats(group, name)
        for name in ("count", "denominator", "value", "lower95", "upper95", "lower998", "upper998")
    }
    limits = limits_for(indicator, columns)
    by_key = {(r["area_code"], *_key(r)): i for i, r in enumerate(group)}

    def benchmark_value(row: dict[str, Any]) -> float:
        if against == "target":
            return np.nan if indicator.target is None else indicator.target
        code = ENGLAND if against == "england" else row.get("parent_code")
        index = by_key.get((code, *_key(row))) if code else None
        return np.nan if index is None else float(limits.value[index])

    chosen = [
        i
        for i, r in enumerate(group)
        if r["area_code"] in wanted and (period is None or r["period"] == period)
    ]
    bench = np.array([benchmark_value(group[i]) for i in chosen], dtype=np.float64)
    polarity: Polarity = indicator.polarity
    pick = np.array(chosen, dtype=np.int64)
    empty = np.array([], dtype=np.str_)
    vs95 = compare(limits.lower95[pick], limits.upper95[pick], bench, polarity) if chosen else empty
    vs998 = compare(limits.lower998[pick], limits.upper998[pick], bench, polarity) if chosen else empty
    series: dict[tuple[Any, ...], list[int]] = {}
    for i, r in enumerate(group):
        series.setdefault((r["area_code"], *(r[k] or "" for k in _KEYS)), []).append(i)
    out = []
    for n, i in enumerate(chosen):
        row = group[i]
        points = series[(row["area_code"], *(row[k] or "" for k in _KEYS))]
        out.append(
            {
                "indicator": indicator.id,
                "title": indicator.title,
                "polarity": polarity,
                "value_type": indicator.value_type,
                "area_code": row["area_code"],
                "area_name": row.get("area_name"),
                "period": row["period"],
                "breakdown": {k: row[k] for k in _KEYS if row[k]},
                "count": row["count"],
                "denominator": row["denominator"],
                "value": _num(limits.value[i]),
                "lower95": _num(limits.lower95[i]),
                "upper95": _num(limits.upper95[i]),
                "lower998": _num(limits.lower998[i]),
                "upper998": _num(limits.upper998[i]),
                "method": str(limits.method[i]),
                "benchmark": _num(bench[n]),
                "comparison95": str(vs95[n]),
                "comparison998": str(vs998[n]),
                "trend": trend(
                    [period_start(group[j]["period"]) or 0.0 for j in points],
                    [float(limits.value[j]) for j in points],
                    [float(limits.lower95[j]) for j in points],
                    [float(limits.upper95[j]) for j in points],
                    polarity,
                ),
                "value_note": row.get("value_note"),
            }
        )
    return out


def _num(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 10)
