"""The one Jinja environment every page and report is drawn with, and the PDF writer.

Pages (``web/templates``) and standalone documents (``reports/templates``) share one environment, so a
filter such as ``money`` means the same on the fund page, its PDF statement and the exception letter.
PDFs are printed by WeasyPrint, which needs no browser and loads nothing from the internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from totalplace.money import Money, format_pounds

#: Pages and documents; a test keeps their names distinct, so neither can hide the other.
TEMPLATE_DIRS = (Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates")


def _number(value: float | None) -> str:
    """One decimal place with thousands separators; blank when there is no value."""
    return "" if value is None else f"{value:,.1f}"


def _amount(text: str) -> Markup:
    """An amount of money as one unbreakable piece: a ``money`` span (``white-space: nowrap`` in every page's
    and document's style), so a negative amount never wraps after its minus sign."""
    return Markup('<span class="money">{}</span>').format(text)


def _money(pence: int) -> Markup:
    """Pence as people read them, kept on one line: ``-£1,234.50``."""
    return _amount(str(Money(int(pence))))


def _pounds(value: object, places: int = 0) -> Markup:
    """Pounds (Decimal or its text) as people read them, kept on one line: ``-£1,234``."""
    return _amount(format_pounds(value, places))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html"]),
    )
    env.filters["money"] = _money
    env.filters["thousands"] = lambda n: f"{int(n):,}"
    env.filters["pounds"] = _pounds
    env.filters["num"] = _number
    return env


#: The single environment (pages, reports, letters).
ENVIRONMENT = _environment()


def render_html(template: str, **context: Any) -> str:
    """A template drawn with ``context``, as a standalone HTML string."""
    return ENVIRONMENT.get_template(template).render(**context)


def to_pdf(html: str) -> bytes:
    """An HTML document printed to PDF."""
    from weasyprint import HTML

    pdf: Any = HTML(string=html).write_pdf()
    return bytes(pdf)
