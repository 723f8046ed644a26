"""Server-side browser sessions: a random id in a cookie, its SHA-256 in the database.

Idle and absolute expiry come from settings; a new id is issued on every sign-in (no fixation);
a suspended user's sessions are gone (see ``users.suspend``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.security.tokens import digest, new_secret
from dunops.storage.base import utcnow
from dunops.storage.models import User, WebSession


@dataclass(frozen=True, slots=True)
class IssuedSession:
    cookie_value: str
    record: WebSession


def start(
    session: Session, settings: Settings, user: User, *, client_address: str = "", user_agent: str = ""
) -> IssuedSession:
    value = new_secret()
    now = utcnow()
    record = WebSession(
        id_hash=digest(value),
        user_id=user.id,
        csrf_token=new_secret(24),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=settings.session_absolute_days),
        client_address=client_address[:64],
        user_agent=user_agent[:300],
    )
    session.add(record)
    session.flush()
    return IssuedSession(value, record)


def lookup(session: Session, settings: Settings, cookie_value: str) -> WebSession | None:
    """The live session for a cookie value, or None when unknown, idle too long, expired or suspended.

    Only reads: the last-seen stamp is written apart (:mod:`dunops.accounts.usage`), and a dead session
    is deleted by :func:`purge_dead` or when its browser signs in again.
    """
    record = session.get(WebSession, digest(cookie_value))
    if record is None:
        return None
    user = session.get(User, record.user_id)
    if not _alive(settings, record, utcnow()) or user is None or not user.is_active:
        return None
    return record


def _alive(settings: Settings, record: WebSession, now: datetime) -> bool:
    idle_limit = record.last_seen_at + timedelta(hours=settings.session_idle_hours)
    return now < record.expires_at and now < idle_limit


def purge_dead(session: Session, settings: Settings) -> int:
    """Delete every session past its absolute or idle expiry; returns how many."""
    now = utcnow()
    idle_since = now - timedelta(hours=settings.session_idle_hours)
    result = session.execute(
        delete(WebSession).where(or_(WebSession.expires_at <= now, WebSession.last_seen_at <= idle_since))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end(session: Session, cookie_value: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == digest(cookie_value)))


def end_all(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def listing(session: Session, user_id: int) -> list[WebSession]:
    """The user's browser sessions, the most recently used first."""
    query = select(WebSession).where(WebSession.user_id == user_id).order_by(WebSession.last_seen_at.desc())
    return list(session.scalars(query))


def end_one(session: Session, user_id: int, id_hash: str) -> bool:
    """End one of the user's own sessions by its stored id; False when they have none such."""
    result = session.execute(
        delete(WebSession).where(WebSession.user_id == user_id, WebSession.id_hash == id_hash)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
