"""Benchmarking the place's indicators: each value with its 95% and 99.8% limits, compared with England, the
region or a target, and the trend of its last five points.

Observations come from the active ``observations`` batches (for each indicator and period the latest import
that has it replaces the earlier ones). Limits published with the data are kept; otherwise they are
calculated from the count and denominator by the indicator's value type (``stats``). Rows are matched to
their benchmark on indicator, period, sex, age and category. Everything is done column-wise, so a million
rows take seconds.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt

from totalplace.datasets.observations import period_start
from totalplace.engines.outcomes import stats
from totalplace.engines.outcomes.comparators import current_set
from totalplace.engines.outcomes.compare import POLARITIES, compare, trends
from totalplace.engines.outcomes.framework import Framework, Indicator, ValueType, current_framework
from totalplace.errors import InvalidInputError, NotFoundError
from totalplace.store.areas import list_areas

if TYPE_CHECKING:
    import pyarrow as pa

    from totalplace.place import Place

ENGLAND: Final = "E92000001"
Against = Literal["england", "region", "target", "comparators"]
FloatArray = npt.NDArray[np.float64]
BREAKDOWN: Final = ("sex", "age", "category_type", "category")
_NUMBERS: Final = ("count", "denominator", "value", "lower95", "upper95", "lower998", "upper998")

# For each indicator and period, the latest batch that has it: a corrected release replaces the earlier one,
# while periods that arrive one batch at a time (the place's own data, year by year) all count.
_LATEST = """
select o.* from observations o
join (select indicator_id, period, max(batch_id) as b from observations group by 1, 2) latest
  on o.indicator_id = latest.indicator_id and o.period = latest.period and o.batch_id = latest.b
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


def _estimate(
    indicator: Indicator, counts: FloatArray, base: FloatArray, level: float
) -> stats.Estimate | None:
    """Rows' values and limits at one level by the indicator's interval method (None when the method cannot
    be calculated from a count and denominator: standardised rates and means need age bands or records)."""
    method = indicator.interval_method()
    if method.key == "wilson" and indicator.value_type == "proportion":
        return stats.proportion(counts, base, level, indicator.multiplier)
    if method.key in _COUNT_METHODS and indicator.value_type in ("crude_rate", "count"):
        multiplier = 1.0 if indicator.value_type == "count" else indicator.multiplier
        return stats.crude_rate(counts, base, level, multiplier, method.key)
    return None


_COUNT_METHODS: Final = ("byars", "byars_no_small_number_correction", "exact_poisson")


def limits_for(indicator: Indicator, columns: dict[str, FloatArray]) -> Limits:
    """Limits of rows of one indicator: published ones where given, else by the indicator's interval method
    (the one it names, else its value type's)."""
    count, denominator, value = columns["count"], columns["denominator"], columns["value"]
    size = len(value)
    out = {name: columns[name].copy() for name in ("value", "lower95", "upper95", "lower998", "upper998")}
    method = np.full(size, "published", dtype="<U32")
    if indicator.value_type == "count":
        usable, base = ~np.isnan(count), np.ones(size)
    else:
        usable = ~np.isnan(count) & ~np.isnan(denominator) & (np.nan_to_num(denominator) > 0)
        base = np.where(usable, denominator, 1.0)
    counts = np.where(usable, count, 0.0)
    for level, suffix in ((0.95, "95"), (0.998, "998")):
        est = _estimate(indicator, counts, base, level)
        if est is None:
            continue
        calculated = usable & np.isnan(columns[f"lower{suffix}"])
        out[f"lower{suffix}"] = np.where(calculated, est.lower, out[f"lower{suffix}"])
        out[f"upper{suffix}"] = np.where(calculated, est.upper, out[f"upper{suffix}"])
        out["value"] = np.where(np.isnan(value) & usable, est.value, out["value"])
        method = np.where(calculated, est.method, method)
    method = np.where(np.isnan(out["lower95"]) & np.isnan(out["lower998"]), "", method)
    return Limits(out["value"], out["lower95"], out["upper95"], out["lower998"], out["upper998"], method)


@dataclass(frozen=True, slots=True)
class RowTrend:
    """A row's series trend: its direction over the last five points, and the slope (None if not
    calculated)."""

    direction: str
    slope: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"direction": self.direction, "slope": self.slope}


