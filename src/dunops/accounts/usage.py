"""When a token or a browser session was last used: written at most once a minute per credential.

Reading a credential never writes. The edge asks whether a stamp is due (:func:`token_due`,
:func:`session_due`) and, after answering, writes it in a transaction of its own (:func:`touch_token`,
:func:`touch_session`). The UPDATE is conditional, so replicas and concurrent requests write it once;
a stamp that cannot be written now (the database is busy) is skipped: the next use writes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import or_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dunops.storage.base import utcnow
from dunops.storage.database import transaction
from dunops.storage.models import ApiToken, WebSession

EVERY = timedelta(minutes=1)

log = structlog.get_logger(__name__)


def _due(last: datetime | None, now: datetime) -> bool:
    return last is None or now - last >= EVERY


def token_due(token: ApiToken) -> bool:
    return _due(token.last_used_at, utcnow())


def session_due(record: WebSession) -> bool:
    return _due(record.last_seen_at, utcnow())


def touch_token(factory: sessionmaker[Session], token_id: int) -> None:
    now = utcnow()
    statement = (
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    _write(factory, statement, "token")


def touch_session(factory: sessionmaker[Session], id_hash: str) -> None:
    now = utcnow()
    statement = (
        update(WebSession)
        .where(WebSession.id_hash == id_hash, WebSession.last_seen_at <= now - EVERY)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    _write(factory, statement, "session")


def _write(factory: sessionmaker[Session], statement: object, what: str) -> None:
    try:
        with transaction(factory) as session:
            session.execute(statement)  # type: ignore[call-overload]
    except SQLAlchemyError as exc:
        log.info("last-use stamp skipped", credential=what, error=type(exc).__name__)
