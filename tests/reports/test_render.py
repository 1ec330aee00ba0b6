"""The one Jinja environment: pages and documents share filters, and no template hides another."""

from __future__ import annotations

from totalplace.reports.render import ENVIRONMENT, TEMPLATE_DIRS


def test_template_names_are_distinct_across_pages_and_documents() -> None:
    names = [sorted(p.name for p in d.glob("*.html")) for d in TEMPLATE_DIRS]
    assert names[0] and names[1]
    assert not set(names[0]) & set(names[1])


def test_filters_are_shared() -> None:
    template = ENVIRONMENT.from_string("{{ 123456 | money }} {{ 1234567 | thousands }} {{ none | num }}")
    # an amount is one unbreakable piece (a "money" span: white-space: nowrap in every style)
    assert template.render(none=None) == '<span class="money">£1,234.56</span> 1,234,567 '
