"""``dunops changes``: create, list, show, revise, submit, comment on, approve, reject, cancel and apply
change requests."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from dunops.accounts.permissions import Permission
from dunops.cli import context
from dunops.cli.output import EXIT_REFUSED, EXIT_USAGE, emit_json, fail, handled
from dunops.dns.formats import detect_format
from dunops.jobs import queue_for
from dunops.storage.database import make_read_factory, reading
from dunops.storage.models import ChangeRequest, ChangeRevision, Deployment, DeploymentState, Zone
from dunops.web.routes.changes import deployment_data
from dunops.workflow import apply, requests, review

app = typer.Typer(help="Change requests: create, review, apply.", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", help="The member acting.")]
Slug = Annotated[str, typer.Option("--workspace", help="The workspace slug.")]
ChangeId = Annotated[int, typer.Argument(min=1, max=context.MAX_ID, help="The change request's number.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
EditsFile = Annotated[
    Path | None, typer.Option("--edits", help="A JSON file: a list of upsert/delete edits.")
]
DesiredFile = Annotated[Path | None, typer.Option("--desired", help="A desired zone file.")]
FormatName = Annotated[str | None, typer.Option("--format", help="bind, octodns or json")]

EXIT_UNFINISHED = 3
"""``apply --wait``: the change is written but not yet verified (or still running) when the wait ends."""
POLL_SECONDS = 0.5
D = DeploymentState


def describe_row(row: requests.ChangeRow) -> str:
    plan = f"r{row.revision} plan {row.plan_hash}" if row.plan_hash else "no plan"
    change = row.change
    return f"#{change.id}\t{requests.state_of(change)}\t{row.zone}\t{plan}\t{change.title}"


def describe(session: Session, change: ChangeRequest) -> str:
    """The request's list line: number, state, zone name, current revision and plan hash, title."""
    zone = session.get(Zone, change.zone_id)
    assert zone is not None
    revision = session.get(ChangeRevision, change.current_revision_id) if change.current_revision_id else None
    plan_hash = revision.plan_hash if revision else None
    return describe_row(requests.ChangeRow(change, zone.fqdn, plan_hash, revision.number if revision else 0))


def deployment_line(deployment: Deployment) -> str:
    return (
        f"deployment {deployment.id}\t{deployment.state}\tchange #{deployment.change_request_id}\t"
        f"{deployment.actor}\t{deployment.message}"
    )


def _details(view: requests.ChangeView) -> list[str]:
    revision = view.revision
    plan_hash = revision.plan_hash if revision else None
    row = requests.ChangeRow(view.change, view.zone.fqdn, plan_hash, revision.number if revision else 0)
    lines = [describe_row(row)]
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


def _desired(path: Path, format: str | None) -> dict[str, str]:
    try:
        text = path.read_text()
    except OSError as error:
        raise fail(f"cannot read {path}: {error}", EXIT_USAGE) from None
    return {"format": format or detect_format(path).value, "content": text}


@app.command("create")
@handled
def create(
    email: Email,
    workspace: Slug,
    zone: Annotated[str, typer.Argument(help="The zone, e.g. example.com")],
    title: Annotated[str, typer.Option("--title", help="What the change is for.")],
    edits: EditsFile = None,
    desired: DesiredFile = None,
    format: FormatName = None,
    description: Annotated[str, typer.Option("--description")] = "",
    submit: Annotated[bool, typer.Option("--submit", help="Ask for review at once.")] = False,
) -> None:
    """Plan edits or a desired zone against the live zone and store it as a change request."""
    if (edits is None) == (desired is None):
        raise fail("give either --edits or --desired", EXIT_USAGE)
    edit_list = _read_json(edits) if edits is not None else None
    wanted = _desired(desired, format) if desired is not None else None
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
                    "approvals": [
                        {"reviewer": a.reviewer, "decision": a.decision.value, "plan_hash": a.plan_hash}
                        for a in view.approvals
                    ],
                    "valid_approvals": view.valid_approvals,
                    "approvals_required": view.policy.approvals_required,
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
        line = describe(session, requests.submit(session, context.settings(), who, change_id))
    typer.echo(line)


