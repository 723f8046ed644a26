"""Durable jobs: recorded in the database with the state that needs them, handed to the queue after commit.

:func:`record` adds an :class:`~dunops.storage.models.OutboxJob` row in the caller's transaction, so the
job exists exactly when that state does. After the commit the job is queued naming its row; the job
deletes the row once it has run. :func:`dispatch_due` (a maintenance chore of every worker) queues again
every row still there past its ``next_try_at``: the queue was down when the job was asked for, or lost
it (Redis restarted without persistence), or its worker died running it. Durable jobs must therefore be
safe to run twice, and their arguments are plain JSON (ids, never secrets).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.storage.base import utcnow
from dunops.storage.database import make_engine
from dunops.storage.models import OutboxJob

ROW = "_outbox"
"""The keyword naming a queued job's outbox row; the queue takes it off before the job sees its arguments."""
BATCH = 200
MAX_SENDS = 20
"""A row queued this many times without its job ever finishing is dropped (and logged)."""

log = structlog.get_logger(__name__)


def record(session: Session, settings: Settings, name: str, delay: float, arguments: dict[str, Any]) -> int:
    """Add the job's row in ``session``'s transaction; its id travels with the job."""
    row = OutboxJob(
        name=name,
        arguments=arguments,
        next_try_at=utcnow() + timedelta(seconds=delay + settings.outbox_resend_seconds),
    )
    session.add(row)
    session.flush()
    return row.id


_ENGINES: OrderedDict[str, Engine] = OrderedDict()
_ENGINES_LOCK = threading.Lock()
_MAX_ENGINES = 8


def _engine(settings: Settings) -> Engine:
    """One engine per database for the outbox's own small writes (tests use many databases: keep a few)."""
    key = settings.sqlalchemy_url
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = make_engine(key, settings.database_options)
            while len(_ENGINES) > _MAX_ENGINES:
                _ENGINES.popitem(last=False)[1].dispose()
        _ENGINES.move_to_end(key)
        return engine


def done(settings: Settings, row_id: int) -> None:
    """The job of row ``row_id`` has run: forget it."""
    with _engine(settings).begin() as connection:
        connection.execute(delete(OutboxJob).where(OutboxJob.id == row_id))


def dispatch_due(settings: Settings, send: Any) -> int:
    """Hand every row past its time to ``send(name, row_id, arguments)``; returns how many were sent.

    Each row is claimed with one conditional UPDATE (pushing its time on), so several workers never
    send the same row twice at once.
    """
    engine = _engine(settings)
    now = utcnow()
    with engine.connect() as connection:
        due = connection.execute(
            select(OutboxJob.id, OutboxJob.name, OutboxJob.arguments, OutboxJob.next_try_at, OutboxJob.sends)
            .where(OutboxJob.next_try_at <= now)
            .order_by(OutboxJob.next_try_at)
            .limit(BATCH)
        ).all()
    sent = 0
    for row_id, name, arguments, next_try_at, sends in due:
        with engine.begin() as connection:
            if sends >= MAX_SENDS:
                connection.execute(delete(OutboxJob).where(OutboxJob.id == row_id))
                log.error("job dropped: queued too often without finishing", job=name, sends=sends)
                continue
            claimed = connection.execute(
                update(OutboxJob)
                .where(OutboxJob.id == row_id, OutboxJob.next_try_at == next_try_at)
                .values(
                    next_try_at=utcnow() + timedelta(seconds=settings.outbox_resend_seconds),
                    sends=OutboxJob.sends + 1,
                )
            ).rowcount
        if claimed != 1:
            continue
        try:
            send(name, row_id, dict(arguments))
        except Exception:
            log.warning("could not queue job again; will retry", job=name, exc_info=True)
            continue
        sent += 1
    if sent:
        log.info("jobs queued again from the outbox", count=sent)
    return sent


def waiting(settings: Settings) -> int:
    """How many durable jobs have not finished (queued, running or waiting to be sent again)."""
    with _engine(settings).connect() as connection:
        return int(connection.execute(select(func.count(OutboxJob.id))).scalar_one())
