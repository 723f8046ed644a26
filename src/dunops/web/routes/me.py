"""``/api/v1/me``: everything held about the caller, correcting it, and deleting one's own account."""

from __future__ import annotations

from datetime import datetime

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from dunops.accounts.principal import Principal
from dunops.privacy import account_deletion, profile
from dunops.web.deps import DB, SESSION_COOKIE, AppSettings, CurrentPrincipal, ReadDB
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1", tags=["me"])


class TokenInfo(BaseModel):
    id: int
    prefix: str
    workspace_id: int
    role: str
    expires_at: datetime | None


class IdentityOut(BaseModel):
    provider: str
    issuer: str
    subject: str
    email: str
    created_at: datetime
    last_used_at: datetime | None


class SessionOut(BaseModel):
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client_address: str
    user_agent: str


class MembershipOut(BaseModel):
    workspace: str
    workspace_name: str
    role: str
    since: datetime


class HeldTokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    workspace: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    status: str
    created_at: datetime
    token: TokenInfo | None = None
    pending_email: str | None = None
    identities: list[IdentityOut] = []
    sessions: list[SessionOut] = []
    memberships: list[MembershipOut] = []
    tokens: list[HeldTokenOut] = []


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, description="Replaced once confirmed by mail.")


@router.get("/me")
def me(db: ReadDB, principal: CurrentPrincipal) -> MeOut:
    """Everything DunOps holds about you: profile, sign-in identities, sessions, memberships, tokens."""
    return _me_out(db, principal)


@router.patch("/me")
def correct_me(body: MeUpdate, db: DB, settings: AppSettings, principal: CurrentPrincipal) -> MeOut:
    """Correct your name (at once) or email (a confirmation link goes to the new address first)."""
    profile.correct(db, settings, principal, name=body.name, email=body.email)
    db.flush()
    return _me_out(db, principal)


@router.post("/me/email/confirm/{token}")
def confirm_email(token: str, db: DB) -> dict[str, str]:
    """Follow the link mailed to a new address: it replaces the account's email."""
    return {"email": profile.confirm_email(db, token).email}


def _me_out(db: Session, principal: Principal) -> MeOut:
    held = profile.held(db, principal.user.id)
    user, token = held.user, principal.token
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        status=user.status,
        created_at=user.created_at,
        pending_email=held.pending_email,
        identities=[
            IdentityOut(
                provider=i.provider,
                issuer=i.issuer,
                subject=i.subject,
                email=i.email,
                created_at=i.created_at,
                last_used_at=i.last_used_at,
            )
            for i in held.identities
        ],
        sessions=[
            SessionOut(
                created_at=s.created_at,
                last_seen_at=s.last_seen_at,
                expires_at=s.expires_at,
                client_address=s.client_address,
                user_agent=s.user_agent,
            )
            for s in held.sessions
        ],
        memberships=[
            MembershipOut(workspace=w.slug, workspace_name=w.name, role=m.role, since=m.created_at)
            for m, w in held.memberships
        ],
        tokens=[
            HeldTokenOut(
                id=t.id,
                name=t.name,
                prefix=t.prefix,
                workspace=w.slug,
                role=t.role,
                created_at=t.created_at,
                expires_at=t.expires_at,
                last_used_at=t.last_used_at,
                revoked_at=t.revoked_at,
            )
            for t, w in held.tokens
        ],
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