@dataclass(frozen=True, slots=True)
class BenchmarkRow:
    """One benchmarked observation: the value with its limits and how they were found, the benchmark it is
    compared with, the comparison at 95% and 99.8%, and its series' trend. ``breakdown`` holds the parts
    of sex, age, category type and category that the row gives. ``method`` is how the row's limits were
    found (Byars, Exact, Wilson or published); ``ci_method`` is its indicator's interval method as
    Fingertips' metadata names it."""

    area_code: str
    period: str
    indicator: str = ""
    title: str = ""
    polarity: str = "no_judgement"
    value_type: str = ""
    area_name: str | None = None
    count: float | None = None
    denominator: float | None = None
    value: float | None = None
    lower95: float | None = None
    upper95: float | None = None
    lower998: float | None = None
    upper998: float | None = None
    method: str = ""
    ci_method: str = ""
    benchmark: float | None = None
    comparison95: str = "not compared"
    comparison998: str = "not compared"
    value_note: str | None = None
    breakdown: dict[str, str] = field(default_factory=dict)
    trend: RowTrend = RowTrend("not calculated")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, in the order the rows have always been written (breakdown and trend last)."""
        return {
            "indicator": self.indicator,
            "title": self.title,
            "polarity": self.polarity,
            "value_type": self.value_type,
            "area_code": self.area_code,
            "area_name": self.area_name,
            "period": self.period,
            "count": self.count,
            "denominator": self.denominator,
            "value": self.value,
            "lower95": self.lower95,
            "upper95": self.upper95,
            "lower998": self.lower998,
            "upper998": self.upper998,
            "method": self.method,
            "ci_method": self.ci_method,
            "benchmark": self.benchmark,
            "comparison95": self.comparison95,
            "comparison998": self.comparison998,
            "value_note": self.value_note,
            "breakdown": dict(self.breakdown),
            "trend": self.trend.to_dict(),
        }


def _row(found: dict[str, Any]) -> BenchmarkRow:
    """A row of the benchmarked table (as ``to_pylist`` gives it) as a typed row."""
    return BenchmarkRow(
        area_code=found["area_code"],
        period=found["period"],
        indicator=found["indicator"],
        title=found["title"],
        polarity=found["polarity"],
        value_type=found["value_type"],
        area_name=found["area_name"],
        count=found["count"],
        denominator=found["denominator"],
        value=found["value"],
        lower95=found["lower95"],
        upper95=found["upper95"],
        lower998=found["lower998"],
        upper998=found["upper998"],
        method=found["method"],
        ci_method=found["ci_method"],
        benchmark=found["benchmark"],
        comparison95=found["comparison95"],
        comparison998=found["comparison998"],
        value_note=found["value_note"],
        breakdown={k: found[k] for k in BREAKDOWN if found.get(k)},
        trend=RowTrend(found["trend"], found["trend_slope"]),
    )


@dataclass(frozen=True)
class BenchmarkResult:
    """The benchmarked rows as columns (``table``); :meth:`rows` gives them as typed rows."""

    against: str
    framework: str | None
    table: pa.Table

    def rows(self) -> list[BenchmarkRow]:
        """One typed row per row of the table (limits rounded to ten decimal places)."""
        return [_row(found) for found in self.table.to_pylist()]

    def areas(self) -> list[str]:
        """The area codes benchmarked, sorted."""
        import pyarrow.compute as pc

        return sorted(pc.unique(self.table["area_code"]).drop_null().to_pylist())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "against": self.against,
            "framework": self.framework,
            "areas": self.areas(),
            "rows": [row.to_dict() for row in self.rows()],
        }

    def write_json(self, write: Callable[[str], object]) -> None:
        """The document :meth:`to_dict` gives, written in pieces as it is made: DuckDB writes the rows
        straight from the columns, so a million rows need neither a million dicts nor the memory they take."""
        from totalplace.backends.duckdb import scratch_connection
        from totalplace.backends.safe_sql import literal

        head = json.dumps({"against": self.against, "framework": self.framework, "areas": self.areas()})
        write(head[:-1] + ', "rows": ')
        with tempfile.TemporaryDirectory(prefix="totalplace-") as folder:
            path = Path(folder) / "rows.json"
            # an in-memory DuckDB that can write only in this private folder (not the place's store)
            scratch = scratch_connection(folder)
            try:
                scratch.register("benchmarked", self.table)
                scratch.execute(f"COPY ({_ROWS_AS_JSON}) TO {literal(str(path))} (FORMAT JSON, ARRAY true)")
            finally:
                scratch.close()
            with path.open(encoding="utf-8") as rows:
                while chunk := rows.read(1 << 20):
                    write(chunk)
        write("}\n")


# The rows as :meth:`BenchmarkResult.rows` shapes them: the breakdown's given parts and the trend nested.
_ROWS_AS_JSON: Final = (
    "select * exclude ({flat}, trend, trend_slope), "
    "map_from_entries(list_filter([{parts}], lambda p: coalesce(p.value, '') <> '')) as breakdown, "
    "{{'direction': trend, 'slope': trend_slope}} as trend from benchmarked"
).format(
    flat=", ".join(BREAKDOWN),
    parts=", ".join(f"{{'key': '{k}', 'value': {k}}}" for k in BREAKDOWN),
)


def benchmark(
    place: Place,
    *,
    against: Against = "england",
    indicator: str | None = None,
    areas: list[str] | None = None,
    period: str | None = None,
) -> BenchmarkResult:
    """The place's rows (or ``areas``'), each with limits, comparison and trend."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if against not in ("england", "region", "target", "comparators"):
        raise InvalidInputError(
            f"cannot compare against {against!r}", hint="use england, region, target or comparators"
        )
    members: list[str] = []
    with place.read() as conn:
        framework = current_framework(conn)
        if against == "comparators":
            found = current_set(conn)
            if found is None:
                raise NotFoundError(
                    "no comparator set", hint="make one: totalplace outcomes comparators ... --save NAME"
                )
            members = found.codes()
        own = {a.code for a in list_areas(conn)} | ({place.config.code} if place.config.code else set())
    if not areas and not own:
        raise NotFoundError(
            "the place has no code and no areas of its own to benchmark",
            hint="name the areas with --area CODE, or give the place its GSS code (totalplace init --code) "
            "or import its geography",
        )
    table = latest_observations(place, indicator)
    if members:
        table = table.append_column(
            "comparator", pc.is_in(table["area_code"], pa.array(members, pa.string()))
        )
    return BenchmarkResult(
        against,
        None if framework is None else framework.name,
        _benchmarked(table, framework, against, set(areas) if areas else own, period),
    )


