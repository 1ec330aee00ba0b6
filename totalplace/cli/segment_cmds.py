"""The census and segment commands: import census tables, derive variables, build or assign segments."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, console, table
from totalplace.datasets.census import Layout
from totalplace.engines.segment.assign import centroids_csv, ranges_csv, read_centroids, read_ranges
from totalplace.engines.segment.census import import_census
from totalplace.engines.segment.run import (
    BuildRequest,
    assign_segmentation,
    build_segmentation,
    diagnose,
    variables_for,
)
from totalplace.engines.segment.spec import load_spec
from totalplace.place import Place
from totalplace.store.segments import (
    SegmentationRow,
    clusters_of,
    get_segmentation,
    list_segmentations,
    members_of,
    rename_cluster,
)

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
_SPEC_HELP = "A packaged specification (oac2021, oac2011_initial) or a YAML file."


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
    """Import census tables (long or wide), each refused whole with every problem listed if any row is bad."""
    spec = load_spec(spec_name)
    results: list[dict[str, Any]] = []
    with out.progress("importing census tables") as say:
        for number, file in enumerate(files, start=1):
            say(f"{file.name} ({number} of {len(files)})")
            result, info = import_census(
                place, file, spec, table=table_name, layout=cast(Layout, layout), actor="cli"
            )
            results.append({"file": file.name, "status": result.status, "batch": result.batch.id, **info})

    def render() -> None:
        table(
            f"Census tables for {spec.name}",
            ("file", "table", "layout", "areas", "counts", "status", "batch"),
            [
                (r["file"], r["table"], r["layout"], r["areas"], f"{r['counts']:,}", r["status"], r["batch"])
                for r in results
            ],
        )

    out.emit({"imported": results}, render)


@census_group.command("variables")
@click.option("--spec", "spec_name", default="oac2021", show_default=True, help=_SPEC_HELP)
@with_place
def census_variables(place: Place, out: Output, spec_name: str) -> None:
    """Derive the specification's variables from the imported tables; show ranges and what is missing."""
    matrix = variables_for(place, load_spec(spec_name))

    def render() -> None:
        console.print(
            f"[bold]{matrix.spec.title}[/]: {len(matrix.codes)} of {len(matrix.spec.variables)} variables "
            f"derived for {len(matrix.areas):,} areas"
        )
        table(
            "Variables",
            ("code", "name", "measure", "min", "mean", "max", "zero denominators"),
            [
                (
                    v["code"],
                    v["name"],
                    v["measure"],
                    f"{v['min']:.2f}",
                    f"{v['mean']:.2f}",
                    f"{v['max']:.2f}",
                    v["zero_denominators"],
                )
                for v in matrix.summary()
            ],
        )
        if matrix.missing:
            table(
                "Not derived",
                ("code", "name", "table", "why"),
                [(m.code, m.name, m.table, m.reason) for m in matrix.missing],
            )

    out.emit(matrix.to_dict(), render)


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
    )
    with out.progress("segmenting") as say:
        seg = build_segmentation(place, spec, request, actor="cli", progress=say)
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
    with out.progress("trying each k"):
        rows = diagnose(place, load_spec(spec_name), _int_list(ks, "--k"), starts=starts, seed=seed)
    out.emit(
        {"diagnostics": rows},
        lambda: table(
            "Choosing k (lower WCSS, higher silhouette; avoid tiny clusters)",
            ("k", "WCSS", "silhouette", "smallest cluster", "sizes"),
            [
                (
                    r["k"],
                    f"{r['wcss']:.1f}",
                    "" if r["silhouette"] is None else f"{r['silhouette']:.3f}",
                    f"{100 * r['smallest_share']:.1f}%",
                    ", ".join(map(str, r["sizes"])),
                )
                for r in rows
            ],
        ),
    )


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
@with_place
def segment_assign(
    place: Place,
    out: Output,
    centroids: Path,
    ranges_file: Path | None,
    spec_name: str,
    name: str | None,
    replace: bool,
) -> None:
    """Assign each area to the nearest centroid of a published classification, with the runner-up."""
    seg = assign_segmentation(
        place,
        load_spec(spec_name),
        read_centroids(centroids),
        name=name or centroids.stem.split(".")[0].lower().replace(" ", "-")[:60],
        ranges=read_ranges(ranges_file) if ranges_file else None,
        actor="cli",
        replace=replace,
    )
    _show(place, out, seg)


