"""What a person reads of a cost-benefit analysis: the interventions compared, one model's case (its page, its
JSON twin and its report for the board, HTML and PDF), and the ``cba`` commands' tables.

Each view is built from the engine's typed results; ``to_dict`` is the JSON the page's twin and ``--json``
show, ``charts`` the charts the page and the report draw, and ``headline`` with ``tables`` what the CLI
prints. Pages and commands only authorise, call the engine, build the view and show it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from totalplace.engines.cba.models import Assessment
from totalplace.engines.cba.results import AppraisalResult, pounds_text
from totalplace.engines.cba.share import Method, Proposal
from totalplace.engines.cba.simulate import Simulation
from totalplace.engines.cba.unit_costs import UnitCost
from totalplace.errors import CbaError
from totalplace.reports.table import TableView

if TYPE_CHECKING:
    from totalplace.engines.cba.appraise import Appraisal
    from totalplace.engines.pool.fund import Fund
    from totalplace.reports.charts import RenderedChart
    from totalplace.store.versions import Version

#: The most inputs the tornado chart shows (widest swing first).
TORNADO_INPUTS = 12


def _ranked(rows: Iterable[tuple[str, AppraisalResult]]) -> tuple[tuple[str, AppraisalResult], ...]:
    """Best net present value first (models with the same NPV in the order given)."""
    return tuple(sorted(rows, key=lambda row: -row[1].totals.npv))


@dataclass(frozen=True, slots=True)
class InterventionsView:
    """The place's interventions on one framework, best NPV first (the ``/cba`` page)."""

    rows: tuple[tuple[str, AppraisalResult], ...]  # each kept model's name and its figures
    can_add: bool

    def to_dict(self) -> dict[str, Any]:
        """The page's data: each intervention's name, title and totals."""
        return {
            "interventions": [
                {"name": name, "title": r.title, "illustrative": r.illustrative, **r.totals.to_dict()}
                for name, r in self.rows
            ],
            "can_add": self.can_add,
        }

    def charts(self) -> dict[str, RenderedChart]:
        """The net present value of each intervention (none when there are none)."""
        if not self.rows:
            return {}
        from totalplace.reports.charts import bar_chart

        bars = [{"intervention": r.title, "npv": float(r.totals.npv)} for _name, r in self.rows]
        chart = bar_chart(
            bars, category="intervention", value="npv", title="Net present value", value_title="£"
        )
        return {"npv": chart}


def interventions_view(appraisals: Sequence[tuple[str, Appraisal]], *, can_add: bool) -> InterventionsView:
    """The ``/cba`` page of the kept models' appraisals (by name)."""
    return InterventionsView(_ranked((name, a.result) for name, a in appraisals), can_add)


