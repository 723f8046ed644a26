"""Platform administration: what the operators of a DunOps service see and do across workspaces.

Operators are users with ``platform_admin`` set (``dunops users create --platform-admin``), or the CLI
itself. They list workspaces with their usage and users, and suspend or unsuspend either: suspending a
user ends their sessions at once and their tokens answer 403 naming the suspension; suspending a
workspace makes every call into it, by any member or token, answer 403 naming the suspension. Every
action is audited: on the workspace's chain for a workspace, on the instance chain for a user.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import users, workspaces
from dunops.accounts.principal import Principal
from dunops.errors import Conflict, InvalidInput, NotFound
from dunops.storage.base import utcnow
from dunops.storage.models import (
    ChangeRequest,
    Membership,
    ProviderConnection,
    SupportTicket,
    TicketStatus,
    User,
    UserStatus,
    Workspace,
    Zone,
    ZoneRRset,
)

REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class Usage:
    """What one workspace holds and uses."""

    workspace: Workspace
    members: int
    zones: int
    rrsets: int
    connections: int
    changes: int
    open_tickets: int


def require_operator(principal: Principal) -> None:
    """Refuse anyone but a platform admin, as if the page did not exist (its existence is no secret, but
    a member has no business there)."""
    if not principal.user.platform_admin or not principal.user.is_active or principal.token is not None:
        raise NotFound("no such page")


def _counts(session: Session, column: object, *where: object) -> dict[int, int]:
    query = select(column, func.count()).where(*where).group_by(column)  # type: ignore[call-overload]
    return {int(key): int(count) for key, count in session.execute(query)}


def usage(session: Session) -> list[Usage]:
    """Every workspace with its usage, in a fixed number of queries."""
    members = _counts(session, Membership.workspace_id)
    zones = _counts(session, Zone.workspace_id)
    connections = _counts(session, ProviderConnection.workspace_id)
    changes = _counts(session, ChangeRequest.workspace_id)
    tickets = _counts(session, SupportTicket.workspace_id, SupportTicket.status == TicketStatus.OPEN)
    rrsets = {
        int(key): int(total or 0)
        for key, total in session.execute(
            select(Zone.workspace_id, func.count(ZoneRRset.zone_id))
            .join(ZoneRRset, ZoneRRset.zone_id == Zone.id)
            .group_by(Zone.workspace_id)
        )
    }
    return [
        Usage(
            workspace,
            members.get(workspace.id, 0),
            zones.get(workspace.id, 0),
            rrsets.get(workspace.id, 0),
            connections.get(workspace.id, 0),
            changes.get(workspace.id, 0),
            tickets.get(workspace.id, 0),
        )
        for workspace in workspaces.every(session)
    ]


def people(session: Session) -> list[User]:
    return [user for user in users.listing(session) if user.status != UserStatus.DELETED]


def _reason(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if len(cleaned) > REASON_MAX:
        raise InvalidInput.single(f"must be at most {REASON_MAX} characters", "reason")
    return cleaned


def suspend_workspace(
    session: Session, slug: str, *, reason: str = "", actor: Principal | None = None
) -> Workspace:
    """Suspend a workspace: every call into it answers 403 naming the suspension; nothing is deleted."""
    workspace = workspaces.by_slug(session, slug)
    cleaned = _reason(reason)
    if workspace.is_suspended:
        raise Conflict(f"workspace '{workspace.slug}' is already suspended")
    workspace.suspended_at = utcnow()
    workspace.suspended_reason = cleaned
    session.flush()
    audit.record(
        session,
        workspace_id=workspace.id,
        actor=actor,
        action="workspace.suspend",
        target=f"workspace:{workspace.slug}",
        details={"reason": cleaned},
    )
    return workspace


def unsuspend_workspace(session: Session, slug: str, *, actor: Principal | None = None) -> Workspace:
    workspace = workspaces.by_slug(session, slug)
    if not workspace.is_suspended:
        raise Conflict(f"workspace '{workspace.slug}' is not suspended")
    workspace.suspended_at = None
    workspace.suspended_reason = ""
    session.flush()
    audit.record(
        session,
        workspace_id=workspace.id,
        actor=actor,
        action="workspace.unsuspend",
        target=f"workspace:{workspace.slug}",
    )
    return workspace


def suspend_user(session: Session, email: str, *, reason: str = "", actor: Principal | None = None) -> User:
    """Suspend a user: their sessions end now, their tokens answer 403 naming the suspension."""
    user = users.require_by_email(session, email)
    if user.status == UserStatus.SUSPENDED:
        raise Conflict(f"{user.email} is already suspended")
    if actor is not None and actor.user.id == user.id:
        raise Conflict("you cannot suspend yourself")
    user.suspended_reason = _reason(reason)
    users.suspend(session, user, actor=actor)
    return user


def unsuspend_user(session: Session, email: str, *, actor: Principal | None = None) -> User:
    user = users.require_by_email(session, email)
    if user.status != UserStatus.SUSPENDED:
        raise Conflict(f"{user.email} is not suspended")
    user.suspended_reason = ""
    users.unsuspend(session, user, actor=actor)
    return user


def set_platform_admin(session: Session, email: str, value: bool, *, actor: Principal | None = None) -> User:
    user = users.require_by_email(session, email)
    user.platform_admin = value
    session.flush()
    audit.record(
        session,
        workspace_id=None,
        actor=actor,
        action="user.platform_admin" if value else "user.platform_admin_revoke",
        target=f"user:{user.id}",
    )
    return user
