"""Settlement statements (one per partner) and the fund summary for the board, as HTML and PDF.

The HTML is rendered from a Jinja template of its own (reports do not depend on the web app) and printed
to PDF by WeasyPrint, which needs no browser and loads nothing from the internet.
"""

from __future__ import annotations

from totalplace.engines.pool.report import FundSummary, Statement
from totalplace.reports.render import render_html


def statement_html(statement: Statement, place_name: str) -> str:
    """One partner's settlement statement as a standalone HTML document."""
    return render_html("statement.html", s=statement, place_name=place_name)


def summary_html(summary: FundSummary, statements: list[Statement], place_name: str) -> str:
    """The fund summary for the board, with every partner's statement when the year is settled."""
    return render_html("fund_summary.html", f=summary, statements=statements, place_name=place_name)
