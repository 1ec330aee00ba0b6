"""Charts as Vega-Lite specs built with Altair and rendered to SVG on the server with vl-convert.

The spec goes into the JSON twin; the SVG goes into the page and the PDF. Nothing loads from the internet.

Drawing is slow (Altair validates the spec against the Vega-Lite schema, then vl-convert runs Vega: about
0.1 s for a bar chart and 0.4 s for a map of 150 areas), so each chart function keeps what it drew for the
same arguments: the same figures give the same chart, whoever asks and whenever. A bounded number are kept
(least recently used go first); TOTALPLACE_WEB_CACHE=0 draws every chart afresh.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, ParamSpec

import altair as alt
import shapely.geometry
import shapely.geometry.polygon
import vl_convert as vlc

from totalplace import settings

if TYPE_CHECKING:
    from totalplace.engines.cba.results import WaterfallStep
    from totalplace.engines.cba.simulate import HistogramBin, TornadoRow

P = ParamSpec("P")
#: The charts' typeface. vl-convert lays text out with the first of these it has (DejaVu Sans, which
#: WeasyPrint and Debian's browsers also draw "sans-serif" with); left to its default it measured with a
#: narrower face than the page then drew, so labels and legends ran past the chart's edge and were cut off.
#: Verdana is DejaVu's width where DejaVu is missing.
CHART_FONT: Final = "DejaVu Sans, Verdana, sans-serif"
#: The widest a legend's or an axis's label is drawn before Vega cuts it with an ellipsis (px).
LEGEND_LABEL_LIMIT: Final = 320
KEPT_CHARTS: Final = 256
_kept_charts: OrderedDict[str, RenderedChart] = OrderedDict()
_kept_lock = threading.Lock()


@dataclass(frozen=True)
class RenderedChart:
    """A chart's Vega-Lite spec and its SVG."""

    title: str
    spec: dict[str, Any]
    svg: str

    def to_dict(self) -> dict[str, Any]:
        """The spec only; the SVG is for pages."""
        return {"title": self.title, "vega_lite": self.spec}


def render(chart: alt.TopLevelMixin, title: str) -> RenderedChart:
    """Render an Altair chart to SVG."""
    spec: dict[str, Any] = chart.to_dict()
    spec.setdefault("config", {}).setdefault("font", CHART_FONT)
    return RenderedChart(title, spec, vlc.vegalite_to_svg(spec))


def _arguments_key(name: str, args: Any, kwargs: Any) -> str | None:
    """A digest of a chart function's name and arguments, or None if they cannot be written as JSON."""
    try:
        text = json.dumps([name, args, kwargs], sort_keys=True, default=repr, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def kept(builder: Callable[P, RenderedChart]) -> Callable[P, RenderedChart]:
    """``builder`` keeping the chart it drew for each set of arguments (charts are pure functions of them)."""

    @functools.wraps(builder)
    def build(*args: P.args, **kwargs: P.kwargs) -> RenderedChart:
        key = _arguments_key(builder.__name__, args, kwargs)
        if key is None or settings.get_int("web_cache") == 0:
            return builder(*args, **kwargs)
        with _kept_lock:
            found = _kept_charts.get(key)
            if found is not None:
                _kept_charts.move_to_end(key)
                return found
        chart = builder(*args, **kwargs)
        with _kept_lock:
            _kept_charts[key] = chart
            while len(_kept_charts) > KEPT_CHARTS:
                _kept_charts.popitem(last=False)
        return chart

    return build


def forget_charts() -> None:
    """Drop every kept chart."""
    with _kept_lock:
        _kept_charts.clear()


@kept
def bar_chart(
    rows: list[dict[str, Any]],
    *,
    category: str,
    value: str,
    title: str,
    value_title: str,
    colour: str = "#1d6fa5",
) -> RenderedChart:
    """A horizontal bar chart of ``value`` by ``category``, largest first."""
    chart = (
        alt.Chart(alt.Data(values=rows))  # type: ignore[no-untyped-call]
        .mark_bar(color=colour)
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", title=value_title),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=",")],
        )
        .properties(width=460, height=max(60, 18 * len(rows)), title=title)
    )
    return render(chart, title)


