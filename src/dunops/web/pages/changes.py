"""Change request pages: the list, one request (its plan as a readable diff, risk reasons to acknowledge,
approvals, comments, the actions the caller may take, its deployments with live status), and rollback.

Every action posts to the service the API calls; a person never writes to a provider from a page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from dunops.accounts.permissions import Permission
from dunops.storage.models import ChangeState, DeploymentState
from dunops.web.deps import DB, MAX_ID, AppSettings, CurrentPrincipal, ReadDB, RowId
from dunops.web.pages.base import Workspace, page_router, render, workspace
from dunops.web.routes.changes import ChangeOut
from dunops.web.routes.changes import render as change_out
from dunops.web.routes.connections import vault_of
from dunops.workflow import apply, deployments, requests, review
from dunops.workflow.states import OPEN_STATES

router = page_router()

CHANGES_PER_PAGE = 50
# Deployments still moving: their status is polled until it settles.
MOVING = {DeploymentState.QUEUED.value, DeploymentState.RUNNING.value, DeploymentState.APPLIED.value}
ROLLBACK_FROM = {
    DeploymentState.APPLIED.value,
    DeploymentState.VERIFIED.value,
    DeploymentState.UNVERIFIED.value,
}


def change_path(slug: str, change_id: int) -> str:
    return f"/w/{slug}/changes/{change_id}"


@router.get("/w/{slug}/changes")
def change_list(
    slug: str,
    request: Request,
    db: ReadDB,
    principal: CurrentPrincipal,
    state: Annotated[str, Query(max_length=40)] = "",
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    ws = workspace(db, principal, slug, Permission.ZONES_READ)
    rows = requests.page(db, ws.grant, state=state or None, before=before, limit=CHANGES_PER_PAGE)
    return render(
        request,
        "changes.html",
        ws=ws,
        rows=rows,
        state=state,
        states=[s.value for s in ChangeState],
        state_of=requests.state_of,
        older=rows[-1].change.id if len(rows) == CHANGES_PER_PAGE else None,
    )


def _actions(ws: Workspace, view: requests.ChangeView, shown: ChangeOut) -> dict[str, bool]:
    """The buttons the caller may press on this request now (the services decide again on every post)."""
    user_id = ws.grant.principal.user.id
    change = view.change
    state = ChangeState(shown.state)
    is_author = user_id in {change.created_by_id, change.on_behalf_of_id}
    plan = requests.plan_of(view.revision) if view.revision else None
    may_review = (
        plan is not None
        and state in {ChangeState.PENDING_REVIEW, ChangeState.APPROVED}
        and not is_author
        and view.policy.admits(ws.grant.role, plan)
    )
    may_propose = ws.may(Permission.CHANGES_PROPOSE)
    self_apply = shown.approvals_required == 0 and state == ChangeState.PENDING_REVIEW
    return {
        "review": may_review,
        "submit": may_propose and is_author and state == ChangeState.DRAFT,
        "cancel": may_propose and state in OPEN_STATES and (is_author or ws.may(Permission.POLICY_MANAGE)),
        "apply": ws.may(Permission.CHANGES_APPLY) and (state == ChangeState.APPROVED or self_apply),
        "confirm_plan": self_apply,
        "comment": may_propose,
        "rollback": may_propose,
    }


@router.get("/w/{slug}/changes/{change_id}")
def change_page(
    slug: str, change_id: RowId, request: Request, db: ReadDB, principal: CurrentPrincipal
) -> Response:
    ws = workspace(db, principal, slug, Permission.ZONES_READ)
    view = requests.view(db, ws.grant, change_id)
    shown = change_out(view)
    return render(
        request,
        "change.html",
        ws=ws,
        change=shown,
        plan=shown.current_revision.plan.changes if shown.current_revision else [],
        actions=_actions(ws, view, shown),
        moving=MOVING,
        rollback_from=ROLLBACK_FROM,
    )


@router.get("/w/{slug}/changes/{change_id}/deployments")
def deployment_status(
    slug: str, change_id: RowId, request: Request, db: ReadDB, principal: CurrentPrincipal
) -> Response:
    """The request's deployments alone: what the change page polls while one is still moving."""
    ws = workspace(db, principal, slug, Permission.ZONES_READ)
    view = requests.view(db, ws.grant, change_id)
    shown = change_out(view)
    return render(
        request,
        "deployments_part.html",
        ws=ws,
        change=shown,
        actions=_actions(ws, view, shown),
        moving=MOVING,
        rollback_from=ROLLBACK_FROM,
    )


def _back(slug: str, change_id: int) -> Response:
    return RedirectResponse(change_path(slug, change_id), status_code=303)


@router.post("/w/{slug}/changes/{change_id}/submit")
def submit(
    slug: str, change_id: RowId, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> Response:
    ws = workspace(db, principal, slug, Permission.CHANGES_PROPOSE)
    requests.submit(db, settings, ws.grant, change_id)
    return _back(slug, change_id)


@router.post("/w/{slug}/changes/{change_id}/approve")
def approve(
    slug: str,
    change_id: RowId,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    plan_hash: Annotated[str, Form(max_length=100)] = "",
    acknowledge: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
    comment: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.CHANGES_APPROVE)
    review.approve(
        db, settings, ws.grant, change_id, plan_hash=plan_hash, acknowledge=acknowledge, comment=comment
    )
    return _back(slug, change_id)


@router.post("/w/{slug}/changes/{change_id}/reject")
def reject(
    slug: str,
    change_id: RowId,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    comment: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.CHANGES_APPROVE)
    review.reject(db, settings, ws.grant, change_id, comment=comment)
    return _back(slug, change_id)


@router.post("/w/{slug}/changes/{change_id}/cancel")
def cancel(slug: str, change_id: RowId, db: DB, principal: CurrentPrincipal) -> Response:
    ws = workspace(db, principal, slug, Permission.CHANGES_PROPOSE)
    requests.cancel(db, ws.grant, change_id)
    return _back(slug, change_id)


@router.post("/w/{slug}/changes/{change_id}/comments")
def comment(
    slug: str,
    change_id: RowId,
    db: DB,
    principal: CurrentPrincipal,
    body: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    ws = workspace(db, principal, slug, Permission.CHANGES_PROPOSE)
    requests.comment(db, ws.grant, change_id, body)
    return _back(slug, change_id)


@router.post("/w/{slug}/changes/{change_id}/apply")
def apply_change(
    slug: str,
    change_id: RowId,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
    plan_hash: Annotated[str, Form(max_length=100)] = "",
    acknowledge: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    ws = workspace(db, principal, slug, Permission.CHANGES_APPLY)
    confirm: dict[str, Any] = {"plan_hash": plan_hash or None, "acknowledge": acknowledge}
    try:
        apply.start_apply(db, settings, ws.grant, change_id, **confirm)
    except apply.ApprovalsLapsed:
        db.commit()  # keep the move back to review and its audit event; then refuse
        raise
    return _back(slug, change_id)


@router.post("/w/{slug}/deployments/{deployment_id}/rollback")
def rollback(
    slug: str,
    deployment_id: RowId,
    request: Request,
    db: DB,
    settings: AppSettings,
    principal: CurrentPrincipal,
) -> Response:
    ws = workspace(db, principal, slug, Permission.CHANGES_PROPOSE)
    change = deployments.rollback(db, settings, ws.grant, vault_of(request), deployment_id, submit=True)
    return _back(slug, change.id)
