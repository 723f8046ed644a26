"""``dunops audit verify``: recompute the hash chains and name every event that does not match."""

from __future__ import annotations

import typer

from dunops import audit
from dunops.accounts import workspaces
from dunops.cli import context
from dunops.cli.output import EXIT_REFUSED, handled

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command("verify")
@handled
def verify(
    workspace: str | None = typer.Option(
        None, "--workspace", help="Workspace slug; every chain (and the instance chain) if omitted."
    ),
) -> None:
    """Exit 0 when every event matches its hash and link, 1 naming each broken event otherwise."""
    broken = 0
    with context.unit_of_work() as session:
        chains: list[tuple[str, int | None]]
        if workspace is not None:
            chains = [(workspace, workspaces.by_slug(session, workspace).id)]
        else:
            chains = [("(instance)", None)]
            chains += [(found.slug, found.id) for found in workspaces.every(session)]
        for label, workspace_id in chains:
            count, breaks = audit.verify(session, workspace_id)
            for item in breaks:
                typer.echo(f"{label}: broken: {item}", err=True)
            broken += len(breaks)
            state = "ok" if not breaks else f"{len(breaks)} broken"
            typer.echo(f"{label}: {count} events verified, {state}")
    if broken:
        raise typer.Exit(EXIT_REFUSED)
