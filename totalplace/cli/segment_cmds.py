"""The census and segment commands: import census tables, derive variables, build or assign segments."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, print_tables
from totalplace.datasets.census import Layout
from totalplace.engines.segment.assign import read_centroids, read_ranges
from totalplace.engines.segment.census import import_census_files
from totalplace.engines.segment.run import (
    BuildRequest,
    assign_segmentation,
    build_segmentation,
    diagnose,
    publish,
    variables_for,
)
from totalplace.engines.segment.spec import load_spec
from totalplace.governance.roles import OPERATOR, trusted
from totalplace.place import Place
from totalplace.store.segments import (
    SegmentationRow,
    clusters_of,
    get_segmentation,
    list_segmentations,
    members_of,
    rename_cluster,
)

if TYPE_CHECKING:
    from totalplace.reports.command import CommandView

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
_SPEC_HELP = "A packaged specification (oac2021, oac2011_initial) or a YAML file."


def _print(out: Output, view: CommandView) -> None:
    """The view's ``--json`` document, or its headline and tables for a person."""
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


def _int_list(text: str, option: str) -> list[int]:
    try:
        if "-" in text and "," not in text:
            low, high = (int(p) for p in text.split("-", 1))
            return list(range(low, high + 1))
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise click.BadParameter(
            f"{text!r} should be numbers like 4,18 or a range like 2-10", param_hint=option
        ) from None


@click.group("census")
def census_group() -> None:
    """Census topic tables by output area: import them and derive classification variables."""


@census_group.command("import")
@click.argument("files", type=_FILE, nargs=-1, required=True)
@click.option("--spec", "spec_name", default="oac2021", show_default=True, help=_SPEC_HELP)
@click.option(
    "--table",
    "table_name",
    default=None,
    help="The table the file holds (recognised from its categories if not).",
)
@click.option("--layout", type=click.Choice(["auto", "long", "wide"]), default="auto", show_default=True)
@with_place
def census_import(
    place: Place, out: Output, files: tuple[Path, ...], spec_name: str, table_name: str | None, layout: str
) -> None:
    """Import the census tables the specification reads (long or wide); list and skip files holding others.

    Every file is checked before any is kept: a bad row in any table refuses them all, every problem listed.
    """
    from totalplace.reports.segment import census_import_view

    spec = load_spec(spec_name)
    with out.progress("importing census tables") as say:
        run = import_census_files(
            place,
            list(files),
            spec,
            table=table_name,
            layout=cast(Layout, layout),
            principal=OPERATOR,
            progress=say,
        )
    _print(out, census_import_view(run))


@census_group.command("variables")
@click.option("--spec", "spec_name", default="oac2021", show_default=True, help=_SPEC_HELP)
@with_place
def census_variables(place: Place, out: Output, spec_name: str) -> None:
    """Derive the specification's variables from the imported tables; show ranges and what is missing."""
    from totalplace.reports.segment import variables_view

    _print(out, variables_view(variables_for(place, load_spec(spec_name))))


@click.group("segment")
def segment_group() -> None:
    """Geodemographic segmentation: build a classification, assign to a published one, name clusters."""


@segment_group.command("build")
@click.argument("spec_name", metavar="SPEC", default="oac2021")
@click.option("--levels", default="4,18", show_default=True, help="Clusters per level, e.g. 4,18 or 8,21,52.")
@click.option("--seed", type=int, required=True, help="The same seed always gives the same classification.")
@click.option(
    "--starts",
    type=click.IntRange(1, 10_000),
    default=100,
    show_default=True,
    help="Random starts per k-means.",
)
@click.option("--name", default=None, help="Name to keep it under (default: SPEC-LEVELS).")
@click.option(
    "--ranges",
    "ranges_file",
    type=_FILE,
    default=None,
    help="Standardise with these ranges (variable,min,max).",
)
@click.option("--replace", is_flag=True, help="Replace a segmentation of the same name.")
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Keep it even on fewer than 90% of the variables (the share is shown on it).",
)
@with_place
def segment_build(
    place: Place,
    out: Output,
    spec_name: str,
    levels: str,
    seed: int,
    starts: int,
    name: str | None,
    ranges_file: Path | None,
    replace: bool,
    allow_partial: bool,
) -> None:
    """Build a classification of the place's areas in the manner of the Output Area Classification."""
    spec = load_spec(spec_name)
    level_list = _int_list(levels, "--levels")
    request = BuildRequest(
        name or f"{spec.name}-{'-'.join(map(str, level_list))}",
        level_list,
        seed,
        starts,
        ranges=read_ranges(ranges_file) if ranges_file else None,
        replace=replace,
        allow_partial=allow_partial,
    )
    with out.progress("segmenting") as say:
        seg = build_segmentation(place, spec, request, principal=trusted("cli"), progress=say)
    _show(place, out, seg)


