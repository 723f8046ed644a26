"""Server-side browser sessions: a random id in a cookie, its SHA-256 in the database.

Idle and absolute expiry come from settings; a new id is issued on every sign-in (no fixation);
a suspended user's sessions are gone (see ``users.suspend``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.security.tokens import digest, new_secret
from dunops.storage.base import utcnow
from dunops.storage.models import User, WebSession

# Touch last_seen_at at most this often, so that reads do not all write.
_TOUCH_EVERY = timedelta(minutes=1)


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
    """The live session for a cookie value, or None when unknown, idle too long, expired or suspended."""
    record = session.get(WebSession, digest(cookie_value))
    if record is None:
        return None
    now = utcnow()
    user = session.get(User, record.user_id)
    idle_limit = record.last_seen_at + timedelta(hours=settings.session_idle_hours)
    if now >= record.expires_at or now >= idle_limit or user is None or not user.is_active:
        session.delete(record)
        return None
    if now - record.last_seen_at >= _TOUCH_EVERY:
        record.last_seen_at = now
    return record


def end(session: Session, cookie_value: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == digest(cookie_value)))


def end_all(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
