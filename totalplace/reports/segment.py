"""The views of segmentation: the pages (the list, one segmentation, choosing k), its GeoJSON, the report for
partners, and what the census and segment commands print.

A page view's ``to_dict()`` is the page's JSON twin; its ``charts`` are drawn on the page. A command's view
holds its ``--json`` document (``to_dict()``) and the headline and tables a person reads, already formatted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from totalplace.engines.segment.census import CensusImport
from totalplace.engines.segment.cluster import Diagnostic
from totalplace.engines.segment.compare import Comparison
from totalplace.engines.segment.coverage import VariableShare, stored_share
from totalplace.engines.segment.variables import VariableMatrix
from totalplace.reports.command import CommandView
from totalplace.reports.render import render_html
from totalplace.reports.table import Column, TableView
from totalplace.store import areas as area_store
from totalplace.store.segments import (
    ClusterRow,
    MemberRow,
    SegmentationRow,
    clusters_of,
    get_segmentation,
    members_of,
)

if TYPE_CHECKING:
    from totalplace.place import Place
    from totalplace.reports.charts import RenderedChart


def _right(header: str) -> Column:
    return Column(header, "right")


# ---- the map, the heat map and the report ----------------------------------------------------------------


def _labels(place: Place, seg: SegmentationRow, clusters: list[ClusterRow], level: int) -> dict[str, str]:
    """Each area's cluster code at ``level`` (walking up from the finest level it was stored at)."""
    parent = {c.code: c.parent_code for c in clusters}
    depth = {c.code: c.level for c in clusters}
    with place.read() as conn:
        members = members_of(conn, seg.id)
    out = {}
    for member in members:
        code: str | None = member.code
        while code is not None and depth.get(code, 0) > level:
            code = parent.get(code)
        out[member.area_code] = code or member.code
    return out


def segment_features(place: Place, seg: SegmentationRow, level: int) -> list[dict[str, Any]]:
    """The segmentation's areas as GeoJSON features with their cluster code and name at ``level``."""
    with place.read() as conn:
        clusters = clusters_of(conn, seg.id)
        outlines = area_store.boundaries(conn, seg.level)
    labels = _labels(place, seg, clusters, level)
    names = {c.code: c.name for c in clusters}
    legend = {c.code: c.label for c in clusters}
    return [
        {
            "type": "Feature",
            "geometry": json.loads(geometry),
            "properties": {
                "code": code,
                "name": name,
                "segment": labels[code],
                "segment_name": names.get(labels[code], labels[code]),
                "label": legend.get(labels[code], labels[code]),
            },
        }
        for code, name, _, geometry in outlines
        if code in labels
    ]


def segment_collection(place: Place, seg: SegmentationRow, level: int) -> dict[str, Any]:
    """The areas of ``level`` as a GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": segment_features(place, seg, level)}


def _heat_rows(seg: SegmentationRow, clusters: Sequence[ClusterRow], level: int) -> list[dict[str, Any]]:
    """Index scores of the level's non-empty clusters, floored at 1 for the log scale, by variable name."""
    names = {v.code: v.name for v in seg.detail.variables.variables}
    return [
        {"cluster": c.code, "variable": names.get(code, code), "index": max(1.0, score)}
        for c in clusters
        if c.level == level and c.size
        for code, score in c.profile.index.items()
        if score is not None
    ]


def segment_charts(
    place: Place, seg: SegmentationRow, clusters: list[ClusterRow], level: int
) -> dict[str, RenderedChart]:
    """The map of ``level`` and the heat map of its clusters' index scores."""
    from totalplace.reports.charts import choropleth, index_heatmap  # Altair: only when drawing

    charts: dict[str, RenderedChart] = {}
    features = segment_features(place, seg, level)
    if features:
        charts["map"] = choropleth(
            features,
            value="label",
            title=f"{seg.name}, level {level + 1}",
            value_title="cluster",
            categorical=True,
        )
    rows = _heat_rows(seg, clusters, level)
    if rows:
        charts["profiles"] = index_heatmap(rows, title="Index scores against the place (100 = average)")
    return charts


