"""An exception letter as an HTML document (and PDF through :func:`totalplace.reports.render.to_pdf`)."""

from __future__ import annotations

from totalplace.engines.outcomes.letters import Letter
from totalplace.reports.render import render_html


def letter_html(letter: Letter, place_name: str) -> str:
    """The letter, standalone, for printing or PDF."""
    return render_html("letter.html", letter=letter, c=letter.content, place_name=place_name)
