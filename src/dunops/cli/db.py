"""``dunops db``: schema migrations."""

from __future__ import annotations

import typer

from dunops.cli import context
from dunops.cli.output import handled
from dunops.storage.database import make_engine, upgrade

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command("upgrade")
@handled
def upgrade_command(revision: str = typer.Argument("heads", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = context.settings()
    if settings.is_embedded_database:
        settings.prepare_data_dir()
    upgrade(make_engine(settings.sqlalchemy_url), revision)
    typer.echo(f"database at {revision}")