def segment_report_html(place: Place, name: str, progress: Callable[[str], None] | None = None) -> str:
    """The whole segmentation, level by level, as a standalone HTML document (for PDF); ``progress`` is told
    each level as its map and profiles are drawn (most of the time the report takes)."""
    with place.read() as conn:
        seg = get_segmentation(conn, name)
        clusters = clusters_of(conn, seg.id)
    levels = []
    for level in range(len(seg.levels)):
        if progress:
            progress(f"drawing level {level + 1} of {len(seg.levels)}")
        chosen = [c for c in clusters if c.level == level]
        levels.append(
            {"number": level + 1, "clusters": chosen, "charts": segment_charts(place, seg, clusters, level)}
        )
    return render_html(
        "segments_report.html",
        seg=seg,
        share=stored_share(seg),
        levels=levels,
        place_name=place.config.name,
    )


# ---- the pages ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentsPage:
    """The list of segmentations, the packaged specifications to build from, and whether the user may."""

    segmentations: tuple[SegmentationRow, ...]
    specs: tuple[str, ...]
    can_build: bool

    def to_dict(self) -> dict[str, Any]:
        """The page's JSON twin."""
        return {
            "segmentations": [
                {**s.to_dict(), "variable_share": stored_share(s).to_dict()} for s in self.segmentations
            ],
            "specs": list(self.specs),
            "can_build": self.can_build,
        }


def segments_page(rows: Sequence[SegmentationRow], specs: Iterable[str], *, can_build: bool) -> SegmentsPage:
    """The segmentations page (specifications in name order)."""
    return SegmentsPage(tuple(rows), tuple(sorted(specs)), can_build)


@dataclass(frozen=True, slots=True)
class SegmentPage:
    """One segmentation at one level: its clusters, the map and the heat map of index scores."""

    segmentation: SegmentationRow
    clusters: tuple[ClusterRow, ...]
    level: int
    can_rename: bool
    charts: dict[str, RenderedChart] = field(default_factory=dict)

    @property
    def variable_share(self) -> VariableShare:
        """The share of its variables the segmentation rests on (shown on the page)."""
        return stored_share(self.segmentation)

    def to_dict(self) -> dict[str, Any]:
        """The page's JSON twin."""
        return {
            "segmentation": self.segmentation.to_dict(),
            "variable_share": self.variable_share.to_dict(),
            "level": self.level,
            "levels": list(range(len(self.segmentation.levels))),
            "clusters": [c.to_dict() for c in self.clusters],
            "can_rename": self.can_rename,
        }


def segment_page(
    place: Place, seg: SegmentationRow, clusters: list[ClusterRow], level: int, *, can_rename: bool
) -> SegmentPage:
    """The page of one segmentation at ``level`` (0 the coarsest)."""
    return SegmentPage(seg, tuple(clusters), level, can_rename, segment_charts(place, seg, clusters, level))


