"""``dunops deployments``: list and show deployments, reconcile or verify one again, and roll one back as
a new change request."""

from __future__ import annotations

from typing import Annotated

import typer

from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.changes import Email, Slug, deployment_line, describe
from dunops.cli.output import emit_json, handled
from dunops.web.routes.changes import deployment_data
from dunops.workflow import deployments

app = typer.Typer(
    help="Deployments: history, reconciliation, verification and rollback.", no_args_is_help=True
)

DeploymentId = Annotated[int, typer.Argument(min=1, max=context.MAX_ID, help="The deployment's number.")]


@app.command("list")
@handled
def listing(
    email: Email, workspace: Slug, zone: Annotated[str | None, typer.Option("--zone")] = None
) -> None:
    """Deployments of the workspace, newest first."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.ZONES_READ)
        before: int | None = None
        shown = 0
        while found := deployments.page(session, who, zone=zone, before=before, limit=500):
            for deployment in found:
                typer.echo(deployment_line(deployment))
            shown += len(found)
            before = found[-1].id
    if not shown:
        typer.echo("no deployments")


@app.command("show")
@handled
def show(email: Email, workspace: Slug, deployment_id: DeploymentId) -> None:
    """One deployment: who, when, per-change results and verification."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.ZONES_READ)
        data = deployment_data(deployments.get(session, who, deployment_id))
    emit_json(data)


@app.command("reconcile")
@handled
def reconcile(email: Email, workspace: Slug, deployment_id: DeploymentId) -> None:
    """Record now what the provider serves for a running deployment whose worker stopped."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_APPLY)
        found = deployments.reconcile(session, context.writer(), context.settings(), who, deployment_id)
        line = deployment_line(found)
    typer.echo(line)


@app.command("verify")
@handled
def verify(email: Email, workspace: Slug, deployment_id: DeploymentId) -> None:
    """Verify an unverified deployment again (a worker runs the passes)."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_APPLY)
        found = deployments.verify_again(session, context.settings(), who, deployment_id)
        line = deployment_line(found)
    typer.echo(line)


@app.command("rollback")
@handled
def rollback(
    email: Email,
    workspace: Slug,
    deployment_id: DeploymentId,
    submit: Annotated[bool, typer.Option("--submit/--draft", help="Ask for review at once.")] = True,
) -> None:
    """Create a change request restoring what the deployment changed (reviewed like any other)."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_PROPOSE)
        change = deployments.rollback(
            session, context.settings(), who, context.vault(), deployment_id, submit=submit
        )
        line = describe(session, change)
    typer.echo(line)
