"""Commands that bring data in and look at it: imports, geography, datasets, SQL queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from totalplace.cli.common import parse_pairs, with_place
from totalplace.cli.output import Output, console, table
from totalplace.cli.records_cmds import import_records_cmd
from totalplace.datasets.limits import ImportLimits
from totalplace.datasets.mapping import load_column_mapping
from totalplace.datasets.request import ImportRequest, ImportResult
from totalplace.datasets.spend_formats import FORMATS
from totalplace.governance.roles import OPERATOR
from totalplace.money import Money
from totalplace.place import Place
from totalplace.store.areas import AREA_LEVELS, list_areas, summary
from totalplace.store.catalog import get_batch, list_batches

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


def _show_import(out: Output, result: ImportResult) -> None:
    batch = result.batch

    def render() -> None:
        if result.status == "unchanged":
            console.print(
                f"[yellow]unchanged[/]: these exact bytes were imported before as batch {batch.id} "
                f"({batch.source_name}, {batch.imported_at[:19]}); nothing was written."
            )
            return
        totals = ", ".join(f"{k.removesuffix('_pence')} {Money(v)}" for k, v in batch.totals.items())
        console.print(
            f"[green]imported[/] {batch.source_name} as batch {batch.id}: {batch.row_count:,} rows"
            + (f", total {totals}" if totals else "")
        )
        if result.skipped_rows_above_header:
            console.print(f"  skipped {result.skipped_rows_above_header} rows above the header")
        if result.totals_rows_checked:
            console.print(f"  checked {result.totals_rows_checked} totals row(s) below the table: they agree")
        effect = dict(result.effect)
        repaired = effect.pop("repaired_rows", [])
        if effect:
            console.print("  " + ", ".join(f"{k} {v}" for k, v in effect.items()))
        if repaired:
            shown = ", ".join(map(str, repaired[:8])) + (", …" if len(repaired) > 8 else "")
            console.print(
                f"  [yellow]repaired {len(repaired):,} rows[/] whose delimiters were lost in the file "
                f"(rows {shown}); --json lists them all"
            )

    out.emit(result.to_dict(), render)


def run_import(place: Place, out: Output, file: Path, request: ImportRequest) -> None:
    from totalplace.datasets.importer import import_file  # PyArrow and pandas: only when importing

    with out.progress(f"importing {file.name}") as say:
        result = import_file(place, file, request, principal=OPERATOR, progress=say)
    _show_import(out, result)


@click.group("import")
def import_group() -> None:
    """Import a partner's data file (refused whole, with every problem listed, if any row is bad)."""


@import_group.command("spend")
@click.argument("file", type=_FILE)
@click.option("--partner", required=True, help="The partner whose spending this is.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *FORMATS, "cra"]),
    default="auto",
    show_default=True,
    help="transparency (council spend files), 360giving (grants), card (purchase cards), mapped.",
)
@click.option(
    "--mapping",
    type=_FILE,
    default=None,
    help="YAML naming the file's headers: {columns: {date: ..., supplier: ..., amount: ...}}.",
)
@click.option("--region", default=None, help='cra: the place\'s region, e.g. "North West".')
@click.option("--year", default=None, help="cra: the financial year column, e.g. 2017-18.")
@click.option("--region-population", type=int, default=None, help="cra: the region's population.")
@click.option(
    "--place-population",
    type=int,
    default=None,
    help="cra: the place's population (default: the sum of its LSOA populations).",
)
@with_place
def import_spend(
    place: Place,
    out: Output,
    file: Path,
    partner: str,
    fmt: str,
    mapping: Path | None,
    region: str | None,
    year: str | None,
    region_population: int | None,
    place_population: int | None,
) -> None:
    """Import a partner's spending lines as published.

    If any row is bad nothing is imported, every problem is listed, and the exit code is 2. With
    --format cra, HM Treasury's Country and Regional Analysis is apportioned to the place by population.
    """
    columns = load_column_mapping(mapping) if mapping else {}
    if fmt == "mapped" and not columns:
        raise click.BadParameter("the mapped format needs --mapping FILE.yaml", param_hint="--format")
    if fmt != "cra":
        run_import(place, out, file, ImportRequest("spend", partner, format=fmt, mapping=columns))
        return
    if not (region and year and region_population):
        raise click.BadParameter(
            "the cra format needs --region, --year and --region-population", param_hint="--format"
        )
    if place_population is None:
        with place.read() as conn:
            place_population = summary(conn).get("lsoa", {}).get("population") or None
    if not place_population:
        raise click.BadParameter("give --place-population, or import the place's LSOA populations first")
    from totalplace.datasets.cra import CraShare, cra_to_spend_csv
    from totalplace.datasets.importer import import_file
    from totalplace.datasets.source import read_path

    share = CraShare(region, year, place_population, region_population)
    limits = ImportLimits.from_settings()
    body, used = cra_to_spend_csv(read_path(file, limits), file.name, share, limits)
    with out.progress(f"importing {file.name}") as say:
        result = import_file(
            place,
            body,
            ImportRequest("spend", partner, format="transparency"),
            principal=OPERATOR,
            source_name=f"{file.name} [{share.describe()}]",
            progress=say,
        )
    result.effect["cra_rows"] = used
    _show_import(out, result)


