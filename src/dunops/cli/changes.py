"""``dunops changes``: create, list, show, submit, approve, reject and apply change requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import EXIT_USAGE, emit_json, fail, handled
from dunops.dns.formats import detect_format
from dunops.jobs import queue_for
from dunops.storage.models import ChangeRequest, Deployment
from dunops.workflow import apply, requests, review

app = typer.Typer(help="Change requests: create, review, apply.", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", help="The member acting.")]
Slug = Annotated[str, typer.Option("--workspace", help="The workspace slug.")]
ChangeId = Annotated[int, typer.Argument(min=1, max=context.MAX_ID, help="The change request's number.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def describe_row(row: requests.ChangeRow) -> str:
    plan = f"r{row.revision} plan {row.plan_hash}" if row.plan_hash else "no plan"
    change = row.change
    return f"#{change.id}\t{requests.state_of(change)}\t{row.zone}\t{plan}\t{change.title}"


def describe(change: ChangeRequest, view: requests.ChangeView | None = None) -> str:
    revision = view.revision if view else None
    zone = view.zone.fqdn if view else str(change.zone_id)
    plan_hash = revision.plan_hash if revision else None
    return describe_row(requests.ChangeRow(change, zone, plan_hash, revision.number if revision else 0))


def deployment_line(deployment: Deployment) -> str:
    return (
        f"deployment {deployment.id}\t{deployment.state}\tchange #{deployment.change_request_id}\t"
        f"{deployment.actor}\t{deployment.message}"
    )


def _details(view: requests.ChangeView) -> list[str]:
    lines = [describe(view.change, view)]
    if view.revision is not None:
        for reason in view.revision.risk_reasons:
            lines.append(f"risk {reason['id']}: {reason['message']}")
        lines.append(
            f"approvals {view.valid_approvals}/{view.policy.approvals_required} "
            f"(from {view.policy.approver_role(requests.plan_of(view.revision))} or above)"
        )
        lines.append(requests.plan_of(view.revision).render().rstrip())
    for deployment in view.deployments:
        lines.append(deployment_line(deployment))
    return lines


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise fail(f"cannot read {path}: {error}", EXIT_USAGE) from None


@app.command("create")
@handled
def create(
    email: Email,
    workspace: Slug,
    zone: Annotated[str, typer.Argument(help="The zone, e.g. example.com")],
    title: Annotated[str, typer.Option("--title", help="What the change is for.")],
    edits: Annotated[
        Path | None, typer.Option("--edits", help="A JSON file: a list of upsert/delete edits.")
    ] = None,
    desired: Annotated[Path | None, typer.Option("--desired", help="A desired zone file.")] = None,
    format: Annotated[str | None, typer.Option("--format", help="bind, octodns or json")] = None,
    description: Annotated[str, typer.Option("--description")] = "",
    submit: Annotated[bool, typer.Option("--submit", help="Ask for review at once.")] = False,
) -> None:
    """Plan edits or a desired zone against the live zone and store it as a change request."""
    if (edits is None) == (desired is None):
        raise fail("give either --edits or --desired", EXIT_USAGE)
    edit_list = _read_json(edits) if edits is not None else None
    wanted = None
    if desired is not None:
        try:
            text = desired.read_text()
        except OSError as error:
            raise fail(f"cannot read {desired}: {error}", EXIT_USAGE) from None
        wanted = {"format": format or detect_format(desired).value, "content": text}
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_PROPOSE)
        change = requests.create(
            session,
            context.settings(),
            who,
            context.vault(),
            zone=zone,
            title=title,
            description=description,
            edits=edit_list,
            desired=wanted,
            submit=submit,
        )
        lines = _details(requests.view(session, who, change.id))
    typer.echo("\n".join(lines))


@app.command("list")
@handled
def listing(
    email: Email,
    workspace: Slug,
    state: Annotated[str | None, typer.Option("--state")] = None,
    zone: Annotated[str | None, typer.Option("--zone")] = None,
) -> None:
    """Change requests of the workspace, newest first."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.ZONES_READ)
        before: int | None = None
        shown = 0
        while rows := requests.page(session, who, state=state, zone=zone, before=before, limit=500):
            for row in rows:
                typer.echo(describe_row(row))
            shown += len(rows)
            before = rows[-1].change.id
    if not shown:
        typer.echo("no change requests")


@app.command("show")
@handled
def show(email: Email, workspace: Slug, change_id: ChangeId, as_json: AsJson = False) -> None:
    """One change request: its state, plan, approvals and deployments."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.ZONES_READ)
        view = requests.view(session, who, change_id)
        if as_json:
            emit_json(
                {
                    "id": view.change.id,
                    "state": requests.state_of(view.change).value,
                    "title": view.change.title,
                    "zone": view.zone.fqdn,
                    "current_revision": requests.revision_data(view.revision) if view.revision else None,
                    "valid_approvals": view.valid_approvals,
                    "deployments": [d.id for d in view.deployments],
                }
            )
            return
        lines = _details(view)
    typer.echo("\n".join(lines))


@app.command("submit")
@handled
def submit(email: Email, workspace: Slug, change_id: ChangeId) -> None:
    """Submit a draft for review (refused when its plan has no changes)."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_PROPOSE)
        line = describe(requests.submit(session, context.settings(), who, change_id))
    typer.echo(line)


@app.command("approve")
@handled
def approve(
    email: Email,
    workspace: Slug,
    change_id: ChangeId,
    plan_hash: Annotated[str, typer.Option("--plan-hash", help="The hash of the plan you reviewed.")],
    acknowledge: Annotated[
        list[str] | None, typer.Option("--ack", help="A risk reason id (repeat for each).")
    ] = None,
    comment: Annotated[str, typer.Option("--comment")] = "",
) -> None:
    """Approve the current revision, stating the plan hash you reviewed."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_APPROVE)
        change = review.approve(
            session,
            context.settings(),
            who,
            change_id,
            plan_hash=plan_hash,
            acknowledge=acknowledge or [],
            comment=comment,
        )
        line = describe(change)
    typer.echo(line)


@app.command("reject")
@handled
def reject(
    email: Email,
    workspace: Slug,
    change_id: ChangeId,
    comment: Annotated[str, typer.Option("--comment")] = "",
) -> None:
    """Reject the request under review."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_APPROVE)
        line = describe(review.reject(session, context.settings(), who, change_id, comment=comment))
    typer.echo(line)


@app.command("apply")
@handled
def apply_change(
    email: Email,
    workspace: Slug,
    change_id: ChangeId,
    wait: Annotated[
        bool, typer.Option("--wait", help="Run the queued jobs here and now instead of in a worker.")
    ] = False,
) -> None:
    """Queue the apply; with --wait, run it in this process and print the outcome."""
    lapsed: apply.ApprovalsLapsed | None = None
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_APPLY)
        try:
            deployment_id = apply.start_apply(session, context.settings(), who, change_id).id
        except apply.ApprovalsLapsed as refused:
            lapsed = refused  # committed: the request went back to review
    if lapsed is not None:
        raise lapsed
    if wait:
        queue_for(context.settings()).run_pending()
    with context.unit_of_work() as session:
        deployment = session.get(Deployment, deployment_id)
        assert deployment is not None
        line = deployment_line(deployment)
    typer.echo(line)