@app.command("revise")
@handled
def revise(
    email: Email,
    workspace: Slug,
    change_id: ChangeId,
    edits: EditsFile = None,
    desired: DesiredFile = None,
    format: FormatName = None,
    title: Annotated[str | None, typer.Option("--title", help="A new title.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="A new description.")] = None,
) -> None:
    """Plan a new revision from new edits or a desired zone; with neither, plan the last input again.

    Approvals of earlier revisions no longer count: a request under review goes back to review."""
    if edits is not None and desired is not None:
        raise fail("give either --edits or --desired, not both", EXIT_USAGE)
    edit_list = _read_json(edits) if edits is not None else None
    wanted = _desired(desired, format) if desired is not None else None
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_PROPOSE)
        requests.revise(
            session,
            context.settings(),
            who,
            context.vault(),
            change_id,
            edits=edit_list,
            desired=wanted,
            title=title,
            description=description,
        )
        lines = _details(requests.view(session, who, change_id))
    typer.echo("\n".join(lines))


@app.command("comment")
@handled
def comment(
    email: Email,
    workspace: Slug,
    change_id: ChangeId,
    body: Annotated[str, typer.Argument(help="The comment's text.")],
    as_json: AsJson = False,
) -> None:
    """Add a comment to a change request."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_PROPOSE)
        note = requests.comment(session, who, change_id, body)
        data = {
            "id": note.id,
            "change_request": change_id,
            "author": note.author,
            "body": note.body,
            "created_at": note.created_at.isoformat(),
        }
    if as_json:
        emit_json(data)
        return
    typer.echo(f"comment {data['id']} on change request #{change_id} by {data['author']}")


@app.command("cancel")
@handled
def cancel(email: Email, workspace: Slug, change_id: ChangeId) -> None:
    """Withdraw an open change request (its author, or an admin)."""
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_PROPOSE)
        line = describe(session, requests.cancel(session, who, change_id))
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
        line = describe(session, change)
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
        line = describe(session, review.reject(session, context.settings(), who, change_id, comment=comment))
    typer.echo(line)


@app.command("apply")
@handled
def apply_change(
    email: Email,
    workspace: Slug,
    change_id: ChangeId,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Run the queued jobs here and now, wait for the outcome, and exit 0 only when verified: "
            f"{EXIT_REFUSED} when the request went stale, failed or could not start (nothing written), "
            f"{EXIT_UNFINISHED} when the change is written but still verifying (or still applying) when "
            "the wait ends.",
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0, help="With --wait: seconds to wait at most for the outcome.")
    ] = 120.0,
    plan_hash: Annotated[
        str | None,
        typer.Option(
            "--plan-hash",
            help="Where the policy needs no approval: the hash of the plan you confirm, to apply your "
            "own request in review.",
        ),
    ] = None,
    acknowledge: Annotated[
        list[str] | None, typer.Option("--ack", help="With --plan-hash: a risk reason id (repeat for each).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Queue the apply; with --wait, run it in this process and print the outcome."""
    lapsed: apply.ApprovalsLapsed | None = None
    with context.unit_of_work() as session:
        who = context.grant(session, email, workspace, Permission.CHANGES_APPLY)
        try:
            deployment_id = apply.start_apply(
                session,
                context.settings(),
                who,
                change_id,
                plan_hash=plan_hash,
                acknowledge=acknowledge or [],
            ).id
        except apply.ApprovalsLapsed as refused:
            lapsed = refused  # committed: the request went back to review
    if lapsed is not None:
        raise lapsed
    if wait:
        queue_for(context.settings()).run_pending(wait=timeout)  # verification passes come seconds apart
    deployment = _outcome(deployment_id, time.monotonic() + (timeout if wait else 0))
    if as_json:
        emit_json(deployment_data(deployment))
    else:
        typer.echo(deployment_line(deployment))
    if wait:
        _exit_unless_verified(deployment)


def _outcome(deployment_id: int, deadline: float) -> Deployment:
    """The deployment once it settles (a worker elsewhere may be running it), or as it is at ``deadline``."""
    while True:
        with reading(make_read_factory(context.engine())) as session:
            deployment = session.get(Deployment, deployment_id)
            assert deployment is not None
        if apply.settled(deployment) or time.monotonic() >= deadline:
            return deployment
        time.sleep(POLL_SECONDS)


def _exit_unless_verified(deployment: Deployment) -> None:
    """Exit non-zero with the reason on one line unless the deployment is verified."""
    state = deployment.state
    reason = " ".join(deployment.message.split())
    what = f"deployment {deployment.id} of change request #{deployment.change_request_id}"
    if state is D.VERIFIED or (apply.settled(deployment) and state is D.APPLIED):
        return  # verified, or applied to a plan-only zone, which nothing serves
    if state is D.STALE:
        raise fail(f"{what} went stale, nothing was written: {reason}")
    if state is D.FAILED:
        raise fail(f"{what} failed: {reason}")
    if state is D.NOT_STARTED:
        raise fail(f"{what} did not start, nothing was written: {reason}")
    if state in (D.APPLIED, D.UNVERIFIED):
        raise fail(f"{what} is applied, still verifying: {reason or 'no answer yet'}", EXIT_UNFINISHED)
    raise fail(f"{what} is {state}, still applying when the wait ended", EXIT_UNFINISHED)