import_group.add_command(import_records_cmd)


@click.group("geography")
def geography_group() -> None:
    """The place's small areas: codes, names, parents, populations, boundaries."""


@geography_group.command("import")
@click.argument("file", type=_FILE)
@click.option(
    "--level", type=click.Choice(AREA_LEVELS), required=True, help="What kind of area the rows are."
)
@click.option("--code-column", default=None, help="Header of the area code column (if not found by itself).")
@click.option("--name-column", default=None, help="Header of the area name column.")
@click.option("--parent-column", default=None, help="Header of the parent area's code.")
@click.option("--population-column", default=None, help="Header of the population column.")
@click.option("--where", multiple=True, help="COLUMN=VALUE: import only rows where COLUMN holds VALUE.")
@click.option(
    "--update-only",
    is_flag=True,
    help="Only update the place's known areas (e.g. centres from a national file); ignore the rest.",
)
@with_place
def geography_import(
    place: Place,
    out: Output,
    file: Path,
    level: str,
    code_column: str | None,
    name_column: str | None,
    parent_column: str | None,
    population_column: str | None,
    where: tuple[str, ...],
    update_only: bool,
) -> None:
    """Import areas from CSV or GeoJSON (gzipped or not). Known areas are updated, new ones added.

    Population-weighted centres (British National Grid x/y, as ONS publishes them) are read too, for the
    estate's distances to services.
    """
    given = {
        "code": code_column,
        "name": name_column,
        "parent_code": parent_column,
        "population": population_column,
    }
    mapping = {k: v for k, v in given.items() if v}
    request = ImportRequest(
        "geography",
        None,
        options={"level": level, **({"update_only": "yes"} if update_only else {})},
        mapping=mapping,
        where=parse_pairs(where, "--where"),
    )
    run_import(place, out, file, request)


@geography_group.command("list")
@click.option("--level", type=click.Choice(AREA_LEVELS), default=None, help="Only areas of this level.")
@with_place
def geography_list(place: Place, out: Output, level: str | None) -> None:
    """List areas (or, without --level, a summary per level)."""
    with place.read() as conn:
        if level is None:
            data: Any = summary(conn)
            out.emit(
                data,
                lambda: table(
                    "Geography",
                    ("level", "areas", "population", "with boundary"),
                    [(k, v["areas"], f"{v['population']:,}", v["with_boundary"]) for k, v in data.items()],
                ),
            )
            return
        areas = list_areas(conn, level)
    out.emit(
        [a.__dict__ for a in areas],
        lambda: table(
            f"Areas ({level})",
            ("code", "name", "parent", "population"),
            [(a.code, a.name, a.parent_code, a.population) for a in areas],
        ),
    )


