"""Periodic clean-up of sign-in records: browser sessions past their idle or absolute expiry."""

from __future__ import annotations

from huey import crontab

from dunops.accounts import sessions
from dunops.jobs import JobContext, periodic
from dunops.storage.database import make_engine, make_session_factory, transaction

PURGE_SESSIONS_JOB = "accounts.purge_sessions"


@periodic(PURGE_SESSIONS_JOB, crontab(minute="*/15"))
def purge_sessions(context: JobContext) -> None:
    """Every 15 minutes: delete dead browser sessions (reads only ever refuse them)."""
    engine = make_engine(context.settings.sqlalchemy_url, context.settings.database_options)
    try:
        with transaction(make_session_factory(engine)) as session:
            sessions.purge_dead(session, context.settings)
    finally:
        engine.dispose()
