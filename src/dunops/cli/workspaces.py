"""``dunops workspaces``: create a workspace for an owner, list every workspace, delete one or take it back
(operator commands)."""

from __future__ import annotations

import typer

from dunops.accounts import users, workspaces
from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import handled
from dunops.privacy import workspace_deletion

app = typer.Typer(help="Workspaces: create, list, delete, restore.", no_args_is_help=True)


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


@app.command("delete")
@handled
def delete(
    slug: str = typer.Argument(..., help="The workspace to delete."),
    owner: str | None = typer.Option(None, "--as", help="Email of the owner asking (default: the first)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete a workspace: access ends and its credentials are destroyed now; it is purged after
    DUNOPS_DELETION_GRACE_DAYS (``dunops purge`` runs due purges). Prints when it will be purged."""
    if not yes:
        typer.confirm(f"Delete workspace {slug} and destroy its provider credentials now?", abort=True)
    with context.unit_of_work() as session:
        email = owner or workspaces.first_owner(session, slug).email
        grant = context.grant(session, email, slug, Permission.WORKSPACE_DELETE)
        tombstone = workspace_deletion.delete_workspace(session, context.settings(), grant)
        typer.echo(f"{slug}\tdeleting\tpurge after {tombstone.purge_after.isoformat()}")


@app.command("restore")
@handled
def restore(
    slug: str = typer.Argument(..., help="The workspace whose deletion to cancel."),
    owner: str = typer.Option(..., "--as", help="Email of the owner taking it back."),
) -> None:
    """Cancel a workspace's deletion during its grace period; its credentials must be entered again."""
    with context.unit_of_work() as session:
        workspace = workspace_deletion.cancel_deletion(session, context.member(session, owner), slug)
        typer.echo(f"{workspace.slug}\t{workspace.status}")
