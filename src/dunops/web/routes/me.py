"""``/api/v1/me``: who the caller is, and deleting one's own account."""

from __future__ import annotations

from datetime import datetime

from fastapi import Response
from pydantic import BaseModel

from dunops.privacy import account_deletion
from dunops.web.deps import DB, SESSION_COOKIE, AppSettings, CurrentPrincipal
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1", tags=["me"])


class TokenInfo(BaseModel):
    id: int
    prefix: str
    workspace_id: int
    role: str
    expires_at: datetime | None


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    status: str
    created_at: datetime
    token: TokenInfo | None = None


@router.get("/me")
def me(principal: CurrentPrincipal) -> MeOut:
    user, token = principal.user, principal.token
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        status=user.status,
        created_at=user.created_at,
        token=(
            TokenInfo(
                id=token.id,
                prefix=token.prefix,
                workspace_id=token.workspace_id,
                role=token.role,
                expires_at=token.expires_at,
            )
            if token
            else None
        ),
    )


class AccountDeletionOut(BaseModel):
    deleted: bool = True
    shown_as: str
    workspaces_deleted: list[str]
    memberships_ended: int
    tokens_revoked: int


@router.delete("/me")
def delete_me(
    db: DB, settings: AppSettings, principal: CurrentPrincipal, response: Response
) -> AccountDeletionOut:
    """Delete your account: every session and token ends now, your memberships end, what you wrote in
    shared workspaces stays as "deleted user #N", and workspaces where you are the only member are
    deleted with it. The last owner of a workspace with other members must hand it over first (409)."""
    result = account_deletion.delete_account(db, settings, principal)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return AccountDeletionOut(
        shown_as=account_deletion.deleted_label(result.user_id),
        workspaces_deleted=result.workspaces_deleted,
        memberships_ended=result.memberships_ended,
        tokens_revoked=result.tokens_revoked,
    )
