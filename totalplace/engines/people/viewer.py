"""Splink's comparison viewer for a purpose's model: one HTML file that loads nothing from the internet.

The viewer shows, for each pattern of agreement between two records (the comparison vector), how often it
occurs, its match weight as a waterfall, and example pairs. Splink writes its scripts (Vega, Vega-Lite, its
own) into the file already; it also links a web font and its bundled libraries name CDNs they could load
from. So the font links are taken out, and the file carries a Content-Security-Policy that lets it run its
own inline scripts and styles and forbids every fetch: opened anywhere, it asks nothing of the network.

The examples show the records' compared columns, which are the match keys' pseudonyms (never an
identifier), so the viewer asks ``people.read`` and, as it runs the model, ``people.link``.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyarrow as pa

from totalplace.engines.people import people as people_view
from totalplace.engines.people import runs

if TYPE_CHECKING:
    from totalplace.governance.roles import Principal
    from totalplace.place import Place

#: No fetch of any kind; only the file's own inline scripts and styles (Vega compiles with ``new Function``).
OFFLINE_POLICY: Final = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "img-src data: blob:; worker-src blob:; connect-src 'none'; font-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)
_FONT_LINK: Final = re.compile(r"<link[^>]*fonts\.(?:googleapis|gstatic)\.com[^>]*>\s*", re.IGNORECASE)


def offline(html: str) -> str:
    """``html`` without links to web fonts, with a policy forbidding every fetch as the first thing in it."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{OFFLINE_POLICY}">'
    stripped = _FONT_LINK.sub("", html)
    head = re.search(r"<head[^>]*>", stripped, re.IGNORECASE)
    if head is None:
        return meta + stripped
    return stripped[: head.end()] + meta + stripped[head.end() :]


def viewer_html(records: pa.Table, settings_json: str, *, threshold: float, backend: str = "duckdb") -> str:
    """The comparison viewer of the model ``settings_json`` over ``records``, its pairs at ``threshold``."""
    from splink import Linker

    from totalplace.engines.people.linkage import linkable
    from totalplace.engines.people.linkage_backends import db_api

    # The viewer draws each pair's waterfall from the columns Splink drops unless asked to keep them.
    settings = json.loads(settings_json) | {
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
    }
    linker = Linker(db_api(backend).register(linkable(records)), settings, log_level=None)
    scored = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    with tempfile.TemporaryDirectory() as folder:  # Splink writes the file too; we keep only the text
        html = linker.visualisations.comparison_viewer_dashboard(
            scored, str(Path(folder) / "viewer.html"), overwrite=True, return_html_as_string=True
        )
    return offline(str(html))


def comparison_viewer(
    place: Place,
    principal: Principal,
    purpose: str,
    *,
    threshold: float = runs.DEFAULT_THRESHOLD,
    backend: str = "duckdb",
) -> str:
    """The comparison viewer of the purpose's model in force over its records, as one offline HTML file."""
    principal.require("people.read", people_view.resource(purpose))
    principal.require("people.link", people_view.resource(purpose))
    runs.check_threshold(threshold)
    _version, model = runs._model(place, purpose)
    records = runs._records(place, principal, purpose)
    return viewer_html(records, model.settings_json, threshold=threshold, backend=backend)
