"""``/api/v1/workspaces/{slug}/members``: who belongs to a workspace, in which role."""

from __future__ import annotations

from datetime import datetime

from fastapi import Response, status
from pydantic import BaseModel, ConfigDict, Field

from dunops.accounts import access, memberships
from dunops.accounts.permissions import Permission
from dunops.storage.models import Membership, Role
from dunops.web.deps import DB, CurrentPrincipal, ReadDB, RowId
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1/workspaces/{slug}/members", tags=["members"])


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    role: Role


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class MemberOut(BaseModel):
    user_id: RowId
    email: str
    name: str
    role: Role
    joined_at: datetime

    @classmethod
    def of(cls, member: Membership) -> MemberOut:
        return cls(
            user_id=member.user_id,
            email=member.user.email,
            name=member.user.name,
            role=member.role,
            joined_at=member.created_at,
        )


@router.get("")
def list_members(slug: str, db: ReadDB, principal: CurrentPrincipal) -> list[MemberOut]:
    grant = access.resolve(db, principal, slug, Permission.MEMBERS_READ)
    return [MemberOut.of(member) for member in memberships.listing(db, grant)]


@router.post("", status_code=status.HTTP_201_CREATED)
def add_member(slug: str, body: MemberIn, db: DB, principal: CurrentPrincipal) -> MemberOut:
    """Add an existing user by email (admin and above; a role no higher than yours)."""
    grant = access.resolve(db, principal, slug, Permission.MEMBERS_MANAGE)
    return MemberOut.of(memberships.add(db, grant, body.email, body.role, colleagues_only=True))


@router.patch("/{user_id}")
def change_role(
    slug: str, user_id: RowId, body: MemberUpdate, db: DB, principal: CurrentPrincipal
) -> MemberOut:
    """Change a member's role; the last owner cannot be demoted."""
    grant = access.resolve(db, principal, slug, Permission.MEMBERS_MANAGE)
    return MemberOut.of(memberships.change_role(db, grant, user_id, body.role))


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(slug: str, user_id: RowId, db: DB, principal: CurrentPrincipal) -> Response:
    """Remove a member, or leave when ``user_id`` is yours; their tokens here are revoked."""
    grant = access.resolve(db, principal, slug, Permission.WORKSPACE_READ)
    memberships.remove(db, grant, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
