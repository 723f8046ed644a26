"""``/api/v1/workspaces/{slug}/changes``: create, revise, submit, review, cancel, comment and apply
change requests; restore a zone version as a new request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from dunops.accounts import access
from dunops.accounts.permissions import Permission
from dunops.storage.models import Approval, ChangeRequest, Comment, Deployment
from dunops.web.deps import DB, MAX_ID, AppSettings, CurrentPrincipal, ReadDB, RowId
from dunops.web.paging import DEFAULT_PAGE, MAX_PAGE, Page
from dunops.web.routes.connections import vault_of
from dunops.web.routing import api_router
from dunops.web.schemas import (
    DeploymentOut,
    Edits,
    QueuedDeployment,
    RevisionBrief,
    RevisionOut,
)
from dunops.workflow import apply, deployments, requests, review

router = api_router(prefix="/api/v1/workspaces/{slug}", tags=["changes"])


class DesiredIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = Field(default="bind", description="bind, octodns or json")
    content: str


class ChangeIn(BaseModel):
    """RRset ``edits`` (upsert/delete) or a full ``desired`` zone in any engine format."""

    model_config = ConfigDict(extra="forbid")

    zone: str
    title: str
    description: str = ""
    edits: Edits | None = None
    desired: DesiredIn | None = None
    submit: bool = False


class ReviseIn(BaseModel):
    """New edits or a desired zone; neither re-plans the last revision's input against live."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    description: str | None = None
    edits: Edits | None = None
    desired: DesiredIn | None = None


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_hash: str = Field(description="The hash of the plan you reviewed; another hash is refused.")
    acknowledge: list[str] = Field(default_factory=list, description="The id of every risk reason.")
    comment: str = ""


class ApplyIn(BaseModel):
    """Only where the policy needs no approval: the applier confirms the plan of a request in review."""

    model_config = ConfigDict(extra="forbid")

    plan_hash: str | None = Field(default=None, description="The hash of the plan you reviewed.")
    acknowledge: list[str] = Field(default_factory=list, description="The id of every risk reason.")


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = ""


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str


class RestoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submit: bool = True


class ApprovalOut(BaseModel):
    reviewer: str
    decision: str
    plan_hash: str
    acknowledged: list[str]
    comment: str
    counts: bool = Field(description="True when it approves the current revision's exact plan hash")
    created_at: datetime


class CommentOut(BaseModel):
    id: int
    author: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, comment: Comment) -> CommentOut:
        return cls(id=comment.id, author=comment.author, body=comment.body, created_at=comment.created_at)


class ChangeSummary(BaseModel):
    id: int
    zone: str
    title: str
    state: str
    revision: int
    plan_hash: str | None
    created_by: str
    agent: str
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    rollback_of: int | None


def deployment_data(deployment: Deployment) -> dict[str, Any]:
    """A deployment as JSON data, as the API shows it (for the CLI's ``--json``)."""
    return DeploymentOut.of(deployment).model_dump(mode="json")


class ChangeOut(ChangeSummary):
    """A change request with its current revision, its review and its deployments."""

    description: str
    current_revision: RevisionOut | None
    revisions: list[RevisionBrief]
    approvals: list[ApprovalOut]
    valid_approvals: int = Field(description="Approvals of the current plan that count today.")
    approvals_required: int = Field(description="0: the author applies after confirming the plan.")
    approver_role: str = Field(description="The lowest role that may approve this plan.")
    protected_names: list[str] = Field(description="Changed names the policy protects (admins approve).")
    comments: list[CommentOut]
    deployments: list[DeploymentOut]


def _summary(change: ChangeRequest, zone: str, plan_hash: str | None, revision: int) -> ChangeSummary:
    return ChangeSummary(
        id=change.id,
        zone=zone,
        title=change.title,
        state=requests.state_of(change).value,
        revision=revision,
        plan_hash=plan_hash,
        created_by=change.created_by,
        agent=change.agent,
        created_at=change.created_at,
        updated_at=change.updated_at,
        expires_at=change.expires_at,
        rollback_of=change.rollback_of_id,
    )


def _approval(approval: Approval, current: int | None, current_hash: str | None) -> ApprovalOut:
    return ApprovalOut(
        reviewer=approval.reviewer,
        decision=approval.decision.value,
        plan_hash=approval.plan_hash,
        acknowledged=list(approval.acknowledged),
        comment=approval.comment,
        counts=approval.decision.value == "approve"
        and approval.revision_id == current
        and approval.plan_hash == current_hash,
        created_at=approval.created_at,
    )


def render(item: requests.ChangeView) -> ChangeOut:
    revision = item.revision
    summary = _summary(
        item.change,
        item.zone.fqdn,
        revision.plan_hash if revision else None,
        revision.number if revision else 0,
    )
    return ChangeOut(
        **summary.model_dump(),
        description=item.change.description,
        current_revision=RevisionOut.model_validate(requests.revision_data(revision)) if revision else None,
        revisions=[
            RevisionBrief(number=r.number, plan_hash=r.plan_hash, summary=r.summary, created_by=r.created_by)
            for r in item.revisions
        ],
        approvals=[
            _approval(a, revision.id if revision else None, revision.plan_hash if revision else None)
            for a in item.approvals
        ],
        valid_approvals=item.valid_approvals,
        approvals_required=item.policy.approvals_required,
        approver_role=item.policy.approver_role(requests.plan_of(revision)).value
        if revision
        else item.policy.min_role.value,
        protected_names=item.protected,
        comments=[CommentOut.of(c) for c in item.comments],
        deployments=[DeploymentOut.of(d) for d in item.deployments],
    )


