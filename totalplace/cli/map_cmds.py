"""The measures and map commands: import figures by area, and map any measure the place knows."""

from __future__ import annotations

from pathlib import Path

import click

from totalplace.cli.common import with_place
from totalplace.cli.output import Output, print_tables
from totalplace.place import Place
from totalplace.store.areas import AREA_LEVELS

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


@click.group("measures")
def measures_group() -> None:
    """Figures by small area from any file with area codes (deprivation deciles, an indicator...)."""


@measures_group.command("import")
@click.argument("file", type=_FILE)
@click.option("--name", required=True, help="A name for this set of measures, e.g. imd2019.")
@click.option(
    "--column", "columns", multiple=True, required=True, help="A column to import (repeat for more)."
)
@click.option("--level", type=click.Choice(AREA_LEVELS), default="lsoa", show_default=True)
@click.option("--code-column", default=None, help="Header of the area code column (if not found by itself).")
@with_place
def measures_import(
    place: Place,
    out: Output,
    file: Path,
    name: str,
    columns: tuple[str, ...],
    level: str,
    code_column: str | None,
) -> None:
    """Import columns of figures by area code; rows for areas outside the place are skipped and counted."""
    from totalplace.engines.maps import import_measures
    from totalplace.governance.roles import OPERATOR
    from totalplace.reports.maps import measures_imported

    result, info = import_measures(
        place,
        file,
        name=name,
        columns=list(columns),
        level=level,
        code_column=code_column,
        principal=OPERATOR,
    )
    view = measures_imported(result, info, name)
    out.emit(view.to_dict(), lambda: print_tables(view.tables, view.headline))


@measures_group.command("list")
@with_place
def measures_list(place: Place, out: Output) -> None:
    """Every measure the place can map."""
    from totalplace.engines.maps import available
    from totalplace.reports.maps import measures_command

    view = measures_command(available(place))
    out.emit(view.to_dict(), lambda: print_tables(view.tables))


@click.command("map")
@click.argument("key")
@click.option("--level", type=click.Choice(AREA_LEVELS), default="lsoa", show_default=True)
@click.option(
    "--svg", "svg_out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write the map."
)
@with_place
def map_cmd(place: Place, out: Output, key: str, level: str, svg_out: Path | None) -> None:
    """A measure by area (see `totalplace measures list`); --svg writes it as a choropleth."""
    from totalplace.engines.maps import measure
    from totalplace.reports.maps import area_map, measure_command

    found = measure(place, key, level=level)
    if svg_out is not None:
        chart = area_map(place, found)
        if chart is None:
            raise click.ClickException(f"the place has no {found.level} boundaries to draw")
        svg_out.write_text(chart.svg, encoding="utf-8")
    view = measure_command(found)
    out.emit(view.to_dict(), lambda: print_tables(view.tables))