@segment_group.command("diagnose")
@click.argument("spec_name", metavar="SPEC", default="oac2021")
@click.option(
    "--k", "ks", default="2-10", show_default=True, help="The values of k to try, e.g. 2-10 or 4,6,8."
)
@click.option("--starts", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@with_place
def segment_diagnose(place: Place, out: Output, spec_name: str, ks: str, starts: int, seed: int) -> None:
    """Help choose k: within-cluster sum of squares, silhouette and cluster sizes for each k."""
    from totalplace.reports.segment import diagnostics_view

    with out.progress("trying each k"):
        rows = diagnose(place, load_spec(spec_name), _int_list(ks, "--k"), starts=starts, seed=seed)
    _print(out, diagnostics_view(rows))


@segment_group.command("assign")
@click.option(
    "--centroids", type=_FILE, required=True, help="CSV: cluster code, then one column per variable."
)
@click.option(
    "--ranges",
    "ranges_file",
    type=_FILE,
    default=None,
    help="The classification's ranges (variable,min,max).",
)
@click.option("--spec", "spec_name", default="oac2021", show_default=True, help=_SPEC_HELP)
@click.option("--name", default=None, help="Name to keep it under (default: the centroids file's name).")
@click.option("--replace", is_flag=True, help="Replace a segmentation of the same name.")
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Keep it even on fewer than 90% of the variables (the share is shown on it).",
)
@with_place
def segment_assign(
    place: Place,
    out: Output,
    centroids: Path,
    ranges_file: Path | None,
    spec_name: str,
    name: str | None,
    replace: bool,
    allow_partial: bool,
) -> None:
    """Assign each area to the nearest centroid of a published classification, with the runner-up."""
    seg = assign_segmentation(
        place,
        load_spec(spec_name),
        read_centroids(centroids),
        name=name or centroids.stem.split(".")[0].lower().replace(" ", "-")[:60],
        ranges=read_ranges(ranges_file) if ranges_file else None,
        principal=trusted("cli"),
        replace=replace,
        allow_partial=allow_partial,
    )
    _show(place, out, seg)


@segment_group.command("compare")
@click.argument("name")
@click.option("--labels", "labels_file", type=_FILE, required=True, help="CSV of area code, label.")
@click.option(
    "--level", type=int, default=0, show_default=True, help="Which level to compare (0 the coarsest)."
)
@click.option("--column", default=None, help="The label column, when the file has several.")
@with_place
def segment_compare(
    place: Place, out: Output, name: str, labels_file: Path, level: int, column: str | None
) -> None:
    """Compare a classification with a published one's labels: agreement, ARI, NMI and the cross-table."""
    from totalplace.engines.segment.compare import compare_segmentation
    from totalplace.reports.segment import comparison_view

    _print(out, comparison_view(compare_segmentation(place, name, labels_file, level=level, column=column)))


@segment_group.command("list")
@with_place
def segment_list(place: Place, out: Output) -> None:
    """The place's segmentations."""
    from totalplace.reports.segment import segmentation_list_view

    with place.read() as conn:
        rows = list_segmentations(conn)
    _print(out, segmentation_list_view(rows))


@segment_group.command("show")
@click.argument("name")
@click.option("--areas", "with_areas", is_flag=True, help="Also list every area's cluster.")
@with_place
def segment_show(place: Place, out: Output, name: str, with_areas: bool) -> None:
    """A segmentation's clusters with sizes and descriptions (and, with --areas, each area's cluster)."""
    with place.read() as conn:
        seg = get_segmentation(conn, name)
    _show(place, out, seg, with_areas=with_areas)


@segment_group.command("rename")
@click.argument("name")
@click.argument("code")
@click.argument("new_name")
@with_place
def segment_rename(place: Place, out: Output, name: str, code: str, new_name: str) -> None:
    """Give cluster CODE of segmentation NAME a name people will use."""
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.segment import renamed_view

    with place.begin() as conn:
        rename_cluster(conn, name, code, new_name.strip()[:200], principal=OPERATOR)
    _print(out, renamed_view(name, code, new_name))


@segment_group.command("export")
@click.argument("name")
@click.option(
    "--level", type=int, default=0, show_default=True, help="Which level's centroids (0 the coarsest)."
)
@click.option("--centroids", "centroids_out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--ranges", "ranges_out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@with_place
def segment_export(
    place: Place, out: Output, name: str, level: int, centroids_out: Path, ranges_out: Path | None
) -> None:
    """Write a classification's centroids (and ranges) so another place can assign its areas to it."""
    from totalplace.reports.segment import exported_view

    published = publish(place, name, level)
    if not published.clusters:
        raise click.BadParameter(f"{name} has no centroids at level {level}", param_hint="--level")
    centroids_out.write_text(published.centroids_csv, encoding="utf-8")
    if ranges_out is not None and published.ranges_csv is not None:
        ranges_out.write_text(published.ranges_csv, encoding="utf-8")
    _print(out, exported_view(published.clusters, centroids_out, ranges_out))


@segment_group.command("report")
@click.argument("name")
@click.option("--pdf", "pdf_out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--html", "html_out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@with_place
def segment_report(place: Place, out: Output, name: str, pdf_out: Path | None, html_out: Path | None) -> None:
    """Write the segmentation as a report for partners: maps and profiles of each level, and the clusters."""
    from totalplace.reports.render import to_pdf
    from totalplace.reports.segment import segment_report_html, written_view

    if pdf_out is None and html_out is None:
        raise click.BadParameter("say where to write it", param_hint="--pdf FILE or --html FILE")
    with out.progress(f"the report of {name}") as say:
        html = segment_report_html(place, name, progress=say)
        if html_out is not None:
            html_out.write_text(html, encoding="utf-8")
        if pdf_out is not None:
            say("printing the PDF")
            pdf_out.write_bytes(to_pdf(html))
    _print(out, written_view([p for p in (pdf_out, html_out) if p is not None]))


def _show(place: Place, out: Output, seg: SegmentationRow, *, with_areas: bool = False) -> None:
    from totalplace.reports.segment import segmentation_view

    with place.read() as conn:
        clusters = clusters_of(conn, seg.id)
        members = members_of(conn, seg.id) if with_areas else None
    _print(out, segmentation_view(seg, clusters, members))