def latest_observations(place: Place, indicator: str | None = None) -> pa.Table:
    """The observations in force (of one indicator if given); NotFoundError when there are none."""
    import pyarrow.compute as pc

    with place.analytics() as engine:
        table = engine.query(_LATEST)
    if indicator is not None:
        table = table.filter(pc.equal(table["indicator_id"], indicator))
    if table.num_rows == 0:
        raise NotFoundError(
            "no observations" + (f" of indicator {indicator}" if indicator else ""),
            hint="import them: totalplace outcomes import FILE",
        )
    return table


def numbers(table: pa.Table) -> dict[str, FloatArray]:
    """The numeric columns of observations as float arrays (missing as NaN)."""
    return {name: table[name].to_numpy(zero_copy_only=False).astype(np.float64) for name in _NUMBERS}


def indicator_of(framework: Framework | None, table: pa.Table, indicator_id: str) -> Indicator:
    """The framework's metadata of an indicator, else what its observations in ``table`` suggest."""
    import pyarrow.compute as pc

    found = framework.indicators().get(indicator_id) if framework else None
    if found:
        return found[1]
    mask = pc.equal(_text(table, "indicator_id"), indicator_id).to_numpy(zero_copy_only=False)
    return _inferred(table, mask, indicator_id, numbers(table))


def _text(table: pa.Table, name: str) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.fill_null(table[name].cast(pa.string()), "").combine_chunks()


_LIMITS: Final = ("value", "lower95", "upper95", "lower998", "upper998")


def _benchmarked(
    table: pa.Table, framework: Framework | None, against: Against, wanted: set[str], period: str | None
) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = _text(table, "indicator_id")
    limits, method, meta = _limits_by_indicator(table, ids, framework)
    key = pc.binary_join_element_wise(ids, _text(table, "period"), *(_text(table, k) for k in BREAKDOWN), "|")
    area = _text(table, "area_code")
    bench = _benchmark_values(table, key, area, limits["value"], against, ids, meta)
    chosen = pc.is_in(area, pa.array(sorted(wanted), pa.string())).to_numpy(zero_copy_only=False)
    if period is not None:
        chosen &= pc.equal(_text(table, "period"), period).to_numpy(zero_copy_only=False)
    unique = list(meta)
    which = pc.index_in(ids, value_set=pa.array(unique, pa.string())).to_numpy(zero_copy_only=False)
    polarity = np.array([meta[i].polarity for i in unique])[which]
    vs95, vs998 = _comparisons(limits, bench, polarity)
    direction, slope = _series_trends(table, ids, area, polarity, limits)
    pick = np.flatnonzero(chosen)
    titles = np.array([meta[i].title for i in unique], dtype=object)[which]
    types = np.array([meta[i].value_type for i in unique], dtype=object)[which]
    ci_methods = np.array([meta[i].interval_method().name for i in unique], dtype=object)[which]
    return pa.table(
        {
            "indicator": ids.take(pick),
            "title": pa.array(titles[pick].tolist(), pa.string()),
            "polarity": pa.array(polarity[pick].tolist(), pa.string()),
            "value_type": pa.array(types[pick].tolist(), pa.string()),
            "area_code": area.take(pick),
            "area_name": table["area_name"].take(pick),
            "period": table["period"].take(pick),
            **{k: table[k].take(pick) for k in BREAKDOWN},
            "count": table["count"].take(pick),
            "denominator": table["denominator"].take(pick),
            **{name: _rounded(limits[name][pick]) for name in limits},
            "method": pa.array(method[pick].tolist(), pa.string()),
            "ci_method": pa.array(ci_methods[pick].tolist(), pa.string()),
            "benchmark": _rounded(bench[pick]),
            "comparison95": pa.array(vs95[pick].tolist(), pa.string()),
            "comparison998": pa.array(vs998[pick].tolist(), pa.string()),
            "trend": pa.array(direction[pick].tolist(), pa.string()),
            "trend_slope": _rounded(slope[pick]),
            "value_note": table["value_note"].take(pick),
        }
    )


