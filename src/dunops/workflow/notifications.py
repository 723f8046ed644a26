"""Change-workflow mail through the outbox: reviewers when a request awaits review, the author when it
is approved, rejected, applied, failed, stale or expired. Each member can mute one workspace's mail.

A request only queues a job naming what happened (after its transaction commits); the job finds who to
tell and writes the mail, so a request does not pay for composing messages.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission, allows
from dunops.config import Settings
from dunops.jobs import enqueue_after_commit
from dunops.notify import send_mail
from dunops.storage.models import ChangeRequest, Membership, NotificationMute, User, Workspace

AUTHOR_EVENTS = {
    "approved": "was approved and can be applied",
    "rejected": "was rejected",
    "applied": "was applied",
    "failed": "failed to apply",
    "stale": "is stale: the zone changed since the plan was made; re-plan it",
    "expired": "expired without being applied",
    "not_started": "could not start: the zone was busy; apply it again",
}


def is_muted(session: Session, user_id: int, workspace_id: int) -> bool:
    query = select(NotificationMute.id).where(
        NotificationMute.user_id == user_id, NotificationMute.workspace_id == workspace_id
    )
    return session.scalars(query).first() is not None


def mute(session: Session, grant: Access) -> None:
    """Stop change-workflow mail from this workspace to the caller (idempotent)."""
    grant.require(Permission.WORKSPACE_READ)
    user_id = grant.principal.user.id
    if is_muted(session, user_id, grant.workspace.id):
        return
    try:
        with session.begin_nested():
            session.add(NotificationMute(user_id=user_id, workspace_id=grant.workspace.id))
    except IntegrityError:
        return
    audit.record(session, workspace_id=grant.workspace.id, actor=grant.principal, action="notifications.mute")


def unmute(session: Session, grant: Access) -> None:
    grant.require(Permission.WORKSPACE_READ)
    session.execute(
        delete(NotificationMute).where(
            NotificationMute.user_id == grant.principal.user.id,
            NotificationMute.workspace_id == grant.workspace.id,
        )
    )
    audit.record(
        session, workspace_id=grant.workspace.id, actor=grant.principal, action="notifications.unmute"
    )


def _link(settings: Settings, workspace: Workspace, change: ChangeRequest) -> str:
    return f"{settings.public_url}/api/v1/workspaces/{workspace.slug}/changes/{change.id}"


def reviewers(session: Session, change: ChangeRequest, min_rank: int) -> list[User]:
    """Active members who may approve this request: the approve permission, the policy's role, not the
    author nor the person an agent proposed it for."""
    excluded = {change.created_by_id, change.on_behalf_of_id}
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == change.workspace_id)
        .order_by(User.email)
    )
    return [
        user
        for membership, user in rows
        if user.id not in excluded
        and user.is_active
        and membership.role.rank >= min_rank
        and allows(membership.role, Permission.CHANGES_APPROVE)
    ]


REVIEW_JOB = "workflow.mail_reviewers"
AUTHOR_JOB = "workflow.mail_author"


def awaiting_review(
    session: Session, settings: Settings, change: ChangeRequest, summary: str, min_rank: int
) -> None:
    """Tell every reviewer who has not muted the workspace (by a job, once this transaction commits)."""
    enqueue_after_commit(
        session, settings, REVIEW_JOB, change_id=change.id, summary=summary, min_rank=min_rank
    )


def to_author(
    session: Session, settings: Settings, change: ChangeRequest, event: str, detail: str = ""
) -> None:
    """Tell the author (or, for an agent's request, the person it acted for) what happened (by a job)."""
    enqueue_after_commit(
        session, settings, AUTHOR_JOB, durable=True, change_id=change.id, event=event, detail=detail
    )


def mail_reviewers(
    session: Session, settings: Settings, change: ChangeRequest, summary: str, min_rank: int
) -> list[str]:
    """Mail every reviewer who has not muted the workspace; returns the addresses mailed."""
    workspace = session.get(Workspace, change.workspace_id)
    assert workspace is not None
    sent = []
    candidates = reviewers(session, change, min_rank)
    muted = set(
        session.scalars(
            select(NotificationMute.user_id).where(
                NotificationMute.workspace_id == workspace.id,
                NotificationMute.user_id.in_([user.id for user in candidates]),
            )
        )
    )
    for user in candidates:
        if user.id in muted:
            continue
        send_mail(
            session,
            settings,
            to=user.email,
            subject=f"[DunOps {workspace.slug}] Review change #{change.id}: {change.title}"[:200],
            body=(
                f"{change.created_by} asks for a review of change request #{change.id} "
                f'"{change.title}".\n\n{summary}\n\n{_link(settings, workspace, change)}\n'
            ),
        )
        sent.append(user.email)
    return sent


def mail_author(
    session: Session, settings: Settings, change: ChangeRequest, event: str, detail: str = ""
) -> bool:
    """Mail the author (or, for an agent's request, the person it acted for) what happened."""
    user_id = change.on_behalf_of_id if change.agent else change.created_by_id
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active or is_muted(session, user.id, change.workspace_id):
        return False
    workspace = session.get(Workspace, change.workspace_id)
    assert workspace is not None
    what = AUTHOR_EVENTS.get(event, event)
    send_mail(
        session,
        settings,
        to=user.email,
        subject=f"[DunOps {workspace.slug}] Change #{change.id} {event.replace('_', ' ')}: {change.title}"[
            :200
        ],
        body=(
            f'Your change request #{change.id} "{change.title}" {what}.\n'
            + (f"\n{detail}\n" if detail else "")
            + f"\n{_link(settings, workspace, change)}\n"
        ),
    )
    return True