@kept
def stacked_bar(
    rows: list[dict[str, Any]],
    *,
    category: str,
    stack: str,
    value: str,
    title: str,
    value_title: str,
    order: list[str] | None = None,
    category_order: list[str] | None = None,
) -> RenderedChart:
    """Horizontal bars of ``value`` by ``category`` (largest first, or in ``category_order``), split into
    ``stack`` segments."""
    colour = alt.Color(f"{stack}:N", title=None, sort=order, scale=alt.Scale(scheme="tableau10"))
    chart = (
        alt.Chart(alt.Data(values=rows))  # type: ignore[no-untyped-call]
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=category_order or "-x", title=None),
            x=alt.X(f"sum({value}):Q", title=value_title),
            color=colour,
            order=alt.Order(f"{stack}:N"),
            tooltip=[
                alt.Tooltip(f"{category}:N"),
                alt.Tooltip(f"{stack}:N"),
                alt.Tooltip(f"{value}:Q", format=",.0f"),
            ],
        )
        .properties(width=520, height=max(80, 26 * len({r[category] for r in rows})), title=title)
    )
    return render(chart, title)


def _clockwise(geometry: dict[str, Any]) -> dict[str, Any]:
    """The geometry with exterior rings clockwise, as d3-geo (Vega's projection) reads them.

    GeoJSON (RFC 7946) asks for counter-clockwise exteriors; d3-geo takes a counter-clockwise ring as the
    whole sphere minus the polygon, which paints the entire map one colour.
    """
    shape = shapely.geometry.shape(geometry)
    parts = list(shape.geoms) if isinstance(shape, shapely.geometry.MultiPolygon) else [shape]
    turned = [
        shapely.geometry.polygon.orient(p, sign=-1.0)
        for p in parts
        if isinstance(p, shapely.geometry.Polygon)
    ]
    result = shapely.geometry.MultiPolygon(turned) if len(turned) > 1 else turned[0]
    return dict(shapely.geometry.mapping(result))


def _area_colour(field: str, title: str, *, categorical: bool) -> alt.Color:
    """The areas' shading: by class or by amount, with a class's whole name in the legend (Vega cuts a
    label at 160 px unless told otherwise)."""
    scale = alt.Scale(scheme="tableau20") if categorical else alt.Scale(scheme="blues")
    return alt.Color(field, title=title, scale=scale, legend=alt.Legend(labelLimit=LEGEND_LABEL_LIMIT))


@kept
def choropleth(
    features: list[dict[str, Any]],
    *,
    value: str,
    title: str,
    value_title: str,
    categorical: bool = False,
    points: list[dict[str, Any]] | None = None,
    point_colour: str = "partner",
) -> RenderedChart:
    """A map of GeoJSON features shaded by ``properties[value]`` (longitude/latitude, Mercator).

    ``categorical`` shades by class (segments) rather than by amount; ``points`` (dicts with ``lon``, ``lat``,
    ``name`` and ``point_colour``) are drawn over the areas, e.g. the partners' sites.
    """
    features = [{**f, "geometry": _clockwise(f["geometry"])} for f in features]
    kind = "N" if categorical else "Q"
    areas = (
        alt.Chart(alt.Data(values=features))  # type: ignore[no-untyped-call]
        .mark_geoshape(stroke="white", strokeWidth=0.4)
        .encode(
            color=_area_colour(f"properties.{value}:{kind}", value_title, categorical=categorical),
            tooltip=[
                alt.Tooltip("properties.name:N", title="area"),
                alt.Tooltip(
                    f"properties.{value}:{kind}", title=value_title, format="" if categorical else ",.0f"
                ),
            ],
        )
        .project(type="mercator")
    )
    layers: list[Any] = [areas]
    if points:
        layers.append(
            alt.Chart(alt.Data(values=points))  # type: ignore[no-untyped-call]
            .mark_point(filled=True, size=36, stroke="black", strokeWidth=0.5, opacity=0.9)
            .encode(
                longitude="lon:Q",
                latitude="lat:Q",
                shape=alt.Shape(f"{point_colour}:N", title=point_colour),
                fill=alt.Fill(f"{point_colour}:N", title=point_colour, scale=alt.Scale(scheme="dark2")),
                tooltip=[alt.Tooltip("name:N"), alt.Tooltip(f"{point_colour}:N")],
            )
            .project(type="mercator")
        )
    chart = (
        alt.layer(*layers).resolve_scale(color="independent").properties(width=520, height=420, title=title)
    )
    return render(chart, title)


