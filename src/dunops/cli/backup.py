"""``dunops backup create|list|verify|restore|prune``: encrypted backups that age out."""

from __future__ import annotations

from typing import Annotated

import typer

from dunops.cli import context
from dunops.cli.output import emit_json, handled
from dunops.privacy import backups

app = typer.Typer(help="Encrypted backups of the database and the data directory.", no_args_is_help=True)

BackupId = Annotated[str, typer.Argument(help="The backup's id, as listed.")]


@app.command("create")
@handled
def create() -> None:
    """Make a backup now; prints its id."""
    manifest = backups.create(context.settings(), context.engine())
    typer.echo(manifest.id)


@app.command("list")
@handled
def list_(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every backup: id, made, expires, size."""
    found = backups.list_backups(context.settings())
    if as_json:
        emit_json([{**m.to_dict(), "size": m.size} for m in found])
        return
    for manifest in found:
        typer.echo(
            f"{manifest.id}\t{manifest.created:%Y-%m-%d %H:%M}\texpires {manifest.expires:%Y-%m-%d}"
            f"\t{manifest.database}\t{manifest.size:,} bytes"
        )
    if not found:
        typer.echo(f"no backups in {context.settings().backups_dir}")


@app.command("verify")
@handled
def verify(backup_id: BackupId) -> None:
    """Check a backup's parts against its manifest and decrypt them through."""
    manifest = backups.verify(context.settings(), backup_id)
    typer.echo(f"{manifest.id}\tok\t{len(manifest.parts)} parts\t{manifest.size:,} bytes")


@app.command("restore")
@handled
def restore(
    backup_id: BackupId,
    yes: Annotated[bool, typer.Option("--yes", help="Replace the database and data directory.")] = False,
) -> None:
    """Replace the database and the data directory with a backup (stop the service first); every
    deletion recorded since the backup is applied again."""
    if not yes:
        typer.confirm(
            f"Replace the database and the data directory with backup {backup_id}? Stop the service first",
            abort=True,
        )
    restored = backups.restore(context.settings(), backup_id)
    done = restored.reapplied
    typer.echo(f"{restored.manifest.id}\trestored")
    for workspace_id in done.workspaces_purged:
        typer.echo(f"workspace {workspace_id}\tdeleted since the backup: purged again")
    for workspace_id in done.workspaces_in_deletion:
        typer.echo(f"workspace {workspace_id}\tdeleted since the backup: in deletion again")
    for user_id in done.accounts_erased:
        typer.echo(f"user {user_id}\tdeleted since the backup: erased again")


@app.command("prune")
@handled
def prune() -> None:
    """Delete the backups past their expiry (DUNOPS_BACKUP_RETENTION_DAYS, 90 at most)."""
    removed = backups.prune(context.settings())
    for backup_id in removed:
        typer.echo(f"{backup_id}\tdeleted")
    if not removed:
        typer.echo("nothing to prune")
