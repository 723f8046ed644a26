"""The ``dunops`` command: a thin edge over the same services the API uses."""

from __future__ import annotations

import logging
import sys

import structlog
import typer

from dunops.cli import (
    admin,
    audit,
    backup,
    changes,
    connections,
    conversations,
    db,
    deployments,
    errors,
    export,
    keys,
    legal,
    members,
    outbox,
    policy,
    privacy,
    requests,
    serve,
    support,
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


def _stderr_logger(*_names: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


@app.callback()
def _logs_to_stderr(context: typer.Context) -> None:
    """Log warnings and errors to stderr while a command runs: stdout carries only what the command
    prints, so a script can read it (``--json`` stays JSON). ``serve`` and ``worker`` set up their own."""
    previous = structlog.get_config()
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING), logger_factory=_stderr_logger
    )
    context.call_on_close(lambda: structlog.configure(**previous))


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
app.add_typer(policy.app, name="policy")
app.add_typer(export.app, name="export")
app.add_typer(backup.app, name="backup")
app.add_typer(legal.app, name="legal")
app.add_typer(requests.app, name="requests")
app.add_typer(admin.app, name="admin")
app.add_typer(support.app, name="support")
app.add_typer(errors.app, name="errors")
serve.register(app)
outbox.register(app)
conversations.register(app)
privacy.register(app)

if __name__ == "__main__":
    app()