@kept
def index_heatmap(rows: list[dict[str, Any]], *, title: str) -> RenderedChart:
    """Index scores (100 = the place average) of each cluster on each variable, as a diverging heat map.

    ``rows`` are ``{"cluster", "variable", "index"}``; scores are drawn on a log scale so 50 and 200 are
    equally far from average.
    """
    clusters = sorted({r["cluster"] for r in rows})
    chart = (
        alt.Chart(alt.Data(values=rows))  # type: ignore[no-untyped-call]
        .mark_rect()
        .encode(
            x=alt.X("cluster:N", title=None, sort=clusters),
            y=alt.Y("variable:N", title=None, sort=None, axis=alt.Axis(labelLimit=LEGEND_LABEL_LIMIT)),
            color=alt.Color(
                "index:Q",
                title="index (100 = place)",
                scale=alt.Scale(
                    type="log", domain=[25, 400], clamp=True, scheme="redblue", reverse=True, domainMid=100
                ),
            ),
            tooltip=[
                alt.Tooltip("cluster:N"),
                alt.Tooltip("variable:N"),
                alt.Tooltip("index:Q", format=".0f"),
            ],
        )
        .properties(
            width=max(120, 34 * len(clusters)),
            height=max(120, 11 * len({r["variable"] for r in rows})),
            title=title,
        )
    )
    return render(chart, title)


@kept
def diagnostics_chart(rows: list[dict[str, Any]], *, title: str) -> RenderedChart:
    """Within-cluster sum of squares (the elbow) and mean silhouette for each k, side by side."""
    base = alt.Chart(alt.Data(values=rows)).encode(x=alt.X("k:O", title="k"))  # type: ignore[no-untyped-call]
    wcss = base.mark_line(point=True, color="#1d6fa5").encode(y=alt.Y("wcss:Q", title="within-cluster SS"))
    silhouette = base.mark_line(point=True, color="#c0392b").encode(
        y=alt.Y("silhouette:Q", title="mean silhouette")
    )
    chart = alt.hconcat(
        wcss.properties(width=260, height=180, title="Elbow"),
        silhouette.properties(width=260, height=180, title="Silhouette"),
    ).properties(title=title)
    return render(chart, title)


@kept
def interval_chart(rows: list[dict[str, Any]], *, title: str, value_title: str) -> RenderedChart:
    """Values over periods with their 95% intervals as bars and the benchmark as a line.

    ``rows`` are ``{"period", "value", "lower", "upper", "benchmark"}``.
    """
    base = alt.Chart(alt.Data(values=rows)).encode(x=alt.X("period:O", title=None))  # type: ignore[no-untyped-call]
    bars = base.mark_rule(strokeWidth=2, color="#1d6fa5").encode(
        y=alt.Y("lower:Q", title=value_title, scale=alt.Scale(zero=False)), y2="upper:Q"
    )
    points = base.mark_point(filled=True, size=60, color="#1d6fa5").encode(
        y="value:Q", tooltip=[alt.Tooltip("period:O"), alt.Tooltip("value:Q", format=",.1f")]
    )
    layers: list[Any] = [bars, points]
    if any(r.get("benchmark") is not None for r in rows):
        layers.append(base.mark_line(color="#c0392b", strokeDash=[4, 3]).encode(y="benchmark:Q"))
    return render(alt.layer(*layers).properties(width=480, height=220, title=title), title)


#: The spine's axis: worst (0) to best (1) of the comparators, with a margin either side for a place beyond.
SPINE_AXIS: Final = (-0.1, 1.1)
#: How the place's dot is drawn: a circle within the axis, an arrowhead at its edge when beyond it.
SPINE_SHAPES: Final = {
    "on the axis": "circle",
    "beyond the worst": "triangle-left",
    "beyond the best": "triangle-right",
}


