"""Deleting a workspace: access ends and its data keys are destroyed at once; the purge follows.

Deleting marks the workspace ``deleting`` (every request into it is then a 404), destroys its data keys
(crypto-shredding: every provider credential it held is unreadable from that moment, in the database
and in every backup), revokes its tokens and invitations, and records a tombstone. The purge
(:mod:`dunops.privacy.purge`) runs once ``DUNOPS_DELETION_GRACE_DAYS`` have passed (0: right after the
commit). Until then an owner may cancel: everything comes back but the credentials, which were shredded
and must be entered again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts.access import Access
from dunops.accounts.permissions import Permission, not_a_member
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.jobs import enqueue_after_commit
from dunops.privacy import requests
from dunops.security.vault import destroy_workspace_key
from dunops.storage.base import utcnow
from dunops.storage.models import (
    ApiToken,
    DeletionTombstone,
    Invitation,
    Membership,
    ProviderConnection,
    RequestKind,
    Role,
    TombstoneKind,
    Workspace,
    WorkspaceStatus,
)

PURGE_WORKSPACE_JOB = "privacy.purge_workspace"


def delete_workspace(session: Session, settings: Settings, grant: Access) -> DeletionTombstone:
    """Delete the workspace of ``grant`` (owners only); returns the tombstone naming when it is purged."""
    grant.require(Permission.WORKSPACE_DELETE)
    requests.record_self_service(session, grant.principal, RequestKind.DELETION, grant.workspace.id)
    return shred(session, settings, grant.workspace, grant.principal)


def shred(
    session: Session, settings: Settings, workspace: Workspace, actor: Principal | None
) -> DeletionTombstone:
    """End access to ``workspace`` and destroy its data keys now; schedule its purge."""
    now = utcnow()
    purge_after = now + timedelta(days=settings.deletion_grace_days)
    _end_access(session, workspace, purge_after)
    tombstone = DeletionTombstone(
        kind=TombstoneKind.WORKSPACE,
        subject_id=workspace.id,
        requested_by_id=actor.user.id if actor else None,
        recorded_at=now,
        purge_after=purge_after,
    )
    session.add(tombstone)
    session.flush()
    audit.record(
        session,
        workspace_id=None,
        actor=actor,
        action="workspace.delete",
        target=f"workspace:{workspace.id}",
        details={"purge_after": purge_after.isoformat()},
    )
    if settings.deletion_grace_days == 0:
        enqueue_after_commit(session, settings, PURGE_WORKSPACE_JOB, workspace_id=workspace.id)
    return tombstone


def reapply(session: Session, tombstone: DeletionTombstone) -> Workspace | None:
    """Delete a workspace again after a restore brought it back (its tombstone says it was deleted):
    access ends and its data keys are destroyed again; returns it, in deletion until the tombstone's
    ``purge_after``, or ``None`` when the restore did not bring it back."""
    workspace = session.get(Workspace, tombstone.subject_id)
    if workspace is None:
        return None
    _end_access(session, workspace, tombstone.purge_after)
    session.flush()
    return workspace


def _end_access(session: Session, workspace: Workspace, purge_after: datetime) -> None:
    """Mark the workspace in deletion, destroy its data keys, revoke its tokens and invitations."""
    now = utcnow()
    workspace.status = WorkspaceStatus.DELETING
    workspace.purge_after = purge_after
    destroy_workspace_key(session, workspace.id)
    session.execute(
        update(ProviderConnection)
        .where(ProviderConnection.workspace_id == workspace.id)
        .values(secret_ciphertext=b"", secret_nonce=b"")
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.workspace_id == workspace.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(Invitation)
        .where(
            Invitation.workspace_id == workspace.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


def cancel_deletion(session: Session, principal: Principal, slug: str) -> Workspace:
    """An owner takes a workspace back during its grace period; its credentials stay shredded."""
    found = session.execute(
        select(Workspace, Membership)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Workspace.slug == slug, Membership.user_id == principal.user.id)
    ).first()
    if found is None or principal.token is not None:
        raise not_a_member(slug)
    workspace, member = found
    if workspace.status != WorkspaceStatus.DELETING:
        raise not_a_member(slug)
    if member.role != Role.OWNER:
        raise not_a_member(slug)
    workspace.status = WorkspaceStatus.ACTIVE
    workspace.purge_after = None
    for tombstone in session.scalars(
        select(DeletionTombstone).where(
            DeletionTombstone.kind == TombstoneKind.WORKSPACE,
            DeletionTombstone.subject_id == workspace.id,
            DeletionTombstone.purged_at.is_(None),
        )
    ):
        session.delete(tombstone)
    session.flush()
    audit.record(
        session,
        workspace_id=workspace.id,
        actor=principal,
        action="workspace.restore",
        target=f"workspace:{workspace.slug}",
        details={"credentials": "destroyed at deletion; enter them again"},
    )
    return workspace
