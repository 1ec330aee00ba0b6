"""Options every command shares: --place and --json."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from totalplace.cli.output import Output

if TYPE_CHECKING:
    pass

F = TypeVar("F", bound=Callable[..., Any])

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON document instead of tables."
)
place_option = click.option(
    "--place",
    "place_dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="TOTALPLACE_PLACE",
    help="The place directory (default: $TOTALPLACE_PLACE).",
)


def with_output(func: F) -> F:
    """Add --json; the command receives ``out: Output``."""

    @json_option
    @click.pass_context
    def wrapper(ctx: click.Context, /, as_json: bool, **kwargs: Any) -> Any:
        ctx.meta["as_json"] = as_json
        return ctx.invoke(func, out=Output(as_json), **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def with_place(func: F) -> F:
    """Add --place and --json; the command receives ``place: Place`` and ``out: Output``."""

    @place_option
    @json_option
    @click.pass_context
    def wrapper(ctx: click.Context, /, place_dir: Path | None, as_json: bool, **kwargs: Any) -> Any:
        ctx.meta["as_json"] = as_json
        from totalplace.place import Place  # here, not at start-up: opening a place loads the data stack

        with Place.open(place_dir) as place:
            return ctx.invoke(func, place=place, out=Output(as_json), **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def parse_pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``("a=b", "c=d")`` as a mapping, refusing items without "="."""
    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r} should look like NAME=VALUE", param_hint=option)
        out[key.strip()] = rest.strip()
    return out