def _on_spine(row: dict[str, Any]) -> dict[str, Any]:
    """The row with where its dot is drawn: a place further out than the axis reaches sits at its edge, as
    an arrowhead pointing the way it is off (drawn where it is, the dot landed on the indicators' names)."""
    place = row.get("place")
    if place is None:
        return {**row, "drawn_at": None, "position": "on the axis"}
    low, high = SPINE_AXIS
    position = "beyond the worst" if place < low else "beyond the best" if place > high else "on the axis"
    return {**row, "drawn_at": min(max(place, low), high), "position": position}


@kept
def spine_chart(rows: list[dict[str, Any]], *, title: str) -> RenderedChart:
    """Each indicator on a line from the worst to the best of the comparators (polarity applied): the
    comparators' range and middle half as bars, England as a tick, the place as a dot coloured by comparison.

    ``rows`` are ``{"indicator", "low", "q1", "q3", "high", "england", "place", "comparison"}``, 0 to 1.
    """
    drawn = [_on_spine(r) for r in rows]
    base = alt.Chart(alt.Data(values=drawn)).encode(y=alt.Y("indicator:N", title=None, sort=None))  # type: ignore[no-untyped-call]
    scale = alt.Scale(domain=list(SPINE_AXIS))
    layers: list[Any] = [
        base.mark_bar(color="#d6e4f0", size=12).encode(
            x=alt.X("low:Q", scale=scale, title="worst to best of comparators"), x2="high:Q"
        ),
        base.mark_bar(color="#9dbcd8", size=12).encode(x="q1:Q", x2="q3:Q"),
        base.mark_tick(color="black", thickness=2, size=16).encode(x="england:Q"),
        base.mark_point(filled=True, size=70).encode(
            x="drawn_at:Q",
            shape=alt.Shape(
                "position:N",
                scale=alt.Scale(domain=list(SPINE_SHAPES), range=list(SPINE_SHAPES.values())),
                title="the place",
            ),
            color=alt.Color(
                "comparison:N",
                scale=alt.Scale(
                    domain=["better", "similar", "worse", "not compared"],
                    range=["#1e8449", "#d68910", "#c0392b", "#999999"],
                ),
                title="against England",
            ),
            tooltip=[alt.Tooltip("indicator:N"), alt.Tooltip("comparison:N")],
        ),
    ]
    return render(
        alt.layer(*layers).properties(width=460, height=max(80, 22 * len(rows)), title=title), title
    )


COMPARISONS: Final = ["better", "similar", "worse", "higher", "lower", "not compared"]
COMPARISON_COLOURS: Final = ["#1e8449", "#d68910", "#c0392b", "#1d6fa5", "#7d3c98", "#999999"]


@kept
def funnel_chart(
    lines: list[dict[str, Any]],
    points: list[dict[str, Any]],
    *,
    baseline: float,
    title: str,
    x_title: str,
    y_title: str,
) -> RenderedChart:
    """Areas' values against their size, inside the 95% (dashed) and 99.8% (solid) control limits around
    the average.

    ``lines`` are ``{"limit", "x", "y"}`` (limit such as "95% lower"); ``points`` are ``{"area_name", "x",
    "value", "comparison"}``.
    """
    limits = (
        alt.Chart(alt.Data(values=lines))  # type: ignore[no-untyped-call]
        .mark_line(color="#555555")
        .encode(
            x=alt.X("x:Q", title=x_title),
            y=alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False)),
            detail="limit:N",
            strokeDash=alt.StrokeDash(
                "level:N", scale=alt.Scale(domain=["95%", "99.8%"], range=[[4, 3], [1, 0]]), title="limit"
            ),
        )
    )
    average = (
        alt.Chart(alt.Data(values=[{"baseline": baseline}]))  # type: ignore[no-untyped-call]
        .mark_rule(color="#1d6fa5")
        .encode(y="baseline:Q")
    )
    dots = (
        alt.Chart(alt.Data(values=points))  # type: ignore[no-untyped-call]
        .mark_point(filled=True, size=50)
        .encode(
            x="x:Q",
            y="value:Q",
            color=alt.Color(
                "comparison:N",
                scale=alt.Scale(domain=COMPARISONS, range=COMPARISON_COLOURS),
                title="against average",
            ),
            tooltip=[alt.Tooltip("area_name:N"), alt.Tooltip("value:Q", format=",.2f")],
        )
    )
    return render(alt.layer(limits, average, dots).properties(width=480, height=300, title=title), title)


