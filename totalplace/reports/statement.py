"""Settlement statements (one per partner) and the fund summary for the board, as HTML and PDF.

The HTML is rendered from a Jinja template of its own (reports do not depend on the web app) and printed
to PDF by WeasyPrint, which needs no browser and loads nothing from the internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from totalplace.engines.pool.report import FundSummary, Statement
from totalplace.money import Money

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
_ENV.filters["money"] = lambda pence: str(Money(int(pence)))


def statement_html(statement: Statement, place_name: str) -> str:
    """One partner's settlement statement as a standalone HTML document."""
    return _ENV.get_template("statement.html").render(s=statement, place_name=place_name)


def summary_html(summary: FundSummary, statements: list[Statement], place_name: str) -> str:
    """The fund summary for the board, with every partner's statement when the year is settled."""
    return _ENV.get_template("fund_summary.html").render(
        f=summary, statements=statements, place_name=place_name
    )


def to_pdf(html: str) -> bytes:
    """An HTML document printed to PDF."""
    from weasyprint import HTML

    pdf: Any = HTML(string=html).write_pdf()
    return bytes(pdf)
