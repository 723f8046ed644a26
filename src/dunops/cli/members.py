"""``dunops members``: add an existing user to a workspace (the operator acts for the workspace's owner)."""

from __future__ import annotations

from typing import Annotated

import typer

from dunops.accounts import access, memberships, workspaces
from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import handled
from dunops.storage.models import Role

app = typer.Typer(help="Workspace members.", no_args_is_help=True)


@app.command("add")
@handled
def add(
    workspace: Annotated[str, typer.Option("--workspace", help="Workspace slug.")],
    email: Annotated[str, typer.Option("--email", help="Email of an existing user.")],
    role: Annotated[Role, typer.Option("--role", help="Role to give.")],
) -> None:
    """Add an existing user to a workspace with a role."""
    with context.unit_of_work() as session:
        principal = context.operator(workspaces.first_owner(session, workspace))
        grant = access.resolve(session, principal, workspace, Permission.MEMBERS_MANAGE)
        member = memberships.add(session, grant, email, role)
        typer.echo(f"added {member.user.email} to {workspace} as {member.role}")
