"""Review: approve or reject the current revision of a change request.

An approval binds to the plan hash the reviewer states they reviewed; it must be the current
revision's hash. The author never approves their own request; a request the agent proposed is
approved explicitly by the person it acted for (the agent wrote it, they did not), unless the policy
demands independent review, when another member must. The approver needs the approve permission and
the policy's minimum role (admin for protected names), must be an active user (a suspended member
reviews nothing, whichever edge they come through), and acknowledges every risk reason of the plan by
its id. Only a person approves: an agent has no path here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission
from dunops.config import Settings
from dunops.errors import Conflict, InvalidInput, PermissionDenied
from dunops.storage.models import (
    Approval,
    ChangeRequest,
    ChangeRevision,
    ChangeState,
    Decision,
    User,
    Zone,
)
from dunops.workflow import notifications
from dunops.workflow import policy as policies
from dunops.workflow.confirmation import confirmed
from dunops.workflow.requests import (
    COMMENT_MAX,
    approval_standing,
    current_revision,
    get,
    move,
    plan_of,
    refuse_control_characters,
    refuse_if_expired,
    reopen_if_short,
)
from dunops.zones import zones

S = ChangeState


def _may_review(session: Session, grant: Access, change: ChangeRequest, revision: ChangeRevision) -> None:
    grant.require(Permission.CHANGES_APPROVE)
    user_id = grant.principal.user.id
    reviewer = session.get(User, user_id, populate_existing=True)
    if reviewer is None or not reviewer.is_active:
        raise PermissionDenied(
            f"{grant.principal.label} is not an active user: a suspended member cannot review change requests"
        )
    zone = session.get(Zone, change.zone_id)
    assert zone is not None
    policy = policies.for_zone(session, zone)
    if change.agent and user_id == change.on_behalf_of_id:
        if policy.independent_review:
            raise PermissionDenied(
                f"change request {change.id} was proposed on your behalf and the policy demands "
                "independent review: another member must review it"
            )
    elif user_id in {change.created_by_id, change.on_behalf_of_id}:
        raise PermissionDenied(f"the author of change request {change.id} cannot review it")
    plan = plan_of(revision)
    needed = policy.approver_role(plan)
    if not policy.admits(grant.role, plan):
        protected = policy.protected_in(plan)
        why = f" (it changes protected names: {', '.join(protected)})" if protected else ""
        raise PermissionDenied(f"reviewing change request {change.id} needs the {needed} role or above{why}")


def _already(session: Session, grant: Access, revision: ChangeRevision) -> Approval | None:
    return session.scalars(
        select(Approval).where(
            Approval.revision_id == revision.id, Approval.user_id == grant.principal.user.id
        )
    ).first()


def _record(
    session: Session,
    grant: Access,
    change: ChangeRequest,
    revision: ChangeRevision,
    decision: Decision,
    acknowledged: list[str],
    comment: str,
) -> Approval:
    if _already(session, grant, revision) is not None:
        raise Conflict(f"you have already reviewed revision {revision.number} of change request {change.id}")
    approval = Approval(
        change_request_id=change.id,
        revision_id=revision.id,
        user_id=grant.principal.user.id,
        token_id=grant.principal.token.id if grant.principal.token else None,
        reviewer=grant.principal.label,
        plan_hash=revision.plan_hash,
        acknowledged=acknowledged,
        decision=decision,
        comment=comment,
    )
    try:
        with session.begin_nested():
            session.add(approval)
    except IntegrityError:
        raise Conflict(
            f"you have already reviewed revision {revision.number} of change request {change.id}"
        ) from None
    return approval


def _comment(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > COMMENT_MAX:
        raise InvalidInput.single(f"must be text of at most {COMMENT_MAX} characters", "comment")
    refuse_control_characters(value, "comment")
    return value.strip()


def _pending(change: ChangeRequest, verb: str) -> None:
    if change.state is not S.PENDING_REVIEW:
        raise Conflict(
            f"change request {change.id} is {change.state}: only a request pending review can be {verb}"
        )


def approve(
    session: Session,
    settings: Settings,
    grant: Access,
    change_id: int,
    *,
    plan_hash: Any,
    acknowledge: Any = (),
    comment: Any = None,
) -> ChangeRequest:
    """Approve the current revision; enough valid approvals move the request to ``approved``.

    A reviewer whose approval already counts may approve again: a request whose approvals satisfy the
    policy again (its approver was reinstated) then moves to ``approved`` instead of staying in review.
    """
    grant.require(Permission.CHANGES_APPROVE)
    text = _comment(comment)
    change = get(session, grant, change_id, lock=True)
    refuse_if_expired(change)
    revision = current_revision(session, change)
    _may_review(session, grant, change, revision)
    _pending(change, "approved")
    acknowledged = confirmed(change, revision, plan_hash, acknowledge)
    earlier = _already(session, grant, revision)
    if earlier is None:
        _record(session, grant, change, revision, Decision.APPROVE, acknowledged, text)
    standing = approval_standing(session, change, revision)
    if earlier is not None and not (earlier in standing.counting and standing.enough):
        raise Conflict(f"you have already reviewed revision {revision.number} of change request {change.id}")
    required = standing.required
    count = len(standing.counting)
    details = {"approvals": count, "required": required, "acknowledged": acknowledged}
    if count >= required:
        move(session, change, S.APPROVED, grant.principal, "change.approve", details)
        notifications.to_author(
            session, settings, change, "approved", f"Approved by {grant.principal.label}."
        )
    else:
        move(session, change, S.PENDING_REVIEW, grant.principal, "change.approval", details)
    return change


def reject(
    session: Session, settings: Settings, grant: Access, change_id: int, *, comment: Any = None
) -> ChangeRequest:
    """Reject the current revision: the request ends ``rejected``."""
    grant.require(Permission.CHANGES_APPROVE)
    text = _comment(comment)
    change = get(session, grant, change_id, lock=True)
    refuse_if_expired(change)
    revision = current_revision(session, change)
    _may_review(session, grant, change, revision)
    _pending(change, "rejected")
    _record(session, grant, change, revision, Decision.REJECT, [], text)
    move(session, change, S.REJECTED, grant.principal, "change.reject", {"comment": text[:500]})
    notifications.to_author(
        session, settings, change, "rejected", f"Rejected by {grant.principal.label}. {text}".strip()
    )
    return change


def update_policy(
    session: Session,
    grant: Access,
    *,
    zone: str | None = None,
    approvals_required: Any = None,
    min_role: Any = None,
    protected_names: Any = None,
    independent_review: Any = None,
    clear: bool = False,
) -> list[int]:
    """Change an approval policy, then send the scope's approved requests it no longer admits back to
    review; returns their ids."""
    policies.update(
        session,
        grant,
        zone=zone,
        approvals_required=approvals_required,
        min_role=min_role,
        protected_names=protected_names,
        independent_review=independent_review,
        clear=clear,
    )
    query = select(ChangeRequest).where(
        ChangeRequest.workspace_id == grant.workspace.id, ChangeRequest.state == S.APPROVED
    )
    if zone:
        query = query.where(ChangeRequest.zone_id == zones.get(session, grant, zone).id)
    reopened = []
    for change in list(session.scalars(query.order_by(ChangeRequest.id).with_for_update())):
        if not reopen_if_short(session, change, grant.principal).enough:
            reopened.append(change.id)
    return reopened
