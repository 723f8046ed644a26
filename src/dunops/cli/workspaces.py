"""``dunops workspaces``: create a workspace for an owner, list every workspace (operator commands)."""

from __future__ import annotations

import typer

from dunops.accounts import users, workspaces
from dunops.cli import context
from dunops.cli.output import handled

app = typer.Typer(help="Workspaces: create, list.", no_args_is_help=True)


@app.command("create")
@handled
def create(
    name: str = typer.Option(..., "--name", help="Display name of the workspace."),
    owner: str = typer.Option(..., "--owner", help="Email of the existing user who will own it."),
    slug: str | None = typer.Option(None, "--slug", help="URL name; derived from the name if omitted."),
) -> None:
    """Create a workspace owned by an existing user; prints its slug."""
    with context.unit_of_work() as session:
        user = users.require_by_email(session, owner)
        workspace = workspaces.create(session, context.operator(user), name, slug)
        typer.echo(workspace.slug)


@app.command("list")
@handled
def list_workspaces() -> None:
    """Every workspace: slug, status, owners, name."""
    with context.unit_of_work() as session:
        for workspace in workspaces.every(session):
            owners = ",".join(user.email for user in workspaces.owners(session, workspace))
            typer.echo(f"{workspace.slug}\t{workspace.status}\t{owners}\t{workspace.name}")
