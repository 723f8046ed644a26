"""``/api/v1/workspaces/{slug}/tokens``: create (the secret is returned once), list and revoke API tokens."""

from __future__ import annotations

from datetime import datetime

from fastapi import Response, status
from pydantic import BaseModel, ConfigDict, Field

from dunops.accounts import access, tokens
from dunops.accounts.permissions import Permission
from dunops.storage.models import ApiToken, Role
from dunops.web.deps import DB, CurrentPrincipal, ReadDB, RowId
from dunops.web.routing import api_router

router = api_router(prefix="/api/v1/workspaces/{slug}/tokens", tags=["tokens"])


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=tokens.NAME_MAX)
    role: Role
    expires_days: int | None = Field(default=None, ge=1, le=tokens.EXPIRY_DAYS_MAX)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: Role
    user_id: RowId
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            role=token.role,
            user_id=token.user_id,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class TokenCreated(TokenOut):
    token: str = Field(description="The secret. It is shown this once and cannot be retrieved again.")


@router.get("")
def list_tokens(slug: str, db: ReadDB, principal: CurrentPrincipal) -> list[TokenOut]:
    """Your tokens in the workspace (for admins also those of members not above them); never the secrets."""
    grant = access.resolve(db, principal, slug, Permission.TOKENS_MANAGE)
    return [TokenOut.of(token) for token in tokens.listing(db, grant)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_token(slug: str, body: TokenIn, db: DB, principal: CurrentPrincipal) -> TokenCreated:
    """Create a token for yourself with a role no higher than yours (any member)."""
    grant = access.resolve(db, principal, slug, Permission.TOKENS_MANAGE)
    issued = tokens.create(db, grant, role=body.role, name=body.name, expires_days=body.expires_days)
    return TokenCreated(**TokenOut.of(issued.record).model_dump(), token=issued.secret)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(slug: str, token_id: RowId, db: DB, principal: CurrentPrincipal) -> Response:
    """Revoke your own token, or (admins) a member's whose role is not above yours."""
    grant = access.resolve(db, principal, slug, Permission.TOKENS_MANAGE)
    tokens.revoke(db, grant, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
