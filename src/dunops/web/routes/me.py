"""``GET /api/v1/me``: who the caller is."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from dunops.web.deps import CurrentPrincipal
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