def _limits_by_indicator(
    table: pa.Table, ids: pa.Array, framework: Framework | None
) -> tuple[dict[str, FloatArray], npt.NDArray[np.str_], dict[str, Indicator]]:
    """Every row's value and limits (by its indicator's value type) with their method, and each indicator's
    metadata (the framework's, else inferred from its rows)."""
    import pyarrow.compute as pc

    columns = numbers(table)
    size = table.num_rows
    limits = {name: np.full(size, np.nan) for name in _LIMITS}
    method = np.full(size, "", dtype="<U32")
    meta: dict[str, Indicator] = {}
    for indicator_id in pc.unique(ids).to_pylist():
        mask = pc.equal(ids, indicator_id).to_numpy(zero_copy_only=False)
        found = framework.indicators().get(indicator_id) if framework else None
        meta[indicator_id] = found[1] if found else _inferred(table, mask, indicator_id, columns)
        got = limits_for(meta[indicator_id], {k: v[mask] for k, v in columns.items()})
        for name in limits:
            limits[name][mask] = getattr(got, name)
        method[mask] = got.method
    return limits, method, meta


def _comparisons(
    limits: dict[str, FloatArray], bench: FloatArray, polarity: npt.NDArray[np.str_]
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.str_]]:
    """Each row against its benchmark at 95% and at 99.8%, with its indicator's polarity."""
    vs95 = np.full(len(bench), "not compared", dtype="<U16")
    vs998 = vs95.copy()
    for value in POLARITIES:
        m = polarity == value
        if m.any():
            vs95[m] = compare(limits["lower95"][m], limits["upper95"][m], bench[m], value)
            vs998[m] = compare(limits["lower998"][m], limits["upper998"][m], bench[m], value)
    return vs95, vs998


def _series_trends(
    table: pa.Table,
    ids: pa.Array,
    area: pa.Array,
    polarity: npt.NDArray[np.str_],
    limits: dict[str, FloatArray],
) -> tuple[npt.NDArray[np.str_], FloatArray]:
    """Each row's series trend (direction and slope): a series is an indicator, area and breakdown."""
    import pyarrow.compute as pc

    series_key = pc.binary_join_element_wise(ids, area, *(_text(table, k) for k in BREAKDOWN), "|")
    encoded = pc.dictionary_encode(series_key)
    series = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    periods = pc.dictionary_encode(_text(table, "period"))
    starts = [period_start(p) for p in periods.dictionary.to_pylist()]
    when = np.array([np.nan if s is None else s for s in starts], dtype=np.float64)[
        periods.indices.to_numpy(zero_copy_only=False)
    ]
    series_polarity = np.full(len(encoded.dictionary), "no_judgement", dtype="<U16")
    series_polarity[series] = polarity
    direction, slope = trends(
        series, when, limits["value"], limits["lower95"], limits["upper95"], series_polarity
    )
    return direction[series], slope[series]


def _rounded(values: FloatArray) -> pa.Array:
    """Values to ten decimal places, NaN as null (whole arrays at once: a Python loop took seconds)."""
    import pyarrow as pa

    return pa.array(np.round(values, 10), pa.float64(), mask=np.isnan(values))


