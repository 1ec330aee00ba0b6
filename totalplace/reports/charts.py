"""Charts as Vega-Lite specs built with Altair and rendered to SVG on the server with vl-convert.

The spec goes into the JSON twin; the SVG goes into the page and the PDF. Nothing loads from the internet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import vl_convert as vlc


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
    return RenderedChart(title, spec, vlc.vegalite_to_svg(spec))


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
