"""Splink's comparison viewer, written so that it loads nothing from the internet."""

from __future__ import annotations

import re

import pytest

from tests.engines.people.link_support import Held
from tests.engines.people.test_runs_splink import _as_extract
from totalplace.engines.people import runs
from totalplace.engines.people.linkage_generated import records as generated
from totalplace.engines.people.viewer import OFFLINE_POLICY, comparison_viewer, offline
from totalplace.errors import PermissionDeniedError
from totalplace.governance.roles import Principal, trusted
from totalplace.place import Place
from totalplace.store.users import RoleGrant

# What a browser would fetch: a src or href to the web, or a CSS @import/url() of one.
FETCH = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import\s+url|url\(\s*["']?https?:""", re.I)


def test_offline_takes_out_the_web_font_and_forbids_every_fetch() -> None:
    page = offline(
        '<html><head><link rel="preconnect" href="https://fonts.googleapis.com">\n'
        '<link href="https://fonts.googleapis.com/css2?family=Source+Sans+Pro" rel="stylesheet"></head></html>'
    )
    assert "fonts.googleapis" not in page and OFFLINE_POLICY in page
    assert page.index("Content-Security-Policy") < page.index("</head>")


def test_the_viewer_of_a_trained_model_is_whole_and_offline(sqlite_place: Place, held_real: Held) -> None:
    held_real.add("planning", _as_extract(generated(600, seed=5)))
    runs.train_model(sqlite_place, trusted("test"), "planning")
    html = comparison_viewer(sqlite_place, trusted("test"), "planning")
    assert "Splink comparison viewer" in html and "vega" in html.lower()
    assert not FETCH.search(html), FETCH.search(html)
    assert f'content="{OFFLINE_POLICY}"' in html
    finance = Principal("f", False, (RoleGrant("partner_finance", None, None, "finance"),))
    with pytest.raises(PermissionDeniedError):
        comparison_viewer(sqlite_place, finance, "planning")