def _inferred(
    table: pa.Table, mask: npt.NDArray[np.bool_], indicator_id: str, columns: dict[str, FloatArray]
) -> Indicator:
    full = (
        mask & ~np.isnan(columns["count"]) & ~np.isnan(columns["denominator"]) & ~np.isnan(columns["value"])
    )
    full &= np.nan_to_num(columns["count"]) > 0
    i = int(np.flatnonzero(full)[0]) if full.any() else int(np.flatnonzero(mask)[0])
    name = table["indicator_name"][i].as_py()
    return infer_indicator(
        indicator_id,
        name,
        *(
            None if np.isnan(columns[k][i]) else float(columns[k][i])
            for k in ("count", "denominator", "value")
        ),
    )


def _benchmark_values(
    table: pa.Table,
    key: pa.Array,
    area: pa.Array,
    value: FloatArray,
    against: Against,
    ids: pa.Array,
    meta: dict[str, Indicator],
) -> FloatArray:
    import pyarrow as pa
    import pyarrow.compute as pc

    if against == "target":
        unique = list(meta)
        which = pc.index_in(ids, value_set=pa.array(unique, pa.string())).to_numpy(zero_copy_only=False)
        targets = [np.nan if meta[i].target is None else meta[i].target for i in unique]
        chosen: FloatArray = np.array(targets, dtype=np.float64)[which]
        return chosen
    if against == "comparators":
        return _comparator_values(table, key, value, ids, meta)
    if against == "england":
        wanted = pc.binary_join_element_wise(pa.array([ENGLAND] * len(key), pa.string()), key, "|")
    else:
        wanted = pc.binary_join_element_wise(_text(table, "parent_code"), key, "|")
    keys = pc.binary_join_element_wise(area, key, "|")
    position = pc.index_in(wanted, value_set=keys).to_numpy(zero_copy_only=False).astype(np.float64)
    found = ~np.isnan(position)
    index = np.where(found, np.nan_to_num(position), 0).astype(np.int64)
    return np.where(found, value[index], np.nan)


def headline(rows: Sequence[BenchmarkRow]) -> list[BenchmarkRow]:
    """The headline series: persons, no category, and all ages where published (else the commonest age)."""
    persons = [
        r for r in rows if not r.breakdown.get("category") and r.breakdown.get("sex", "Persons") == "Persons"
    ]
    ages = [r.breakdown.get("age", "") for r in persons]
    if not ages:
        return []
    age = "All ages" if "All ages" in ages else max(set(ages), key=ages.count)
    return [r for r in persons if r.breakdown.get("age", "") == age]


def latest_by_indicator(rows: Sequence[BenchmarkRow]) -> dict[str, BenchmarkRow]:
    """Each indicator's latest headline row among ``rows``."""
    grouped: dict[str, list[BenchmarkRow]] = {}
    for row in rows:
        grouped.setdefault(row.indicator, []).append(row)
    latest = {}
    for indicator_id, group in grouped.items():
        series = by_period(headline(group))
        if series:
            latest[indicator_id] = series[-1]
    return latest


def by_period(rows: Sequence[BenchmarkRow]) -> list[BenchmarkRow]:
    """The rows in time order (a period that cannot be read first)."""
    return sorted(rows, key=lambda r: period_start(r.period) or 0.0)


def _comparator_values(
    table: pa.Table, key: pa.Array, value: FloatArray, ids: pa.Array, meta: dict[str, Indicator]
) -> FloatArray:
    """Each row's comparator-set value: the members' pooled rate (their counts over their denominators) where
    counts are published, otherwise the mean of their values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    member = table["comparator"].to_numpy(zero_copy_only=False).astype(bool)
    encoded = pc.dictionary_encode(key)
    group = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    size = len(encoded.dictionary)
    count = np.nan_to_num(table["count"].to_numpy(zero_copy_only=False).astype(np.float64))
    denominator = np.nan_to_num(table["denominator"].to_numpy(zero_copy_only=False).astype(np.float64))
    has = member & (denominator > 0)
    counts = np.bincount(group[has], weights=count[has], minlength=size)
    denominators = np.bincount(group[has], weights=denominator[has], minlength=size)
    valued = member & ~np.isnan(value)
    totals = np.bincount(group[valued], weights=value[valued], minlength=size)
    numbers = np.bincount(group[valued], minlength=size)
    unique = list(meta)
    which = pc.index_in(ids, value_set=pa.array(unique, pa.string())).to_numpy(zero_copy_only=False)
    multiplier = np.array([1.0 if meta[i].value_type == "count" else meta[i].multiplier for i in unique])[
        which
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = counts[group] / denominators[group] * multiplier
        mean = totals[group] / numbers[group]
    chosen: FloatArray = np.where(denominators[group] > 0, pooled, mean)
    return chosen
