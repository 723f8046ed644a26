"""Invitations: an admin invites an email address into a workspace with a role; the link is emailed.

The link carries a random token whose SHA-256 alone is stored. It works once, for ``invitation_days``,
and only for a signed-in user whose email is the invited one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import permissions, plans, users
from dunops.accounts.access import Access, membership
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.config import Settings
from dunops.errors import Conflict, NotFound, PermissionDenied
from dunops.notify import outbox
from dunops.security.tokens import digest, new_secret
from dunops.storage.base import utcnow
from dunops.storage.models import Invitation, Membership, Role, User, Workspace, WorkspaceStatus


@dataclass(frozen=True, slots=True)
class Pending:
    """An invitation that can still be accepted, with the workspace it leads to."""

    invitation: Invitation
    workspace: Workspace


def link(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/invitations/{token}"


def mask_email(email: str) -> str:
    """``j***@example.com``: enough for the invitee to recognise, not enough to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def invite(session: Session, settings: Settings, grant: Access, email: str, role: Role) -> Invitation:
    """Invite ``email`` as ``role`` (no higher than the inviter's) and email the one-time link."""
    grant.require(Permission.MEMBERS_MANAGE)
    if not permissions.can_grant(grant.role, role):
        raise PermissionDenied(f"as {grant.role} you cannot invite someone as {role}")
    address = users.normalise_email(email)
    workspace = grant.workspace
    member = session.scalars(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace.id, User.email == address)
    ).first()
    if member is not None:
        raise Conflict(f"{address} is already a member of '{workspace.slug}'")
    plans.require_member_room(session, workspace)
    now = utcnow()
    # A new invitation replaces any earlier one to the same address, so only the newest link works.
    for earlier in session.scalars(
        select(Invitation).where(
            Invitation.workspace_id == workspace.id,
            Invitation.email == address,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        earlier.revoked_at = now
    token = new_secret()
    invitation = Invitation(
        workspace_id=workspace.id,
        email=address,
        role=role,
        token_hash=digest(token),
        invited_by_id=grant.principal.user.id,
        created_at=now,
        expires_at=now + timedelta(days=settings.invitation_days),
    )
    session.add(invitation)
    session.flush()
    inviter = grant.principal.user.name or grant.principal.user.email
    outbox.send_mail(
        session,
        settings,
        to=address,
        subject=f"You are invited to {workspace.name} on DunOps",
        body=(
            f'{inviter} invited you to the DunOps workspace "{workspace.name}" as {role}.\n\n'
            f"Accept the invitation here (sign in as {address}):\n{link(settings, token)}\n\n"
            f"The link works once and expires in {settings.invitation_days} days. "
            "If you did not expect it, ignore this email.\n"
        ),
    )
    audit.record(
        session,
        workspace_id=workspace.id,
        actor=grant.principal,
        action="invitation.create",
        target=f"invitation:{invitation.id}",
        details={"email": address, "role": str(role), "expires_at": invitation.expires_at.isoformat()},
    )
    return invitation


def pending(session: Session, token: str) -> Pending:
    """The invitation behind a link, refused with a message that says why it no longer works."""
    invitation = session.scalars(select(Invitation).where(Invitation.token_hash == digest(token))).first()
    if invitation is None:
        raise NotFound("this invitation link is not valid; check that it was copied whole")
    workspace = session.get(Workspace, invitation.workspace_id)
    if workspace is None or workspace.status != WorkspaceStatus.ACTIVE:
        raise NotFound("the workspace of this invitation no longer exists")
    if invitation.accepted_at is not None:
        raise NotFound("this invitation has already been used")
    if invitation.revoked_at is not None:
        raise NotFound("this invitation was withdrawn or replaced by a newer one; ask for a new invitation")
    if invitation.expires_at <= utcnow():
        raise NotFound("this invitation has expired; ask a workspace admin for a new one")
    return Pending(invitation, workspace)


def waiting_for(session: Session, email: str) -> bool:
    """Whether an invitation that can still be accepted waits for this address."""
    found = session.scalars(
        select(Invitation.id).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    ).first()
    return found is not None


def accept(session: Session, principal: Principal, token: str) -> Membership:
    """The signed-in user joins the workspace with the invited role, if the invitation is theirs."""
    found = pending(session, token)
    invitation, workspace = found.invitation, found.workspace
    if principal.token is not None:
        raise PermissionDenied("an API token cannot accept invitations; sign in to accept")
    if principal.user.email.lower() != invitation.email.lower():
        raise PermissionDenied(
            f"this invitation was sent to {mask_email(invitation.email)}, but you are signed in as "
            f"{principal.user.email}; sign in with the invited address to accept it"
        )
    inviter = (
        membership(session, workspace.id, invitation.invited_by_id) if invitation.invited_by_id else None
    )
    if inviter is None or not permissions.can_grant(inviter.role, invitation.role):
        raise NotFound("this invitation was withdrawn: whoever sent it can no longer grant that role")
    already = session.scalars(
        select(Membership).where(
            Membership.workspace_id == workspace.id, Membership.user_id == principal.user.id
        )
    ).first()
    if already is not None:
        raise Conflict(f"you are already a member of '{workspace.slug}' as {already.role}")
    plans.require_member_room(session, workspace)
    # Of two acceptances at once, exactly one marks the invitation used; the other is refused cleanly.
    used = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if int(used.rowcount or 0) != 1:  # type: ignore[attr-defined]
        raise NotFound("this invitation has already been used")
    session.refresh(invitation)
    member = Membership(workspace_id=workspace.id, user_id=principal.user.id, role=invitation.role)
    session.add(member)
    session.flush()
    audit.record(
        session,
        workspace_id=workspace.id,
        actor=principal,
        action="invitation.accept",
        target=f"invitation:{invitation.id}",
        details={"user_id": principal.user.id, "role": str(invitation.role)},
    )
    return member
