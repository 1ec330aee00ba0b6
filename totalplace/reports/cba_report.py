"""A cost-benefit appraisal as charts and as a report a board can read (HTML, and PDF by WeasyPrint)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from totalplace.engines.cba.models import appraise_in_place, kept_model
from totalplace.engines.cba.share import Method, share
from totalplace.engines.cba.simulate import simulate
from totalplace.errors import CbaError
from totalplace.reports.render import render_html

if TYPE_CHECKING:
    from totalplace.place import Place
    from totalplace.reports.charts import RenderedChart


def appraisal_view(
    place: Place, name: str, *, draws: int = 2_000, seed: int = 1, method: Method = "shapley"
) -> dict[str, Any]:
    """Everything the model's page and report show: the exact run, a simulation, the settlement."""
    model, file = kept_model(place, name)
    appraisal = appraise_in_place(place, model, file)
    result = appraisal.to_dict()
    try:
        proposal: dict[str, Any] | None = share(appraisal, method)
        refused = None
    except CbaError as exc:
        proposal, refused = None, exc.message
    return {
        "model": {"name": model.name, "title": model.title, "description": model.description},
        "result": result,
        "simulation": simulate(model, appraisal.prepared, draws, seed),
        "proposal": proposal,
        "proposal_refused": refused,
        "method": method,
    }


def appraisal_charts(view: dict[str, Any]) -> dict[str, RenderedChart]:
    """Benefits by agency by year, the waterfall, the tornado and the simulated NPV."""
    from totalplace.reports.charts import histogram_chart, stacked_bar, tornado_chart, waterfall_chart

    result, simulation = view["result"], view["simulation"]
    by_year = [
        {"year": y["year"], "agency": a["agency"], "benefit": float(y["benefits"])}
        for a in result["by_agency"]
        for y in a["by_year"]
        if float(y["benefits"])
    ]
    for y in result["by_year"]:
        by_year.append(
            {
                "year": y["year"],
                "agency": "economic and social",
                "benefit": float(y["economic"]) + float(y["social"]),
            }
        )
    charts = {
        "waterfall": waterfall_chart(result["waterfall"], title="From gross benefits to present value"),
        "by_year": stacked_bar(
            by_year,
            category="year",
            stack="agency",
            value="benefit",
            title="Present value of benefits by year and by who gains",
            value_title="£",
            category_order=result["years"],
        ),
        "distribution": histogram_chart(
            simulation["histogram"],
            title=f"Net present value over {simulation['draws']:,} draws",
            value_title="NPV (£)",
        ),
    }
    if simulation["tornado"]:
        charts["tornado"] = tornado_chart(
            simulation["tornado"][:12], centre=float(result["totals"]["npv"]), title="What moves the NPV most"
        )
    return charts


def appraisal_report_html(place: Place, name: str) -> str:
    """The appraisal as a self-contained HTML report (charts inline as SVG)."""
    view = appraisal_view(place, name)
    charts = appraisal_charts(view)
    return render_html(
        "cba_report.html", view=view, charts={k: c.svg for k, c in charts.items()}, place=place.config.name
    )
