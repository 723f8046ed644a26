"""People: creation, lookup, suspension (which ends every session and stops every token at once)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dunops import audit
from dunops.accounts.principal import Principal
from dunops.errors import Conflict, InvalidInput, NotFound
from dunops.storage.models import User, UserStatus, WebSession


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed, and shaped like an address; the refusal names the field."""
    cleaned = email.strip().lower()
    local, _, domain = cleaned.partition("@")
    unprintable = any(not char.isprintable() for char in cleaned)
    if not local or "." not in domain or " " in cleaned or unprintable or len(cleaned) > 320:
        raise InvalidInput.single(f"'{email}' is not an email address", "email")
    return cleaned


def by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalise_email(email))).first()


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.status == UserStatus.DELETED:
        raise NotFound(f"user {user_id} not found")
    return user


def require_by_email(session: Session, email: str) -> User:
    user = by_email(session, email)
    if user is None or user.status == UserStatus.DELETED:
        raise NotFound(f"no user with email '{email}'")
    return user


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def create(session: Session, email: str, name: str = "", *, actor: Principal | None = None) -> User:
    address = normalise_email(email)
    if by_email(session, address) is not None:
        raise Conflict(f"a user with email '{address}' already exists")
    user = User(email=address, name=name.strip()[:200])
    session.add(user)
    session.flush()
    audit.record(session, workspace_id=None, actor=actor, action="user.create", target=f"user:{user.id}")
    return user


def listing(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def end_sessions(session: Session, user: User) -> int:
    """Sign the user out everywhere."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def suspend(session: Session, user: User, *, actor: Principal | None = None) -> None:
    """Suspend a user: every session ends now; tokens are refused because their user is not active."""
    user.status = UserStatus.SUSPENDED
    end_sessions(session, user)
    audit.record(session, workspace_id=None, actor=actor, action="user.suspend", target=f"user:{user.id}")


def unsuspend(session: Session, user: User, *, actor: Principal | None = None) -> None:
    user.status = UserStatus.ACTIVE
    audit.record(session, workspace_id=None, actor=actor, action="user.unsuspend", target=f"user:{user.id}")
