"""Workspace access: resolve a slug for a principal, scoped and checked in one place.

A workspace the principal is not a member of (or that its token is not scoped to) is ``NotFound``,
never ``PermissionDenied``, so its existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dunops.accounts import permissions, request_scope, suspensions
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.storage.models import Membership, Role, Workspace, WorkspaceStatus


@dataclass(frozen=True, slots=True)
class Access:
    """A principal's standing in one workspace."""

    workspace: Workspace
    principal: Principal
    role: Role

    def require(self, permission: Permission) -> None:
        permissions.require(self.role, permission)

    def allows(self, permission: Permission) -> bool:
        return permissions.allows(self.role, permission)


def membership(session: Session, workspace_id: int, user_id: int) -> Membership | None:
    return session.scalars(
        select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == user_id)
    ).first()


# Built once: every request into a workspace runs it.
_MEMBERSHIP = (
    select(Workspace, Membership)
    .join(Membership, Membership.workspace_id == Workspace.id)
    .where(Workspace.slug == bindparam("slug"), Membership.user_id == bindparam("user_id"))
)


def resolve(session: Session, principal: Principal, slug: str, permission: Permission) -> Access:
    """The principal's access to workspace ``slug``, refused unless it carries ``permission``."""
    found = session.execute(_MEMBERSHIP, {"slug": slug, "user_id": principal.user.id}).first()
    if found is None:
        raise permissions.not_a_member(slug)
    workspace, member = found
    if workspace.status != WorkspaceStatus.ACTIVE:
        raise permissions.not_a_member(slug)
    if principal.token is not None and principal.token.workspace_id != workspace.id:
        raise permissions.not_a_member(slug)
    if workspace.is_suspended:
        raise suspensions.of_workspace(workspace)
    role = permissions.effective_role(member.role, principal.token.role if principal.token else None)
    access = Access(workspace=workspace, principal=principal, role=role)
    request_scope.note_workspace(workspace.id)
    access.require(permission)
    return access
