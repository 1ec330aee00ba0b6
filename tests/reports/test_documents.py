"""The printed documents as a person reads them: laid out by WeasyPrint (the printer the PDFs are made with),
nothing runs off the page's edge, no table row is split across two pages, and money stays on one line.

The layout is read from WeasyPrint's boxes rather than by turning the PDF into pictures: the same pages, and
no PDF reader needed to check them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from totalplace.engines.pool.agreement import Cadence
from totalplace.engines.pool.report import ContributionLine, FundSummary, SchemeLine
from totalplace.reports.charts import CHART_FONT, SPINE_AXIS, spine_chart
from totalplace.reports.pool import summary_html
from totalplace.reports.render import ENVIRONMENT, TEMPLATE_DIRS

REPORTS = TEMPLATE_DIRS[0]


def _summary(schemes: int) -> FundSummary:
    """A board summary with amounts as long as a large pool's (tens of millions, to the penny)."""
    return FundSummary(
        name="bcf",
        title="Northbridge Better Care Fund",
        budget_type="pooled",
        host="Northbridge Council",
        fund_manager="Director of Adult Social Care",
        year="2025-26",
        as_of=date(2025, 9, 30),
        version=2,
        settled=False,
        cadence=Cadence(),
        contributions=(
            ContributionLine("Northbridge Council", 10_400_000_00, 10_400_000_00, 200_811_76, None),
            ContributionLine("Northbridge NHS", 15_300_000_00, 15_300_000_00, 306_188_24, None),
        ),
        schemes=tuple(
            SchemeLine(
                f"s{i}",
                f"Hospital discharge and reablement, scheme {i}",
                "Northbridge NHS",
                17_800_000_00,
                17_800_000_00,
                12_022_122_95,
                17_955_456_27 - 40_000_000_00 * (i % 2),  # some schemes far under budget: negative variance
            )
            for i in range(schemes)
        ),
        preview=None,
        settlement=None,
    )


def _pages(html: str) -> list[boxes.PageBox]:
    return [page._page_box for page in HTML(string=html).render().pages]


def _texts(page: boxes.PageBox) -> list[boxes.TextBox]:
    return [b for b in page.descendants() if isinstance(b, boxes.TextBox)]


def _rows(page: boxes.PageBox) -> list[str]:
    """Each table row on the page, by its text."""
    return [
        " ".join(t.text for t in row.descendants() if isinstance(t, boxes.TextBox))
        for row in page.descendants()
        if isinstance(row, boxes.TableRowBox)
    ]


def test_the_board_summary_keeps_every_column_on_the_page() -> None:
    pages = _pages(summary_html(_summary(3), [], "Northbridge"))
    words = [t.text for p in pages for t in _texts(p)]
    assert "Variance" in " ".join(words).title()  # the schemes' forecast variance is printed
    for page in pages:
        right = page.margin_width() - page.margin_right  # the page's content edge, in CSS px
        beyond = [t.text for t in _texts(page) if t.position_x + t.width > right + 0.5]
        assert beyond == [], f"text runs off the page: {beyond}"


def test_no_table_row_of_the_board_summary_is_split_across_pages() -> None:
    pages = _pages(summary_html(_summary(40), [], "Northbridge"))
    assert len(pages) > 1
    on_two = [row for row in _rows(pages[0]) if row in _rows(pages[1])]
    assert on_two == [] or all(r.startswith("Scheme Owner") for r in on_two)  # only the repeated header


def test_a_negative_amount_is_one_unbreakable_piece() -> None:
    html = ENVIRONMENT.from_string("{{ -123456 | money }} {{ '-1234.5' | pounds }}").render()
    assert html == '<span class="money">-£1,234.56</span> <span class="money">-£1,234</span>'
    narrow = f"<style>{_style('fund_summary.html')}</style><p style='width: 3em'>{html}</p>"
    lines = [t.text for p in _pages(narrow) for t in _texts(p)]
    assert "-£1,234.56" in lines  # laid out whole, not "-" on one line and "£1,234.56" on the next


def _style(template: str) -> str:
    text = (REPORTS / template).read_text(encoding="utf-8")
    return text[text.index("<style>") + 7 : text.index("</style>")]


@pytest.mark.parametrize("template", sorted(p.name for p in Path(REPORTS).glob("*.html")))
def test_every_document_keeps_rows_and_amounts_whole(template: str) -> None:
    style = _style(template)
    assert "break-inside: avoid" in style and "white-space: nowrap" in style


def test_the_spine_draws_a_place_beyond_its_axis_at_the_edge() -> None:
    rows = [
        {"indicator": name, "low": 0.0, "q1": 0.3, "q3": 0.7, "high": 1.0, "england": 0.5, "place": place}
        for name, place in (("worse than all", -0.6), ("middling", 0.4), ("best by far", 1.9))
    ]
    for row in rows:
        row["comparison"] = "similar"
    chart = spine_chart(rows, title="spine")
    drawn = {r["indicator"]: (r["drawn_at"], r["position"]) for r in chart.spec["data"]["values"]}
    assert drawn == {
        "worse than all": (SPINE_AXIS[0], "beyond the worst"),
        "middling": (0.4, "on the axis"),
        "best by far": (SPINE_AXIS[1], "beyond the best"),
    }
    assert chart.spec["config"]["font"] == CHART_FONT  # measured in the face the page draws it in