@click.group("datasets")
def datasets_group() -> None:
    """Import batches and their provenance."""


@datasets_group.command("list")
@click.option("--kind", default=None, help="Only batches of this kind of data.")
@with_place
def datasets_list(place: Place, out: Output, kind: str | None) -> None:
    """List import batches, newest first."""
    with place.read() as conn:
        batches = list_batches(conn, kind=kind)
    out.emit(
        [b.to_dict() for b in batches],
        lambda: table(
            "Import batches",
            ("id", "kind", "partner", "source", "rows", "imported", "by", "status"),
            [
                (
                    b.id,
                    b.kind,
                    b.partner_name,
                    b.source_name,
                    f"{b.row_count:,}",
                    b.imported_at[:19],
                    b.importer,
                    b.status,
                )
                for b in batches
            ],
        ),
    )


@datasets_group.command("show")
@click.argument("batch_id", type=int)
@with_place
def datasets_show(place: Place, out: Output, batch_id: int) -> None:
    """Show one batch's provenance."""
    with place.read() as conn:
        batch = get_batch(conn, batch_id)
    out.emit(
        batch.to_dict(),
        lambda: table(f"Batch {batch_id}", ("field", "value"), [(k, v) for k, v in batch.to_dict().items()]),
    )


@datasets_group.command("supersede")
@click.argument("old_id", type=int)
@click.option("--by", "new_id", type=int, required=True, help="The batch that replaces it.")
@with_place
def datasets_supersede(place: Place, out: Output, old_id: int, new_id: int) -> None:
    """Mark a batch as replaced by a newer one. Its file and provenance are kept."""
    from totalplace.datasets.importer import supersede_batch

    supersede_batch(place, old_id, new_id, principal=OPERATOR)
    out.emit(
        {"superseded": old_id, "by": new_id},
        lambda: console.print(f"Batch {old_id} is superseded by batch {new_id}."),
    )


@datasets_group.command("export")
@click.argument("batch_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), required=True)
@with_place
def datasets_export(place: Place, out: Output, batch_id: int, fmt: str, output: Path) -> None:
    """Export a batch's rows to CSV or XLSX (formulas neutralised, numbers kept numeric)."""
    from totalplace.datasets.export import ExportFormat, export_batch_to

    with place.read() as conn:
        total = get_batch(conn, batch_id).row_count
    # Written straight to the file as it goes (a temporary name, renamed when whole), with a bar.
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("wb") as target, out.counting(f"writing {output.name}", total) as told:
            kind: ExportFormat = "xlsx" if fmt == "xlsx" else "csv"
            batch = export_batch_to(place, batch_id, kind, target, principal=OPERATOR, progress=told)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    out.emit(
        {"batch": batch_id, "output": str(output), "rows": batch.row_count},
        lambda: console.print(f"Wrote {batch.row_count:,} rows to {output}."),
    )


@click.command("query")
@click.argument("sql")
@click.option(
    "--backend", type=click.Choice(["duckdb", "spark"]), default=None, help="Default: $TOTALPLACE_BACKEND."
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1), help="Most rows to print.")
@with_place
def query_cmd(place: Place, out: Output, sql: str, backend: str | None, limit: int) -> None:
    """Run ONE read-only SELECT over the place's views: one per kind of data (spend, geography, ...),
    catalog and areas. Nothing else runs: not COPY, ATTACH, PRAGMA, SET, INSTALL or LOAD, not two
    statements, not a function that reads files. It runs sandboxed and is audited."""
    from totalplace.backends.adhoc import run_read_only

    result, record = run_read_only(place, sql, backend=backend, actor="cli")
    rows = result.slice(0, limit).to_pylist()
    out.emit(
        {"columns": result.column_names, "rows": rows, "row_count": result.num_rows, "audit_seq": record},
        lambda: table(f"{result.num_rows:,} rows", result.column_names, [list(r.values()) for r in rows]),
    )
