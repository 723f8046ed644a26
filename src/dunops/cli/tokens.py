"""``dunops tokens``: create an API token on a user's behalf; prints only the token."""

from __future__ import annotations

from typing import Annotated

import typer

from dunops.accounts import access, tokens, users
from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import handled
from dunops.storage.models import Role

app = typer.Typer(help="API tokens.", no_args_is_help=True)


@app.command("create")
@handled
def create(
    email: Annotated[str, typer.Option("--email", help="The member the token acts for.")],
    workspace: Annotated[str, typer.Option("--workspace", help="The one workspace the token is valid in.")],
    role: Annotated[Role, typer.Option("--role", help="No higher than the member's own role.")],
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Days until it expires.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="A name to recognise the token by.")] = "",
) -> None:
    """Create a token and print it (only the token, once: store it now)."""
    with context.unit_of_work() as session:
        principal = context.operator(users.require_by_email(session, email))
        grant = access.resolve(session, principal, workspace, Permission.TOKENS_MANAGE)
        issued = tokens.create(session, grant, role=role, name=name, expires_days=expires_days)
        secret = issued.secret
    typer.echo(secret)
