"""The one Jinja environment every page and report is drawn with, and the PDF writer.

Pages (``web/templates``) and standalone documents (``reports/templates``) share one environment, so a
filter such as ``money`` means the same on the fund page, its PDF statement and the exception letter.
PDFs are printed by WeasyPrint, which needs no browser and loads nothing from the internet.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from totalplace.money import Money, format_pounds

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

#: Pages and documents; a test keeps their names distinct, so neither can hide the other.
TEMPLATE_DIRS = (Path(__file__).parent / "templates", Path(__file__).parents[1] / "web" / "templates")


def _number(value: float | None) -> str:
    """One decimal place with thousands separators; blank when there is no value."""
    return "" if value is None else f"{value:,.1f}"


def _amount(text: str) -> Markup:
    """An amount of money as one unbreakable piece: a ``money`` span (``white-space: nowrap`` in every page's
    and document's style), so a negative amount never wraps after its minus sign."""
    from markupsafe import Markup

    return Markup('<span class="money">{}</span>').format(text)


def _money(pence: int) -> Markup:
    """Pence as people read them, kept on one line: ``-£1,234.50``."""
    return _amount(str(Money(int(pence))))


def _pounds(value: object, places: int = 0) -> Markup:
    """Pounds (Decimal or its text) as people read them, kept on one line: ``-£1,234``."""
    return _amount(format_pounds(value, places))


@cache
def environment() -> Environment:
    """The single environment (pages, reports, letters), made when first drawn with: a command that prints
    only tables never loads Jinja."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html"]),
    )
    env.filters["money"] = _money
    env.filters["thousands"] = lambda n: f"{int(n):,}"
    env.filters["pounds"] = _pounds
    env.filters["num"] = _number
    return env


def __getattr__(name: str) -> Environment:
    """``ENVIRONMENT``, as the web app imports it, made on first use."""
    if name == "ENVIRONMENT":
        return environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render_html(template: str, **context: Any) -> str:
    """A template drawn with ``context``, as a standalone HTML string."""
    return environment().get_template(template).render(**context)


def to_pdf(html: str) -> bytes:
    """An HTML document printed to PDF."""
    from weasyprint import HTML

    pdf: Any = HTML(string=html).write_pdf()
    return bytes(pdf)
