"""API tokens: shown once, stored as SHA-256, scoped to one workspace and a role, optionally expiring."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.errors import NotAuthenticated
from dunops.security.tokens import API_TOKEN_PREFIX, digest
from dunops.storage.base import utcnow
from dunops.storage.models import ApiToken, User


def authenticate(session: Session, presented: str) -> tuple[User, ApiToken]:
    """The token's user and record; refuses unknown, revoked, expired tokens and suspended users alike."""
    refusal = NotAuthenticated("invalid, expired or revoked API token")
    if not presented.startswith(API_TOKEN_PREFIX):
        raise refusal
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(presented))).first()
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        raise refusal
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise refusal
    token.last_used_at = now
    return user, token
