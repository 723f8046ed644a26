"""API tokens: shown once, stored as SHA-256, scoped to one workspace and a role, optionally expiring.

A token acts with the lower of its own role and its creator's current role (``permissions.effective_role``),
so demoting the creator lowers the token at once; removing the creator from the workspace revokes it.

Every member manages their own tokens, up to their own role. Admins also see and revoke other members'
tokens, except those of a member whose role is above theirs: those are that member's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts import permissions, suspensions
from dunops.accounts.access import Access, membership
from dunops.accounts.permissions import Permission
from dunops.accounts.principal import Principal
from dunops.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from dunops.security.tokens import API_TOKEN_PREFIX, digest, new_api_token
from dunops.storage.base import utcnow
from dunops.storage.models import ApiToken, Membership, Role, User, UserStatus, Workspace

NAME_MAX = 100
EXPIRY_DAYS_MAX = 3650
# "dnp_" and eight characters of the secret: enough to tell tokens apart, far too little to guess one.
_SHOWN_PREFIX_LENGTH = len(API_TOKEN_PREFIX) + 8


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: the record, and the plaintext secret that is shown this once and never again."""

    record: ApiToken
    secret: str


# Built once: every request that carries a token runs it.
_BY_HASH = (
    select(ApiToken, User, Workspace)
    .join(User, User.id == ApiToken.user_id)
    .join(Workspace, Workspace.id == ApiToken.workspace_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def authenticate(session: Session, presented: str) -> tuple[User, ApiToken]:
    """The token's user and record; refuses unknown, revoked and expired tokens alike, and names the
    suspension of a suspended user or workspace (403)."""
    refusal = NotAuthenticated("invalid, expired or revoked API token")
    if not presented.startswith(API_TOKEN_PREFIX):
        raise refusal
    found = session.execute(_BY_HASH, {"token_hash": digest(presented)}).first()
    if found is None:
        raise refusal
    token, user, workspace = found
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        raise refusal
    if user.status == UserStatus.SUSPENDED:
        raise suspensions.of_user(user)
    if not user.is_active:
        raise refusal
    if workspace.is_suspended:
        raise suspensions.of_workspace(workspace)
    return user, token


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if len(cleaned) > NAME_MAX:
        raise InvalidInput.single(f"must be at most {NAME_MAX} characters", "name")
    return cleaned


def create(
    session: Session, grant: Access, *, role: Role, name: str = "", expires_days: int | None = None
) -> IssuedToken:
    """A token for the acting user in ``grant``'s workspace, with a role no higher than theirs."""
    grant.require(Permission.TOKENS_MANAGE)
    if grant.principal.token is not None:
        raise PermissionDenied("An API token cannot create other tokens; sign in to create one.")
    if permissions.effective_role(grant.role, role) != role:
        raise PermissionDenied(
            f"A token cannot have a higher role than yours: you are {permissions.with_article(grant.role)},"
            f" the token asks for {role}."
        )
    cleaned = _clean_name(name)
    if expires_days is not None and not 1 <= expires_days <= EXPIRY_DAYS_MAX:
        raise InvalidInput.single(f"must be between 1 and {EXPIRY_DAYS_MAX} days", "expires_days")
    secret = new_api_token()
    now = utcnow()
    record = ApiToken(
        workspace_id=grant.workspace.id,
        user_id=grant.principal.user.id,
        name=cleaned,
        prefix=secret[:_SHOWN_PREFIX_LENGTH],
        token_hash=digest(secret),
        role=role,
        created_at=now,
        expires_at=None if expires_days is None else now + timedelta(days=expires_days),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        workspace_id=grant.workspace.id,
        actor=grant.principal,
        action="token.create",
        target=f"token:{record.id}",
        details={
            "name": record.name,
            "prefix": record.prefix,
            "role": str(role),
            "expires_at": record.expires_at.isoformat() if record.expires_at else None,
        },
    )
    return IssuedToken(record, secret)


def listing(session: Session, grant: Access) -> list[ApiToken]:
    """Tokens of the workspace: your own, and for admins those of members whose role is not above theirs."""
    grant.require(Permission.TOKENS_MANAGE)
    query = select(ApiToken).where(ApiToken.workspace_id == grant.workspace.id)
    own = ApiToken.user_id == grant.principal.user.id
    if grant.allows(Permission.MEMBER_TOKENS_MANAGE):
        at_or_below = [role for role in Role if role.rank <= grant.role.rank]
        query = query.outerjoin(
            Membership,
            (Membership.workspace_id == ApiToken.workspace_id) & (Membership.user_id == ApiToken.user_id),
        ).where(or_(own, Membership.role.in_(at_or_below), Membership.id.is_(None)))
    else:
        query = query.where(own)
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def _require_manageable(session: Session, grant: Access, token: ApiToken) -> None:
    """Refuse another member's token to a non-admin, and to anyone whose role is below its creator's."""
    if token.user_id == grant.principal.user.id:
        return
    grant.require(Permission.MEMBER_TOKENS_MANAGE)
    creator = membership(session, grant.workspace.id, token.user_id)
    if creator is not None and creator.role.rank > grant.role.rank:
        raise PermissionDenied(
            f"This token belongs to {permissions.with_article(creator.role)} of the workspace, whose role"
            f" is above yours; {permissions.with_article(grant.role)} may not manage their tokens."
        )


def revoke(session: Session, grant: Access, token_id: int) -> ApiToken:
    """Revoke a workspace token: your own, or (as an admin) a member's whose role is not above yours."""
    grant.require(Permission.TOKENS_MANAGE)
    token = session.scalars(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.workspace_id == grant.workspace.id)
    ).first()
    if token is None:
        raise NotFound(f"token {token_id} not found")
    _require_manageable(session, grant, token)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        audit.record(
            session,
            workspace_id=grant.workspace.id,
            actor=grant.principal,
            action="token.revoke",
            target=f"token:{token.id}",
            details={"prefix": token.prefix, "owner_user_id": token.user_id},
        )
    return token


def revoke_member_tokens(session: Session, workspace_id: int, user_id: int, actor: Principal) -> int:
    """Revoke every live token a member holds in a workspace (when they leave or are removed)."""
    live = list(
        session.scalars(
            select(ApiToken).where(
                ApiToken.workspace_id == workspace_id,
                ApiToken.user_id == user_id,
                ApiToken.revoked_at.is_(None),
            )
        )
    )
    now = utcnow()
    for token in live:
        token.revoked_at = now
    if live:
        session.flush()
        audit.record(
            session,
            workspace_id=workspace_id,
            actor=actor,
            action="token.revoke_all",
            target=f"user:{user_id}",
            details={"prefixes": [token.prefix for token in live]},
        )
    return len(live)
