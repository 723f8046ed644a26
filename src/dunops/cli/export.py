"""``dunops export user|workspace``: build a data export now and write the zip where asked (operator)."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from dunops.accounts import users, workspaces
from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import handled
from dunops.errors import DunopsError
from dunops.privacy import export as data_export
from dunops.storage.database import make_session_factory

app = typer.Typer(help="Export a person's or a workspace's data as a zip.", no_args_is_help=True)

Out = typer.Option(..., "--out", help="Where to write the zip.", dir_okay=False, writable=True)


def _finish(export_id: int, out: Path) -> None:
    settings = context.settings()
    built = data_export.build(make_session_factory(context.engine()), settings, export_id)
    if built is None or built.state != "ready":
        raise DunopsError(f"export {export_id} failed: {built.message if built else 'not found'}")
    shutil.copyfile(settings.exports_dir / built.file_name, out)
    typer.echo(f"{out}\t{built.size_bytes} bytes")


@app.command("user")
@handled
def export_user(email: str = typer.Argument(..., help="The person's email."), out: Path = Out) -> None:
    """Everything held about a person: profile, identities, sessions, memberships, tokens, authored work."""
    with context.unit_of_work() as session:
        principal = context.operator(users.require_by_email(session, email))
        export_id = data_export.request_user_export(session, context.settings(), principal).id
    _finish(export_id, out)


@app.command("workspace")
@handled
def export_workspace(
    slug: str = typer.Argument(..., help="The workspace."),
    out: Path = Out,
    owner: str | None = typer.Option(None, "--as", help="Email of the owner asking (default: the first)."),
) -> None:
    """Everything a workspace holds: every table, zones as BIND and octoDNS files, members; no secrets."""
    with context.unit_of_work() as session:
        email = owner or workspaces.first_owner(session, slug).email
        grant = context.grant(session, email, slug, Permission.WORKSPACE_EXPORT)
        export_id = data_export.request_workspace_export(session, context.settings(), grant).id
    _finish(export_id, out)