@segment_group.command("list")
@with_place
def segment_list(place: Place, out: Output) -> None:
    """The place's segmentations."""
    with place.read() as conn:
        rows = list_segmentations(conn)
    out.emit(
        {"segmentations": [r.to_dict() for r in rows]},
        lambda: table(
            "Segmentations",
            ("name", "method", "spec", "levels", "seed", "created"),
            [
                (r.name, r.method, r.spec, "/".join(map(str, r.levels)), r.seed, r.created_at[:19])
                for r in rows
            ],
        ),
    )


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
    with place.begin() as conn:
        rename_cluster(conn, name, code, new_name.strip()[:200], actor="cli")
    out.emit(
        {"renamed": {"segmentation": name, "code": code, "name": new_name}},
        lambda: console.print(f"{name} {code} is now {new_name!r}"),
    )


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
    with place.read() as conn:
        seg = get_segmentation(conn, name)
        chosen = [c for c in clusters_of(conn, seg.id) if c.level == level and c.centroid is not None]
    if not chosen:
        raise click.BadParameter(f"{name} has no centroids at level {level}", param_hint="--level")
    centroids_out.write_text(
        centroids_csv([c.code for c in chosen], seg.variables, [c.centroid or [] for c in chosen]),
        encoding="utf-8",
    )
    if ranges_out is not None and seg.ranges:
        ranges_out.write_text(ranges_csv(seg.ranges), encoding="utf-8")
    out.emit(
        {
            "centroids": str(centroids_out),
            "clusters": len(chosen),
            "ranges": None if ranges_out is None else str(ranges_out),
        },
        lambda: console.print(f"wrote {len(chosen)} centroids to {centroids_out}"),
    )


@segment_group.command("report")
@click.argument("name")
@click.option("--pdf", "pdf_out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--html", "html_out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@with_place
def segment_report(place: Place, out: Output, name: str, pdf_out: Path | None, html_out: Path | None) -> None:
    """Write the segmentation as a report for partners: maps and profiles of each level, and the clusters."""
    from totalplace.reports.render import to_pdf
    from totalplace.reports.segment_report import segment_report_html

    if pdf_out is None and html_out is None:
        raise click.BadParameter("say where to write it", param_hint="--pdf FILE or --html FILE")
    with out.progress("drawing the report"):
        html = segment_report_html(place, name)
        if html_out is not None:
            html_out.write_text(html, encoding="utf-8")
        if pdf_out is not None:
            pdf_out.write_bytes(to_pdf(html))
    written = [str(p) for p in (pdf_out, html_out) if p is not None]
    out.emit({"written": written}, lambda: console.print(f"wrote {', '.join(written)}"))


def _show(place: Place, out: Output, seg: SegmentationRow, *, with_areas: bool = False) -> None:
    with place.read() as conn:
        clusters = clusters_of(conn, seg.id)
        members = members_of(conn, seg.id) if with_areas or seg.method == "assign" else []
    data: dict[str, Any] = {**seg.to_dict(), "clusters": [c.to_dict() for c in clusters]}
    if with_areas:
        data["areas"] = [m.__dict__ for m in members]

    def render() -> None:
        console.print(
            f"[bold]{seg.title}[/] ({seg.name}): {sum(c.size for c in clusters if c.level == 0):,} areas, "
            f"{len(seg.variables)} variables"
            + (f", seed {seg.seed}, {seg.starts} starts" if seg.seed is not None else "")
        )
        table(
            "Clusters",
            ("code", "name", "areas", "description"),
            [("  " * c.level + c.code, c.name, c.size, c.description) for c in clusters],
        )
        if seg.method == "assign":
            doubtful = seg.detail.get("doubtful", [])[:10]
            table(
                "Most doubtful areas (smallest margin to the runner-up)",
                ("area", "cluster", "distance", "runner-up", "its distance"),
                [
                    (d["area"], d["code"], d["distance"], d["runner_up"], d["runner_up_distance"])
                    for d in doubtful
                ],
            )
            missing = seg.detail.get("variables_missing") or []
            if missing:
                console.print(
                    f"[yellow]assigned on {len(seg.variables)} variables; not in the place's data:[/] "
                    + ", ".join(missing)
                )

    out.emit(data, render)
