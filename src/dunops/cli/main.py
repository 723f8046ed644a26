"""The ``dunops`` command: a thin edge over the same services the API uses."""

from __future__ import annotations

import typer

from dunops.cli import (
    audit,
    changes,
    connections,
    conversations,
    db,
    deployments,
    keys,
    members,
    outbox,
    serve,
    tokens,
    users,
    workspaces,
    zones,
)
from dunops.cli.zone import zone_app

app = typer.Typer(
    help="DunOps: DNS operations for teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(workspaces.app, name="workspaces")
app.add_typer(members.app, name="members")
app.add_typer(tokens.app, name="tokens")
app.add_typer(audit.app, name="audit")
app.add_typer(zone_app, name="zone")
app.add_typer(keys.app, name="keys")
app.add_typer(connections.app, name="connections")
app.add_typer(zones.app, name="zones")
app.add_typer(changes.app, name="changes")
app.add_typer(deployments.app, name="deployments")
serve.register(app)
outbox.register(app)
conversations.register(app)

if __name__ == "__main__":
    app()