@dataclass(frozen=True, slots=True)
class DiagnosePage:
    """Choosing k: each k's fit, and the elbow and silhouette charts."""

    spec: str
    starts: int
    diagnostics: tuple[Diagnostic, ...]
    charts: dict[str, RenderedChart] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The page's JSON twin."""
        return {
            "spec": self.spec,
            "starts": self.starts,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


def diagnose_page(spec: str, starts: int, rows: Sequence[Diagnostic]) -> DiagnosePage:
    """The choosing-k page for specification ``spec``."""
    from totalplace.reports.charts import diagnostics_chart  # Altair: only when drawing

    chart = diagnostics_chart([d.to_dict() for d in rows], title=f"Choosing k for {spec}")
    return DiagnosePage(spec, starts, tuple(rows), {"diagnostics": chart})


# ---- what the commands print -----------------------------------------------------------------------------


def census_import_view(run: CensusImport) -> CommandView:
    """The census tables imported (one row each), the files skipped, and the tables none of the files held."""
    rows = [t.to_dict() for t in run.imported]
    # Published extracts share a long prefix (trafford_census2021_oa_2021_...): print it once, in the note.
    names = [t.file for t in run.imported] + [s.file for s in run.skipped]
    prefix = os.path.commonprefix(names) if len(names) > 1 else ""  # noqa: RUF071 (names, not paths)
    note = f"file names shortened: each begins {prefix}" if len(prefix) > 8 else None
    cut = len(prefix) if note else 0
    tables = [
        TableView.of(
            f"Census tables for {run.spec}",
            ("file", "table", "layout", _right("areas"), _right("counts"), "status", _right("batch")),
            [
                (
                    "…" * bool(cut) + r["file"][cut:],
                    r["table"],
                    r["layout"],
                    r["areas"],
                    f"{r['counts']:,}",
                    r["status"],
                    r["batch"],
                )
                for r in rows
            ],
            note=note,
        )
    ]
    if run.skipped:
        tables.append(
            TableView.of(
                f"Skipped: {len(run.skipped)} file(s) holding tables {run.spec} does not read",
                ("file", "why"),
                [("…" * bool(cut) + s.file[cut:], s.reason) for s in run.skipped],
            )
        )
    headline = f"imported {len(run.imported)} table(s), skipped {len(run.skipped)} file(s)"
    if run.tables_not_given:
        headline += (
            f"; not in these files: {', '.join(run.tables_not_given)} "
            f"({len(run.variables_needing_them)} variable(s) need them)"
        )
    return CommandView(run.to_dict(), headline, tuple(tables))


def _two(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def variables_view(matrix: VariableMatrix) -> CommandView:
    """The variables derived from the imported tables: each one's range, and what is missing."""
    summary = matrix.describe()
    tables = [
        TableView.of(
            "Variables",
            (
                "code",
                "name",
                "measure",
                _right("min"),
                _right("mean"),
                _right("max"),
                _right("zero denominators"),
            ),
            [
                (v.code, v.name, v.measure, _two(v.min), _two(v.mean), _two(v.max), v.zero_denominators)
                for v in summary.variables
            ],
        )
    ]
    if summary.missing:
        tables.append(
            TableView.of(
                "Not derived",
                ("code", "name", "table", "why"),
                [(m.code, m.name, m.table, m.reason) for m in summary.missing],
            )
        )
    headline = (
        f"[bold]{matrix.spec.title}[/]: {summary.derived} of {summary.of_total} variables "
        f"derived for {summary.areas:,} areas"
    )
    return CommandView(summary.to_dict(), headline, tuple(tables))


def diagnostics_view(rows: Sequence[Diagnostic]) -> CommandView:
    """Each k's fit as the command prints it."""
    table = TableView.of(
        "Choosing k (lower WCSS, higher silhouette; avoid tiny clusters)",
        (_right("k"), _right("WCSS"), _right("silhouette"), _right("smallest cluster"), "sizes"),
        [
            (
                r.k,
                f"{r.wcss:.1f}",
                "" if r.silhouette is None else f"{r.silhouette:.3f}",
                f"{100 * r.smallest_share:.1f}%",
                ", ".join(map(str, r.sizes)),
            )
            for r in rows
        ],
    )
    return CommandView({"diagnostics": [r.to_dict() for r in rows]}, tables=(table,))


def segmentation_list_view(rows: Sequence[SegmentationRow]) -> CommandView:
    """The place's segmentations, newest first."""
    table = TableView.of(
        "Segmentations",
        ("name", "method", "spec", "levels", "variables", _right("seed"), "created"),
        [
            (
                r.name,
                r.method,
                r.spec,
                "/".join(map(str, r.levels)),
                stored_share(r).sentence(),
                r.seed,
                r.created_at[:19],
            )
            for r in rows
        ],
    )
    document = [{**r.to_dict(), "variable_share": stored_share(r).to_dict()} for r in rows]
    return CommandView({"segmentations": document}, tables=(table,))


def _doubtful_table(seg: SegmentationRow) -> TableView:
    """An assignment's most doubtful areas, with the centroid variables the place lacks as its note."""
    missing = seg.detail.variables_missing or ()
    note = (
        f"[yellow]assigned on {len(seg.variables)} variables; not in the place's data:[/] "
        + ", ".join(missing)
        if missing
        else None
    )
    return TableView.of(
        "Most doubtful areas (smallest margin to the runner-up)",
        ("area", "cluster", _right("distance"), "runner-up", _right("its distance")),
        [
            (d.area, d.code, d.distance, d.runner_up, d.runner_up_distance)
            for d in (seg.detail.doubtful or ())[:10]
        ],
        note=note,
    )


def segmentation_view(
    seg: SegmentationRow, clusters: Sequence[ClusterRow], members: Sequence[MemberRow] | None = None
) -> CommandView:
    """A segmentation's clusters with sizes and descriptions (and each area's cluster, when ``members``)."""
    share = stored_share(seg)
    document: dict[str, Any] = {
        **seg.to_dict(),
        "variable_share": share.to_dict(),
        "clusters": [c.to_dict() for c in clusters],
    }
    if members is not None:
        document["areas"] = [m.to_dict() for m in members]
    said = share.sentence()
    headline = (
        f"[bold]{seg.title}[/] ({seg.name}): {sum(c.size for c in clusters if c.level == 0):,} areas, "
        + (f"[yellow]{said} (partial, as asked)[/]" if share.partial else said)
        + (f", seed {seg.seed}, {seg.starts} starts" if seg.seed is not None else "")
    )
    tables = [
        TableView.of(
            "Clusters",
            ("code", "name", _right("areas"), "description"),
            [("  " * c.level + c.code, c.name, c.size, c.description) for c in clusters],
        )
    ]
    if seg.method == "assign":
        tables.append(_doubtful_table(seg))
    return CommandView(document, headline, tuple(tables))


def renamed_view(name: str, code: str, new_name: str) -> CommandView:
    """A cluster given a new name."""
    return CommandView(
        {"renamed": {"segmentation": name, "code": code, "name": new_name}},
        f"{name} {code} is now {new_name!r}",
    )


def exported_view(clusters: int, centroids: Path, ranges: Path | None) -> CommandView:
    """A classification's centroids (and ranges) written for another place."""
    return CommandView(
        {
            "centroids": str(centroids),
            "clusters": clusters,
            "ranges": None if ranges is None else str(ranges),
        },
        f"wrote {clusters} centroids to {centroids}",
    )


def written_view(paths: Sequence[Path]) -> CommandView:
    """Documents written (a report as PDF, HTML or both)."""
    written = [str(p) for p in paths]
    return CommandView({"written": written}, f"wrote {', '.join(written)}")


def comparison_view(result: Comparison) -> CommandView:
    """A classification against published labels: the three measures, the matching and the cross-table."""
    headline = (
        f"[bold]{result.segmentation}[/] level {result.level} against the labels, over {result.areas:,} "
        f"areas: agreement {result.agreement:.1%} (best one-to-one matching), adjusted Rand index "
        f"{result.adjusted_rand:.3f}, normalised mutual information "
        f"{result.normalised_mutual_information:.3f}"
    )
    if result.only_ours or result.only_theirs:
        headline += (
            f"; {result.only_ours:,} of our areas have no label, {result.only_theirs:,} labelled areas are "
            "not ours"
        )
    matched = {m.cluster: m.label for m in result.matches}
    matches = TableView.of(
        "Best matching (each of our clusters to one label)",
        ("cluster", "label", _right("areas in both"), _right("of the cluster's")),
        [
            (m.cluster, m.label, f"{m.areas:,}", f"{sum(result.table[result.clusters.index(m.cluster)]):,}")
            for m in result.matches
        ],
    )
    cross = TableView.of(
        "Cross-table: our clusters (rows) by the published labels (columns)",
        ("cluster", *(_right(label) for label in result.labels), "matched to"),
        [
            (cluster, *(f"{n:,}" for n in row), matched.get(cluster, ""))
            for cluster, row in zip(result.clusters, result.table, strict=True)
        ],
    )
    return CommandView(result.to_dict(), headline, (matches, cross))