def _show(db: DB, settings: AppSettings, grant: access.Access, change_id: RowId) -> ChangeOut:
    return render(requests.view(db, grant, change_id))


@router.get("/changes")
def list_changes(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    state: str | None = None,
    zone: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID, description="from a page's next link")] = None,
) -> Page[ChangeSummary]:
    """Change requests, newest first, a page at a time (``state`` and ``zone`` filter them)."""
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    rows = requests.page(db, grant, state=state, zone=zone, before=cursor, limit=limit)
    items = [_summary(row.change, row.zone, row.plan_hash, row.revision) for row in rows]
    last = str(rows[-1].change.id) if len(rows) == limit else None
    return Page.of(items, request, last)


@router.post("/changes", status_code=status.HTTP_201_CREATED)
def create_change(
    slug: str, body: ChangeIn, request: Request, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> ChangeOut:
    """Plan the edits or desired zone against the provider's live zone; stored as revision 1."""
    grant = access.resolve(db, principal, slug, Permission.CHANGES_PROPOSE)
    change = requests.create(
        db,
        settings,
        grant,
        vault_of(request),
        zone=body.zone,
        title=body.title,
        description=body.description,
        edits=body.edits,
        desired=body.desired.model_dump() if body.desired else None,
        submit=body.submit,
    )
    return render(requests.view_of_new(db, change))


@router.get("/changes/{change_id}")
def get_change(
    slug: str, change_id: RowId, db: ReadDB, settings: AppSettings, principal: CurrentPrincipal
) -> ChangeOut:
    grant = access.resolve(db, principal, slug, Permission.ZONES_READ)
    return _show(db, settings, grant, change_id)


@router.post("/changes/{change_id}/revise")
def revise_change(
    slug: str,
    change_id: RowId,
    body: ReviseIn,
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
) -> ChangeOut:
    grant = access.resolve(db, principal, slug, Permission.CHANGES_PROPOSE)
    requests.revise(
        db,
        settings,
        grant,
        vault_of(request),
        change_id,
        edits=body.edits,
        desired=body.desired.model_dump() if body.desired else None,
        title=body.title,
        description=body.description,
    )
    return _show(db, settings, grant, change_id)


@router.post("/changes/{change_id}/submit")
def submit_change(
    slug: str, change_id: RowId, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> ChangeOut:
    grant = access.resolve(db, principal, slug, Permission.CHANGES_PROPOSE)
    requests.submit(db, settings, grant, change_id)
    return _show(db, settings, grant, change_id)


@router.post("/changes/{change_id}/approve")
def approve_change(
    slug: str, change_id: RowId, body: ApproveIn, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> ChangeOut:
    grant = access.resolve(db, principal, slug, Permission.CHANGES_APPROVE)
    review.approve(
        db,
        settings,
        grant,
        change_id,
        plan_hash=body.plan_hash,
        acknowledge=body.acknowledge,
        comment=body.comment,
    )
    return _show(db, settings, grant, change_id)


@router.post("/changes/{change_id}/reject")
def reject_change(
    slug: str, change_id: RowId, body: RejectIn, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> ChangeOut:
    grant = access.resolve(db, principal, slug, Permission.CHANGES_APPROVE)
    review.reject(db, settings, grant, change_id, comment=body.comment)
    return _show(db, settings, grant, change_id)


@router.post("/changes/{change_id}/cancel")
def cancel_change(
    slug: str, change_id: RowId, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> ChangeOut:
    grant = access.resolve(db, principal, slug, Permission.CHANGES_PROPOSE)
    requests.cancel(db, grant, change_id)
    return _show(db, settings, grant, change_id)


@router.post("/changes/{change_id}/comments", status_code=status.HTTP_201_CREATED)
def comment_change(
    slug: str, change_id: RowId, body: CommentIn, db: DB, principal: CurrentPrincipal
) -> CommentOut:
    grant = access.resolve(db, principal, slug, Permission.CHANGES_PROPOSE)
    return CommentOut.of(requests.comment(db, grant, change_id, body.body))


@router.post("/changes/{change_id}/apply", status_code=status.HTTP_202_ACCEPTED)
def apply_change(
    slug: str,
    change_id: RowId,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    body: ApplyIn | None = None,
) -> QueuedDeployment:
    """Queue the apply (a job); asking again returns the same deployment. Follow it on GET /changes/{id}.

    Where the zone's policy needs no approval (``approvals_required`` 0), a request pending review is
    applied once the body confirms its ``plan_hash`` and acknowledges every risk reason."""
    grant = access.resolve(db, principal, slug, Permission.CHANGES_APPLY)
    confirm = body or ApplyIn()
    try:
        deployment = apply.start_apply(
            db, settings, grant, change_id, plan_hash=confirm.plan_hash, acknowledge=confirm.acknowledge
        )
    except apply.ApprovalsLapsed:
        db.commit()  # keep the move back to review and its audit event; then refuse
        raise
    return QueuedDeployment(deployment=deployment.id, **DeploymentOut.of(deployment).model_dump())


@router.post("/zones/{zone}/versions/{number}/restore", status_code=status.HTTP_201_CREATED)
def restore_version(
    slug: str,
    zone: str,
    number: RowId,
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    body: RestoreIn | None = None,
) -> ChangeOut:
    """A new change request making the zone what version ``number`` stored (planned against live)."""
    grant = access.resolve(db, principal, slug, Permission.CHANGES_PROPOSE)
    change = deployments.restore_version(
        db, settings, grant, vault_of(request), zone, number, submit=body.submit if body else True
    )
    return _show(db, settings, grant, change.id)