@kept
def waterfall_chart(steps: Sequence[WaterfallStep], *, title: str) -> RenderedChart:
    """From gross benefits to their present value: the first and last bars whole, each reduction floating.

    ``steps`` are in order; the first is the gross total and the last the net total.
    """
    rows, running = [], 0.0
    for i, step in enumerate(steps):
        value = float(step.value)
        whole = i in (0, len(steps) - 1)
        start, end = (0.0, value) if whole else (running, running + value)
        running = value if whole else running + value
        rows.append(
            {"stage": step.stage, "start": start, "end": end, "kind": "total" if whole else "reduction"}
        )
    chart = (
        alt.Chart(alt.Data(values=rows))  # type: ignore[no-untyped-call]
        .mark_bar()
        .encode(
            x=alt.X("stage:N", sort=None, title=None, axis=alt.Axis(labelAngle=-20)),
            y=alt.Y("start:Q", title="£"),
            y2="end:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=["total", "reduction"], range=["#1d6fa5", "#c0392b"]),
                legend=None,
            ),
            tooltip=[alt.Tooltip("stage:N"), alt.Tooltip("end:Q", format=",.0f")],
        )
        .properties(width=480, height=240, title=title)
    )
    return render(chart, title)


@kept
def tornado_chart(rows: Sequence[TornadoRow], *, centre: float, title: str) -> RenderedChart:
    """NPV with each input at its low and high, widest swing at the top, around the central NPV."""
    long = [
        {"input": r.input, "end": end, "npv": npv, "centre": centre}
        for r in rows
        for end, npv in (("at low", r.npv_at_low), ("at high", r.npv_at_high))
    ]
    order = [r.input for r in rows]
    bars = (
        alt.Chart(alt.Data(values=long))  # type: ignore[no-untyped-call]
        .mark_bar()
        .encode(
            y=alt.Y("input:N", sort=order, title=None),
            x=alt.X("centre:Q", title="NPV (£)"),
            x2="npv:Q",
            color=alt.Color(
                "end:N",
                scale=alt.Scale(domain=["at low", "at high"], range=["#c0392b", "#1e8449"]),
                title=None,
            ),
            tooltip=[alt.Tooltip("input:N"), alt.Tooltip("end:N"), alt.Tooltip("npv:Q", format=",.0f")],
        )
    )
    rule = (
        alt.Chart(alt.Data(values=[{"centre": centre}]))  # type: ignore[no-untyped-call]
        .mark_rule(color="black")
        .encode(x="centre:Q")
    )
    return render(
        alt.layer(bars, rule).properties(width=460, height=max(60, 22 * len(rows)), title=title), title
    )


@kept
def histogram_chart(bins: Sequence[HistogramBin], *, title: str, value_title: str) -> RenderedChart:
    """A distribution as bars (each bin's draws from its low to its high value); nil marked."""
    bars = (
        alt.Chart(alt.Data(values=[b.to_dict() for b in bins]))  # type: ignore[no-untyped-call]
        .mark_bar(color="#1d6fa5")
        .encode(
            x=alt.X("from:Q", title=value_title, bin="binned"),
            x2="to:Q",
            y=alt.Y("draws:Q", title="draws"),
            tooltip=[alt.Tooltip("from:Q", format=",.0f"), alt.Tooltip("draws:Q")],
        )
    )
    nil = (
        alt.Chart(alt.Data(values=[{"x": 0}]))  # type: ignore[no-untyped-call]
        .mark_rule(color="#c0392b", strokeDash=[4, 3])
        .encode(x="x:Q")
    )
    return render(alt.layer(bars, nil).properties(width=480, height=200, title=title), title)
