"""``dunops users``: create, list, suspend and unsuspend people (operator commands)."""

from __future__ import annotations

import typer

from dunops.accounts import platform, users
from dunops.cli import context
from dunops.cli.output import handled

app = typer.Typer(help="People: create, list, suspend.", no_args_is_help=True)


@app.command("create")
@handled
def create(
    email: str = typer.Option(..., "--email", help="The person's email address."),
    name: str = typer.Option("", "--name", help="Display name."),
    platform_admin: bool = typer.Option(
        False, "--platform-admin", help="An operator of the service: may use /admin and answer tickets."
    ),
) -> None:
    """Create a user who can then sign in with this email address."""
    with context.unit_of_work() as session:
        user = users.create(session, email, name)
        if platform_admin:
            platform.set_platform_admin(session, user.email, True)
        role = " (platform admin)" if platform_admin else ""
        typer.echo(f"created user {user.email} (id {user.id}){role}")


@app.command("platform-admin")
@handled
def platform_admin(
    email: str = typer.Argument(..., help="The user's email address."),
    revoke: bool = typer.Option(False, "--revoke", help="Take the role away instead."),
) -> None:
    """Make an existing user an operator of the service (or, with --revoke, no longer one)."""
    with context.unit_of_work() as session:
        user = platform.set_platform_admin(session, email, not revoke)
        typer.echo(f"{user.email} is {'no longer ' if revoke else ''}a platform admin")


@app.command("list")
@handled
def list_users() -> None:
    """Every user: id, email, status, name."""
    with context.unit_of_work() as session:
        for user in users.listing(session):
            typer.echo(f"{user.id}\t{user.email}\t{user.status}\t{user.name}")


@app.command("suspend")
@handled
def suspend(email: str = typer.Argument(..., help="The user's email address.")) -> None:
    """Suspend a user: their sessions end and their API tokens stop working at once."""
    with context.unit_of_work() as session:
        user = users.require_by_email(session, email)
        users.suspend(session, user)
        typer.echo(f"suspended {user.email}")


@app.command("unsuspend")
@handled
def unsuspend(email: str = typer.Argument(..., help="The user's email address.")) -> None:
    """Let a suspended user sign in again (their tokens work again unless revoked or expired)."""
    with context.unit_of_work() as session:
        user = users.require_by_email(session, email)
        users.unsuspend(session, user)
        typer.echo(f"unsuspended {user.email}")