@dataclass(frozen=True, slots=True)
class ComparisonView:
    """Several interventions on one framework, best NPV first (``cba compare``)."""

    results: tuple[AppraisalResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """``--json``: each intervention's name, title and totals."""
        return {
            "interventions": [{"name": r.name, "title": r.title, **r.totals.to_dict()} for r in self.results]
        }

    @property
    def headline(self) -> str:
        """Nothing above the table."""
        return ""

    @property
    def tables(self) -> tuple[TableView, ...]:
        """One row per intervention."""
        rows = []
        for r in self.results:
            t = r.totals
            rows.append((r.name, t.costs, t.benefits, t.npv, t.bcr, t.financial_roi, t.payback_year))
        columns = ("model", "costs", "benefits", "NPV", "BCR", "financial ROI", "payback")
        return (TableView.of("Interventions compared (present values)", columns, rows),)


def comparison_view(results: Sequence[AppraisalResult]) -> ComparisonView:
    """``cba compare`` of the models' figures."""
    return ComparisonView(tuple(r for _name, r in _ranked((r.name, r) for r in results)))


@dataclass(frozen=True, slots=True)
class RunView:
    """A model's exact appraisal (``cba run``)."""

    result: AppraisalResult

    def to_dict(self) -> dict[str, Any]:
        """``--json``: every figure."""
        return self.result.to_dict()

    @property
    def headline(self) -> str:
        """The case in one line: NPV, BCR, financial return and payback."""
        r, t = self.result, self.result.totals
        return (
            f"[bold]{r.title}[/bold] ({r.price_year} prices): NPV {pounds_text(t.npv)}, "
            f"BCR {t.bcr}, financial ROI {t.financial_roi}, "
            f"payback {t.payback_year or 'not reached'}"
        )

    @property
    def tables(self) -> tuple[TableView, ...]:
        """By agency, and from gross to net, with the notes on the evidence under it."""
        agencies = TableView.of(
            "By agency (present values)",
            ("agency", "costs", "fiscal benefits", "cashable", "NPV", "payback"),
            [
                (
                    a.agency,
                    *(pounds_text(v) for v in (a.costs, a.fiscal_benefits, a.cashable, a.npv)),
                    a.payback_year,
                )
                for a in self.result.by_agency
            ],
        )
        notes = "\n".join(f"[yellow]note:[/yellow] {w}" for w in self.result.warnings)
        waterfall = TableView.of(
            "From gross to net",
            ("stage", "£"),
            [(w.stage, pounds_text(w.value)) for w in self.result.waterfall],
            note=notes or None,
        )
        return (agencies, waterfall)


@dataclass(frozen=True, slots=True)
class SimulationView:
    """A model simulated (``cba simulate``), with its tornado chart for ``--tornado``."""

    simulation: Simulation
    title: str  # the model's
    npv: Decimal  # the exact NPV, the tornado's centre

    def to_dict(self) -> dict[str, Any]:
        """``--json``: every simulated figure."""
        return self.simulation.to_dict()

    @property
    def headline(self) -> str:
        """The NPV's range and the chance that benefits exceed costs."""
        s, npv = self.simulation, self.simulation.npv
        return (
            f"{s.draws:,} draws: NPV 5th-95th percentile £{npv.p5:,.0f} to £{npv.p95:,.0f} "
            f"(median £{npv.p50:,.0f}); P(BCR > 1) = {s.p_bcr_above_one:.1%}"
        )

    @property
    def tables(self) -> tuple[TableView, ...]:
        """Each agency's chances, and each input's switching value."""
        agencies = TableView.of(
            "By agency",
            ("agency", "median NPV", "P(NPV >= 0)", "P(BCR > 1)"),
            [
                (
                    a.agency,
                    f"{a.npv.p50:,.0f}",
                    f"{a.p_npv_at_least_zero:.1%}",
                    "" if a.p_bcr_above_one is None else f"{a.p_bcr_above_one:.1%}",
                )
                for a in self.simulation.by_agency
            ],
        )
        switching = TableView.of(
            "Switching values (NPV reaches nil)",
            ("input", "central", "switches at", "change"),
            [
                (s.input, s.central, s.switching_value or "never", s.change_percent)
                for s in self.simulation.switching_values
            ],
        )
        return (agencies, switching)

    def tornado_chart(self) -> RenderedChart:
        """Every uncertain input's swing of NPV around the exact NPV; CbaError when no input has a range."""
        if not self.simulation.tornado:
            raise CbaError(
                "no input of this model has a range, so there is no tornado to draw",
                hint="give an input a low and a high, e.g. success: {value: 0.3, low: 0.2, high: 0.4}",
            )
        from totalplace.reports.charts import tornado_chart

        return tornado_chart(self.simulation.tornado, centre=float(self.npv), title=self.title)


def simulation_view(simulation: Simulation, appraisal: Appraisal) -> SimulationView:
    """``cba simulate`` of a model's simulation and its exact appraisal."""
    return SimulationView(simulation, appraisal.model.title, appraisal.result.totals.npv)


@dataclass(frozen=True, slots=True)
class ShareView:
    """A settlement proposed (``cba share``), and the draft variation it was written as, if any."""

    proposal: Proposal
    pool: str | None = None
    draft: str | None = None  # the draft's versioned object, KIND:NAME

    def to_dict(self) -> dict[str, Any]:
        """``--json``: the proposal, and where its draft variation was written."""
        out = self.proposal.to_dict()
        if self.draft is not None:
            out["draft_variation"] = str(self.draft)
        return out

    @property
    def headline(self) -> str:
        """The method and its note, each partner's explanation, and the draft."""
        lines = [f"{self.proposal.method}: {self.proposal.note}"]
        lines += [f"- {row.explanation}" for row in self.proposal.partners]
        if self.pool is not None:
            lines.append(f"draft variation of {self.pool}: {self.draft}")
        return "\n".join(lines)

    @property
    def tables(self) -> tuple[TableView, ...]:
        """None: the explanations say it."""
        return ()


@dataclass(frozen=True, slots=True)
class UnitCostsView:
    """The unit-cost library (``cba unit-costs list``), in its own prices or uprated to one year's."""

    entries: tuple[UnitCost, ...]
    price_year: str | None

    def to_dict(self) -> dict[str, Any]:
        """``--json``: the price year asked for and every entry."""
        return {"price_year": self.price_year, "unit_costs": [e.to_dict() for e in self.entries]}

    @property
    def headline(self) -> str:
        """Nothing above the table."""
        return ""

    @property
    def tables(self) -> tuple[TableView, ...]:
        """One row per unit cost, with its source's standing."""
        rows = [
            (
                e.code,
                e.description,
                e.fiscal_total,
                e.economic,
                e.social,
                e.price_year + (f" (from {e.uprated_from})" if e.uprated_from else ""),
                e.grade,
                "illustrative" if e.illustrative else ("yes" if e.verified else "unverified"),
            )
            for e in self.entries
        ]
        columns = ("code", "description", "fiscal", "economic", "social", "price year", "grade", "checked")
        title = "Unit costs" + (f" in {self.price_year} prices" if self.price_year else "")
        return (TableView.of(title, columns, rows),)


@dataclass(frozen=True, slots=True)
class LibraryPage:
    """The ``/cba-unit-costs`` page: the library, the years it can be uprated to, whether one may import."""

    entries: tuple[UnitCost, ...]
    price_year: str | None
    deflator_years: tuple[str, ...]  # newest first
    can_import: bool

    def to_dict(self) -> dict[str, Any]:
        """The page's data."""
        return {
            "price_year": self.price_year,
            "deflator_years": list(self.deflator_years),
            "unit_costs": [e.to_dict() for e in self.entries],
            "can_import": self.can_import,
        }


def library_page(
    entries: Sequence[UnitCost], price_year: str | None, deflator_years: Iterable[str], *, can_import: bool
) -> LibraryPage:
    """The library page of ``entries`` (uprated to ``price_year`` when given)."""
    return LibraryPage(tuple(entries), price_year, tuple(sorted(deflator_years, reverse=True)), can_import)


@dataclass(frozen=True, slots=True)
class LibraryImported:
    """The library page after a file was added to it."""

    entries: tuple[UnitCost, ...]
    file: str
    count: int  # unit costs the file added

    def to_dict(self) -> dict[str, Any]:
        """The page's data, saying what was added."""
        return {
            "unit_costs": [e.to_dict() for e in self.entries],
            "can_import": True,
            "imported": {"file": self.file, "count": self.count},
        }


@dataclass(frozen=True, slots=True)
class DraftView:
    """A settlement written as a draft variation of a pool, shown ready to apply."""

    model: str
    pool: str
    file: str  # the versioned object it is kept as, and its version
    yaml: str

    def to_dict(self) -> dict[str, Any]:
        """The page's data."""
        return {"model": self.model, "pool": self.pool, "file": self.file, "yaml": self.yaml}


def draft_view(model: str, pool: str, draft: Version) -> DraftView:
    """The draft variation kept as the versioned object ``draft``."""
    return DraftView(model, pool, f"{draft.ref} version {draft.version}", draft.body)


@dataclass(frozen=True, slots=True)
class AppraisalView:
    """One model's case as its page and its report show it: the exact run, a simulation, the settlement, and
    the pools it could be drafted into."""

    name: str
    title: str
    description: str
    result: AppraisalResult
    simulation: Simulation
    proposal: Proposal | None
    proposal_refused: str | None
    method: Method
    pools: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The page's data (its JSON twin), which the report draws too."""
        return {
            "model": {"name": self.name, "title": self.title, "description": self.description},
            "result": self.result.to_dict(),
            "simulation": self.simulation.to_dict(),
            "proposal": None if self.proposal is None else self.proposal.to_dict(),
            "proposal_refused": self.proposal_refused,
            "method": self.method,
            "pools": list(self.pools),
        }

    def charts(self) -> dict[str, RenderedChart]:
        """Benefits by agency by year, the waterfall, the tornado and the simulated NPV."""
        from totalplace.reports.charts import histogram_chart, stacked_bar, tornado_chart, waterfall_chart

        result, simulation = self.result, self.simulation
        charts = {
            "waterfall": waterfall_chart(result.waterfall, title="From gross benefits to present value"),
            "by_year": stacked_bar(
                _benefits_by_year(result),
                category="year",
                stack="agency",
                value="benefit",
                title="Present value of benefits by year and by who gains",
                value_title="£",
                category_order=list(result.years),
            ),
            "distribution": histogram_chart(
                simulation.histogram,
                title=f"Net present value over {simulation.draws:,} draws",
                value_title="NPV (£)",
            ),
        }
        if simulation.tornado:
            charts["tornado"] = tornado_chart(
                simulation.tornado[:TORNADO_INPUTS],
                centre=float(result.totals.npv),
                title="What moves the NPV most",
            )
        return charts

    def report_html(self, place_name: str) -> str:
        """The case as a self-contained HTML report for the board (charts inline as SVG)."""
        from totalplace.reports.render import render_html

        charts = {key: chart.svg for key, chart in self.charts().items()}
        return render_html("cba_report.html", view=self.to_dict(), charts=charts, place=place_name)


def _benefits_by_year(result: AppraisalResult) -> list[dict[str, Any]]:
    """The stacked bars: each agency's fiscal benefit by year (where it has one), then economic and social."""
    rows: list[dict[str, Any]] = [
        {"year": y.year, "agency": a.agency, "benefit": float(y.benefits)}
        for a in result.by_agency
        for y in a.by_year
        if float(y.benefits)
    ]
    rows += [
        {"year": y.year, "agency": "economic and social", "benefit": float(y.economic) + float(y.social)}
        for y in result.by_year
    ]
    return rows


def _pools(proposal: Proposal | None, funds: Sequence[Fund]) -> tuple[str, ...]:
    """The pools a settlement could be drafted into: those whose partners include every proposed payer first
    (the one a user most likely means), then by name."""
    payers = set() if proposal is None else {r.partner for r in proposal.partners if r.proposed > 0}
    ordered = sorted(funds, key=lambda f: (not payers <= set(f.agreement.partners), f.name))
    return tuple(f.name for f in ordered)


def appraisal_view(assessment: Assessment, funds: Sequence[Fund] = ()) -> AppraisalView:
    """A model's page and report from its assessment; ``funds`` are the pools the viewer may draft into."""
    model = assessment.model
    return AppraisalView(
        name=model.name,
        title=model.title,
        description=model.description,
        result=assessment.appraisal.result,
        simulation=assessment.simulation,
        proposal=assessment.proposal,
        proposal_refused=assessment.proposal_refused,
        method=assessment.method,
        pools=_pools(assessment.proposal, funds),
    )
