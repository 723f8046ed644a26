"""``dunops members``: list a workspace's members, add an existing user, change a role, remove a member.

These are operator commands: the operator acts for the workspace's owner, and the rules of the API hold
(nobody grants a role above the owner's, a workspace keeps at least one owner, a removed member's tokens
in the workspace are revoked).
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from dunops.accounts import access, memberships, users, workspaces
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import emit_json, handled
from dunops.storage.models import Membership, Role

app = typer.Typer(help="Workspace members: list, add, set-role, remove.", no_args_is_help=True)

Slug = Annotated[str, typer.Option("--workspace", help="Workspace slug.")]
Email = Annotated[str, typer.Option("--email", help="Email of the user.")]
RoleOption = Annotated[Role, typer.Option("--role", help="Role to give.")]


def _as_owner(session: Session, workspace: str, permission: Permission) -> Access:
    principal = context.operator(workspaces.first_owner(session, workspace))
    return access.resolve(session, principal, workspace, permission)


def _line(member: Membership) -> str:
    return f"{member.user_id}\t{member.user.email}\t{member.role}\t{member.user.name}"


@app.command("list")
@handled
def listing(
    workspace: Slug, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """The workspace's members by email: user id, email, role, name."""
    with context.unit_of_work() as session:
        found = memberships.listing(session, _as_owner(session, workspace, Permission.MEMBERS_READ))
        rows = [
            {
                "user_id": member.user_id,
                "email": member.user.email,
                "name": member.user.name,
                "role": member.role.value,
                "joined_at": member.created_at.isoformat(),
            }
            for member in found
        ]
        lines = [_line(member) for member in found]
    if as_json:
        emit_json(rows)
        return
    typer.echo("\n".join(lines))


@app.command("add")
@handled
def add(workspace: Slug, email: Email, role: RoleOption) -> None:
    """Add an existing user to a workspace with a role."""
    with context.unit_of_work() as session:
        grant = _as_owner(session, workspace, Permission.MEMBERS_MANAGE)
        member = memberships.add(session, grant, email, role)
        typer.echo(f"added {member.user.email} to {workspace} as {member.role}")


@app.command("set-role")
@handled
def set_role(workspace: Slug, email: Email, role: RoleOption) -> None:
    """Give a member another role (the last owner cannot be demoted)."""
    with context.unit_of_work() as session:
        grant = _as_owner(session, workspace, Permission.MEMBERS_MANAGE)
        user = users.require_by_email(session, email)
        member = memberships.change_role(session, grant, user.id, role)
        line = f"{user.email} is {member.role} in {workspace}"
    typer.echo(line)


@app.command("remove")
@handled
def remove(workspace: Slug, email: Email) -> None:
    """Remove a member (the last owner cannot be removed); their tokens in the workspace are revoked."""
    with context.unit_of_work() as session:
        grant = _as_owner(session, workspace, Permission.MEMBERS_MANAGE)
        user = users.require_by_email(session, email)
        memberships.remove(session, grant, user.id)
        line = f"removed {user.email} from {workspace}"
    typer.echo(line)
