"""``dunops tokens``: create an API token on a user's behalf (prints only the token), list and revoke."""

from __future__ import annotations

from typing import Annotated

import typer

from dunops.accounts import tokens
from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import emit_json, handled
from dunops.storage.models import ApiToken, Role

app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", help="The member acting (the token's owner for create).")]
Slug = Annotated[str, typer.Option("--workspace", help="The one workspace the token is valid in.")]


def _data(token: ApiToken) -> dict[str, object]:
    """A token as ``list`` shows it: never the secret, only the prefix that tells tokens apart."""
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "role": token.role.value,
        "user_id": token.user_id,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def _line(token: ApiToken) -> str:
    status = "revoked" if token.revoked_at else "live"
    expires = f"expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "no expiry"
    return (
        f"{token.id}\t{token.prefix}\t{token.role}\t{status}\t{expires}\tuser {token.user_id}\t{token.name}"
    )


@app.command("create")
@handled
def create(
    email: Email,
    workspace: Slug,
    role: Annotated[Role, typer.Option("--role", help="No higher than the member's own role.")],
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Days until it expires.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="A name to recognise the token by.")] = "",
) -> None:
    """Create a token and print it (only the token, once: store it now)."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.TOKENS_MANAGE)
        issued = tokens.create(session, grant, role=role, name=name, expires_days=expires_days)
        secret = issued.secret
    typer.echo(secret)


@app.command("list")
@handled
def listing(
    email: Email,
    workspace: Slug,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Your tokens in the workspace (and other members' for an admin), newest first; never the secrets."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.TOKENS_MANAGE)
        found = tokens.listing(session, grant)
        rows = [_data(token) for token in found]
        lines = [_line(token) for token in found]
    if as_json:
        emit_json(rows)
        return
    typer.echo("\n".join(lines) if lines else "no tokens")


@app.command("revoke")
@handled
def revoke(
    email: Email,
    workspace: Slug,
    token_id: Annotated[int, typer.Argument(min=1, max=context.MAX_ID, help="The token's id, as listed.")],
) -> None:
    """Revoke a token at once: your own, or (as an admin) another member's."""
    with context.unit_of_work() as session:
        grant = context.grant(session, email, workspace, Permission.TOKENS_MANAGE)
        line = _line(tokens.revoke(session, grant, token_id))
    typer.echo(line)
