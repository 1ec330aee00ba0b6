"""An exception letter as an HTML document (and PDF through :func:`totalplace.reports.statement.to_pdf`)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from totalplace.engines.outcomes.letters import Letter

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
_ENV.filters["num"] = lambda v: "" if v is None else f"{v:,.1f}"


def letter_html(letter: Letter, place_name: str) -> str:
    """The letter, standalone, for printing or PDF."""
    return _ENV.get_template("letter.html").render(letter=letter, c=letter.content, place_name=place_name)
