"""What a person reads of the 360° profile: the chronology page and its twin, the timeline chart, the counts
by small area (with a map where the place has boundaries), and the ``people profile`` and ``people areas``
commands' tables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import altair as alt

from totalplace.engines.people.profile import CERTAIN, VERY_LIKELY
from totalplace.reports.charts import RenderedChart, choropleth, kept, render
from totalplace.reports.command import CommandView
from totalplace.reports.table import TableView
from totalplace.store.areas import boundaries

if TYPE_CHECKING:
    from totalplace.engines.people.areas import AreaCounts
    from totalplace.engines.people.profile import Profile
    from totalplace.place import Place

#: How the page explains each certainty word.
CERTAINTY_WORDS: Final[dict[str, str]] = {
    "certain": f"match probability {CERTAIN:.0%} or more (or the person's only record)",
    "very likely": f"match probability from {VERY_LIKELY:.0%} to under {CERTAIN:.0%}",
    "likely": f"match probability under {VERY_LIKELY:.0%}, above the linkage's threshold",
}
#: How many areas the CLI lists (``--json`` has them all).
AREAS_SHOWN: Final = 40


@kept
def timeline_chart(rows: list[dict[str, Any]], *, title: str) -> RenderedChart:
    """Each record as a point in time, one row per partner, shaded by how sure its link is."""
    certainty = alt.Color(
        "certainty:N",
        title="link",
        scale=alt.Scale(domain=list(CERTAINTY_WORDS), range=["#1d6fa5", "#6baed6", "#e6550d"]),
    )
    chart = (
        alt.Chart(alt.Data(values=rows))  # type: ignore[no-untyped-call]
        .mark_point(filled=True, size=70, opacity=0.85)
        .encode(
            x=alt.X(
                "day:T",
                title=None,
                axis=alt.Axis(format="%b %Y", labelOverlap=True, tickCount={"interval": "month", "step": 6}),
            ),
            y=alt.Y("partner:N", title=None),
            color=certainty,
            tooltip=[
                alt.Tooltip("when:N"),
                alt.Tooltip("partner:N"),
                alt.Tooltip("source:N"),
                alt.Tooltip("event:N"),
                alt.Tooltip("certainty:N"),
            ],
        )
        .properties(width=560, height=max(80, 34 * len({r["partner"] for r in rows})), title=title)
    )
    return render(chart, title)


def _chart_rows(profile: Profile) -> list[dict[str, Any]]:
    """The chart's points: a month-only date is drawn on the month's first day."""
    return [
        {
            "day": line.when if len(line.when) == 10 else f"{line.when}-01",
            "when": line.when,
            "partner": line.partner,
            "source": line.source,
            "event": line.event_type,
            "certainty": line.certainty,
        }
        for line in profile.lines
        if line.when
    ]


@dataclass(frozen=True)
class ProfileView:
    """The profile page: the chronology, the timeline, whether the viewer may reveal, and the reveal form."""

    profile: Profile
    can_reveal: bool
    reveal_form: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, RenderedChart] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The page's data (the twin)."""
        return {
            **self.profile.to_dict(),
            "certainty_words": CERTAINTY_WORDS,
            "can_reveal": self.can_reveal,
            "reveal": self.reveal_form,
        }


def profile_view(
    profile: Profile, *, can_reveal: bool, reveal_form: dict[str, Any] | None = None
) -> ProfileView:
    """The page for ``profile`` (a timeline when it has dated records)."""
    rows = _chart_rows(profile)
    what = "Person" if profile.subject == "person" else "Household"
    charts = (
        {"timeline": timeline_chart(rows, title=f"{what} {profile.id}: records over time")} if rows else {}
    )
    form = reveal_form or {"reason": "", "error": None}
    return ProfileView(profile, can_reveal and profile.purpose == "direct_care", form, charts)


