"""``totalplace access``: the access policy, as one table (docs/access.md is generated from it)."""

from __future__ import annotations

import click

from totalplace.cli.output import Output, print_tables


@click.command("access")
@click.option("--markdown", is_flag=True, help="Print docs/access.md, generated from the policy.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def access_cmd(markdown: bool, as_json: bool) -> None:
    """Who may do what: each action, and how far each role reaches (deny by default)."""
    from totalplace.reports.access import access_view

    view = access_view()
    if markdown:
        click.echo(view.markdown(), nl=False)
        return
    Output(as_json).emit(view.to_dict(), lambda: print_tables((view.table(),), None))
