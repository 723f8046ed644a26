"""Deleting an account: sessions and tokens end at once, memberships end, authored work stays.

What the person wrote in shared workspaces (change requests, revisions, reviews, comments, deployments,
zone versions, imports) stays, attributed to "deleted user #N"; the account row keeps only that label, so
those references still resolve. Every row that exists only for the account (identities, sessions, links,
memberships, notification settings, personal exports, and any table added later whose rows belong to a
user, such as conversations) is removed. Workspaces where the person is the only member are deleted with
it; the last owner of a workspace that has other members must first make one of them an owner, or
delete the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from dunops import audit
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import Conflict, PermissionDenied, Problem
from dunops.privacy import requests, workspace_deletion
from dunops.privacy.scope import user_rows
from dunops.storage.base import utcnow
from dunops.storage.models import (
    ApiToken,
    Approval,
    ChangeRequest,
    ChangeRevision,
    Comment,
    DataExport,
    DeletionTombstone,
    Deployment,
    Invitation,
    MagicLink,
    Membership,
    RequestKind,
    Role,
    TombstoneKind,
    User,
    UserStatus,
    Workspace,
    WorkspaceStatus,
    ZoneImport,
    ZoneVersion,
)

# Where a person's name stands on what they authored: (who, the label shown for them).
AUTHORED: list[tuple[InstrumentedAttribute[int | None], InstrumentedAttribute[str]]] = [
    (ChangeRequest.created_by_id, ChangeRequest.created_by),
    (ChangeRevision.created_by_id, ChangeRevision.created_by),
    (Approval.user_id, Approval.reviewer),
    (Comment.user_id, Comment.author),
    (Deployment.actor_user_id, Deployment.actor),
    (ZoneVersion.created_by_id, ZoneVersion.created_by),
    (ZoneImport.created_by_id, ZoneImport.created_by),
]
# Rows kept though they belong to the account: the account itself (now a label), and its tokens, which
# audit events name (revoked, never deleted, so the signed audit chains stay intact).
_KEPT = {User.__tablename__, ApiToken.__tablename__}


def deleted_label(user_id: int) -> str:
    return f"deleted user #{user_id}"


@dataclass(slots=True)
class AccountDeletion:
    user_id: int
    workspaces_deleted: list[str] = field(default_factory=list)
    memberships_ended: int = 0
    tokens_revoked: int = 0


def _blocking_and_sole(session: Session, user_id: int) -> tuple[list[str], list[Workspace]]:
    """Workspaces the person is the last owner of: those with other members, and those they are alone in."""
    mine = session.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id, Workspace.status == WorkspaceStatus.ACTIVE)
        .order_by(Workspace.slug)
    ).all()
    blocking: list[str] = []
    sole: list[Workspace] = []
    for workspace, role in mine:
        if role != Role.OWNER:
            continue
        others = session.execute(
            select(Membership.role, func.count())
            .where(Membership.workspace_id == workspace.id, Membership.user_id != user_id)
            .group_by(Membership.role)
        ).all()
        if any(other_role == Role.OWNER for other_role, _ in others):
            continue
        if others:
            blocking.append(workspace.slug)
        else:
            sole.append(workspace)
    return blocking, sole


def delete_account(session: Session, settings: Settings, principal: Principal) -> AccountDeletion:
    """Delete the caller's own account (signed in, not through a workspace's API token)."""
    if principal.token is not None:
        raise PermissionDenied("an API token cannot delete its person's account: sign in to do that")
    user = session.get(User, principal.user.id)
    if user is None or user.status == UserStatus.DELETED:
        raise PermissionDenied("this account is deleted already")
    blocking, sole = _blocking_and_sole(session, user.id)
    if blocking:
        raise Conflict(
            "you are the last owner of "
            + ", ".join(f"'{slug}'" for slug in blocking)
            + ": make another member an owner, or delete the workspace, before deleting your account",
            [
                Problem("has other members and no other owner", f"workspace {slug}", "last-owner")
                for slug in blocking
            ],
        )
    result = _erase(session, settings, user, sole, principal)
    requests.record_self_service(session, principal, RequestKind.DELETION)
    session.add(
        DeletionTombstone(
            kind=TombstoneKind.USER,
            subject_id=user.id,
            requested_by_id=user.id,
            recorded_at=utcnow(),
            purge_after=utcnow(),
            purged_at=utcnow(),
        )
    )
    session.flush()
    audit.record(
        session,
        workspace_id=None,
        actor=None,
        action="user.delete",
        target=f"user:{user.id}",
        details={"workspaces_deleted": len(result.workspaces_deleted)},
    )
    return result


def reapply(session: Session, settings: Settings, user_id: int) -> bool:
    """Delete an account again after a restore brought it back (its tombstone says it was deleted);
    without the last-owner check, which the deletion passed once already. True when it was erased."""
    user = session.get(User, user_id)
    if user is None or user.status == UserStatus.DELETED:
        return False
    _, sole = _blocking_and_sole(session, user.id)
    _erase(session, settings, user, sole, None)
    return True


def _erase(
    session: Session, settings: Settings, user: User, sole: list[Workspace], actor: Principal | None
) -> AccountDeletion:
    result = AccountDeletion(user.id)
    for workspace in sole:
        workspace_deletion.shred(session, settings, workspace, actor)
        result.workspaces_deleted.append(workspace.slug)
    label = deleted_label(user.id)
    for who, shown in AUTHORED:
        session.execute(update(who.class_).where(who == user.id).values({shown.key: label}))
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    result.tokens_revoked = int(revoked.rowcount or 0)  # type: ignore[attr-defined]
    result.memberships_ended = (
        session.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == user.id)) or 0
    )
    exports = list(
        session.scalars(
            select(DataExport.file_name).where(DataExport.user_id == user.id, DataExport.file_name != "")
        )
    )
    for table, condition in reversed(user_rows(user.id).items()):
        if table.name not in _KEPT:
            session.execute(delete(table).where(condition))
    session.execute(delete(MagicLink).where(MagicLink.email == user.email))
    session.execute(delete(Invitation).where(Invitation.email == user.email))
    for name in exports:
        (settings.exports_dir / name).unlink(missing_ok=True)
    user.email = f"deleted-user-{user.id}@deleted.invalid"
    user.name = label
    user.status = UserStatus.DELETED
    session.flush()
    return result
