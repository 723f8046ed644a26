"""Invitations: ``POST /api/v1/workspaces/{slug}/invitations``, ``POST /api/v1/invitations/{token}/accept``
and the page an invitee lands on from the email, ``GET/POST /invitations/{token}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from dunops.accounts import access, invitations
from dunops.accounts.permissions import Permission
from dunops.errors import DunopsError
from dunops.storage.models import Invitation, Role
from dunops.web.deps import DB, AppSettings, CurrentPrincipal, OptionalPrincipal, ReadDB
from dunops.web.problems import status_for
from dunops.web.routing import api_router

router = api_router(tags=["invitations"])

SIGN_IN_PATH = "/sign-in"


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    role: Role


class InvitationOut(BaseModel):
    id: int
    email: str
    role: Role
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationOut:
        return cls(
            id=invitation.id,
            email=invitation.email,
            role=invitation.role,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
        )


class AcceptedOut(BaseModel):
    workspace: str = Field(description="The slug of the workspace joined.")
    name: str
    role: Role


@router.post("/api/v1/workspaces/{slug}/invitations", status_code=status.HTTP_201_CREATED)
def invite(
    slug: str, body: InvitationIn, db: DB, settings: AppSettings, principal: CurrentPrincipal
) -> InvitationOut:
    """Email an invitation link (admin and above; a role no higher than yours). The link is not returned."""
    grant = access.resolve(db, principal, slug, Permission.MEMBERS_MANAGE)
    return InvitationOut.of(invitations.invite(db, settings, grant, body.email, body.role))


@router.post("/api/v1/invitations/{token}/accept")
def accept(token: str, db: DB, principal: CurrentPrincipal) -> AcceptedOut:
    """Join the invitation's workspace; the signed-in user's email must be the invited one."""
    member = invitations.accept(db, principal, token)
    return AcceptedOut(workspace=member.workspace.slug, name=member.workspace.name, role=member.role)


def _page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("error", None)
    context.setdefault("pending", None)
    context.setdefault("joined", None)
    context.setdefault("user", None)
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    context.setdefault("sign_in_url", f"{SIGN_IN_PATH}?next={request.url.path}")
    return templates.TemplateResponse(request, "invitation.html", context, status_code=status_code)


@router.get("/invitations/{token}", response_class=HTMLResponse, include_in_schema=False)
def invitation_page(request: Request, token: str, db: ReadDB, principal: OptionalPrincipal) -> HTMLResponse:
    try:
        found = invitations.pending(db, token)
    except DunopsError as error:
        return _page(request, status_for(error), error=error.detail)
    user = principal.user if principal and principal.token is None else None
    mismatch = user is not None and user.email.lower() != found.invitation.email.lower()
    return _page(
        request,
        pending=found,
        user=user,
        mismatch=mismatch,
        invited=invitations.mask_email(found.invitation.email),
    )


@router.post("/invitations/{token}", response_class=HTMLResponse, include_in_schema=False)
def accept_from_page(request: Request, token: str, db: DB, principal: OptionalPrincipal) -> HTMLResponse:
    if principal is None or principal.token is not None:
        return _page(request, status.HTTP_401_UNAUTHORIZED, error="Sign in to accept this invitation.")
    try:
        member = invitations.accept(db, principal, token)
    except DunopsError as error:
        return _page(request, status_for(error), error=error.detail, user=principal.user)
    return _page(request, joined=member, user=principal.user)
