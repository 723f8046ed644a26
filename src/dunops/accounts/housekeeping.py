"""Periodic clean-up of sign-in records: browser sessions past their idle or absolute expiry."""

from __future__ import annotations

from huey import crontab

from dunops.accounts import sessions
from dunops.jobs import JobContext, periodic

PURGE_SESSIONS_JOB = "accounts.purge_sessions"


@periodic(PURGE_SESSIONS_JOB, crontab(minute="*/15"))
def purge_sessions(context: JobContext) -> None:
    """Every 15 minutes: delete dead browser sessions (reads only ever refuse them)."""
    with context.unit_of_work() as session:
        sessions.purge_dead(session, context.settings)