def profile_command(profile: Profile) -> CommandView:
    """What ``people profile`` shows: a headline, the chronology, counts by partner and year, and who."""
    kind = "identified" if profile.identified else "pseudonymised"
    headline = (
        f"{profile.subject.title()} [bold]{profile.id}[/] ({kind}, {profile.purpose}): "
        f"{len(profile.lines)} record{'s' if len(profile.lines) != 1 else ''} from {len(profile.partners)} "
        f"partner{'s' if len(profile.partners) != 1 else ''}"
        + (f"; people {', '.join(profile.people)}" if profile.subject == "household" else "")
    )
    lines = TableView.of(
        "Chronology",
        ("when", "partner", "source", "event", "detail", "agreement", "link"),
        [
            (
                x.when,
                x.partner,
                x.source,
                x.event_type,
                x.event_detail,
                x.agreement,
                f"{x.certainty} ({x.match_probability:.3f})",
            )
            for x in profile.lines
        ],
    )
    counts = TableView.of(
        "Records by partner and year",
        ("partner", "year", "records"),
        [(c.partner, c.year, c.records) for c in profile.counts],
    )
    tables = [lines, counts]
    if profile.identified:
        tables.insert(
            0,
            TableView.of(
                "Who (as the partners' records say)",
                ("person", "names", "born", "NHS number", "addresses"),
                [
                    (
                        i.person_id,
                        "; ".join(i.names),
                        "; ".join(i.dates_of_birth),
                        "; ".join(i.nhs_numbers),
                        "; ".join(i.addresses),
                    )
                    for i in profile.identities
                ],
            ),
        )
    return CommandView(profile.to_dict(), headline, tuple(tables))


def _area_features(place: Place, values: dict[str, int]) -> list[dict[str, Any]]:
    """The LSOAs with a published count, as GeoJSON features."""
    with place.read() as conn:
        outlines = boundaries(conn, "lsoa")
    return [
        {
            "type": "Feature",
            "geometry": json.loads(geometry),
            "properties": {"code": code, "name": name, "value": values[code]},
        }
        for code, name, _, geometry in outlines
        if code in values
    ]


@dataclass(frozen=True)
class AreasView:
    """The counts-by-area page: the disclosure-controlled table, and a map of people where it can be drawn."""

    counts: AreaCounts
    charts: dict[str, RenderedChart] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The page's data (the twin): published figures only."""
        return self.counts.to_dict()


def areas_view(place: Place, counts: AreaCounts) -> AreasView:
    """The page for ``counts``, with a map of each area's people when the place has LSOA boundaries."""
    if not counts.columns:
        return AreasView(counts)
    features = _area_features(place, counts.column(counts.columns[-1]))
    if not features:
        return AreasView(counts)
    chart = choropleth(
        features,
        value="value",
        title=f"People linked for {counts.purpose}, by LSOA (small counts suppressed)",
        value_title="people",
    )
    return AreasView(counts, {"map": chart})


def areas_command(counts: AreaCounts, shown: int = AREAS_SHOWN) -> CommandView:
    """What ``people areas`` shows: the published table, the first areas (``--json`` has them all)."""
    rows = [(r.code, *("·" if v is None else f"{v:,}" for v in r.cells)) for r in counts.rows]
    totals = ("total", *("·" if v is None else f"{v:,}" for v in counts.column_totals))
    more = f"… {len(rows) - shown} more areas (use --json for all)" if len(rows) > shown else None
    note = (
        "· suppressed (counts from {0} to {1}, and where a total would give one away); "
        "the rest rounded to {2}"
    )
    policy = counts.policy
    table = TableView.of(
        f"People by LSOA and {counts.by} ({counts.purpose})",
        ("area", *counts.columns),
        [*rows[:shown], totals],
        note="\n".join(
            filter(None, (more, note.format(policy.suppress_from, policy.suppress_to, policy.round_to)))
        ),
    )
    headline = (
        f"{len(counts.rows)} areas; {counts.suppressed_primary} small counts suppressed and "
        f"{counts.suppressed_secondary} more to protect them"
    )
    return CommandView(counts.to_dict(), headline, (table,))
