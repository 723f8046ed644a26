"""``dunops admin``: the operators' view across workspaces: usage, suspension of workspaces and users."""

from __future__ import annotations

import typer

from dunops.accounts import platform
from dunops.cli import context
from dunops.cli.output import emit_json, handled

app = typer.Typer(help="Operate the service: workspaces and users across the instance.", no_args_is_help=True)
workspaces_app = typer.Typer(help="Every workspace: usage, suspend, unsuspend.", no_args_is_help=True)
users_app = typer.Typer(help="Every user: list, suspend, unsuspend.", no_args_is_help=True)
app.add_typer(workspaces_app, name="workspaces")
app.add_typer(users_app, name="users")

Reason = typer.Option("", "--reason", help="Why; shown to the workspace's members or to the user.")


@workspaces_app.command("list")
@handled
def list_workspaces(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every workspace with its plan, status and usage: members, zones, RRsets, connections, changes."""
    with context.unit_of_work() as session:
        rows = platform.usage(session)
        if as_json:
            emit_json(
                [
                    {
                        "slug": row.workspace.slug,
                        "name": row.workspace.name,
                        "plan": row.workspace.plan,
                        "status": "suspended" if row.workspace.is_suspended else str(row.workspace.status),
                        "members": row.members,
                        "zones": row.zones,
                        "rrsets": row.rrsets,
                        "connections": row.connections,
                        "changes": row.changes,
                        "open_tickets": row.open_tickets,
                    }
                    for row in rows
                ]
            )
            return
        typer.echo("slug\tplan\tstatus\tmembers\tzones\trrsets\tconnections\tchanges\topen tickets")
        for row in rows:
            status = "suspended" if row.workspace.is_suspended else str(row.workspace.status)
            typer.echo(
                f"{row.workspace.slug}\t{row.workspace.plan}\t{status}\t{row.members}\t{row.zones}\t"
                f"{row.rrsets}\t{row.connections}\t{row.changes}\t{row.open_tickets}"
            )


@workspaces_app.command("suspend")
@handled
def suspend_workspace(
    slug: str = typer.Argument(..., help="The workspace's slug."), reason: str = Reason
) -> None:
    """Suspend a workspace: every call into it answers 403 naming the suspension; nothing is deleted."""
    with context.unit_of_work() as session:
        workspace = platform.suspend_workspace(session, slug, reason=reason)
        typer.echo(f"suspended workspace {workspace.slug}")


@workspaces_app.command("unsuspend")
@handled
def unsuspend_workspace(slug: str = typer.Argument(..., help="The workspace's slug.")) -> None:
    """Lift a workspace's suspension."""
    with context.unit_of_work() as session:
        workspace = platform.unsuspend_workspace(session, slug)
        typer.echo(f"unsuspended workspace {workspace.slug}")


@users_app.command("list")
@handled
def list_users() -> None:
    """Every user: id, email, status, platform admin, name."""
    with context.unit_of_work() as session:
        for user in platform.people(session):
            admin = "platform-admin" if user.platform_admin else "-"
            typer.echo(f"{user.id}\t{user.email}\t{user.status}\t{admin}\t{user.name}")


@users_app.command("suspend")
@handled
def suspend_user(
    email: str = typer.Argument(..., help="The user's email address."), reason: str = Reason
) -> None:
    """Suspend a user: their sessions end now and their tokens answer 403 naming the suspension."""
    with context.unit_of_work() as session:
        user = platform.suspend_user(session, email, reason=reason)
        typer.echo(f"suspended {user.email}")


@users_app.command("unsuspend")
@handled
def unsuspend_user(email: str = typer.Argument(..., help="The user's email address.")) -> None:
    """Let a suspended user sign in again."""
    with context.unit_of_work() as session:
        user = platform.unsuspend_user(session, email)
        typer.echo(f"unsuspended {user.email}")
