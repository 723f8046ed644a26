"""Enqueue after commit: jobs a service asks for are queued only when the caller's transaction commits.

A rolled-back request therefore sends no mail and starts no sync. Jobs asked for inside a savepoint that
rolls back are dropped with it. A *durable* job is also recorded in the same transaction
(:mod:`dunops.jobs.outbox`), so that it is queued again should the queue be down or lose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from dunops.config import Settings
from dunops.jobs import outbox
from dunops.jobs.queue import queue_for

_PENDING = "dunops.jobs.pending"

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _PendingJob:
    settings: Settings
    name: str
    kwargs: dict[str, Any]
    transaction: SessionTransaction
    delay: float
    row: int | None


def enqueue_after_commit(
    session: Session,
    settings: Settings,
    name: str,
    /,
    *,
    delay: float = 0,
    durable: bool = False,
    **kwargs: Any,
) -> None:
    """Queue job ``name`` once ``session``'s outermost transaction commits; nothing happens on rollback.

    With ``delay``, the job runs no sooner than that many seconds after the commit. A ``durable`` job
    (plain JSON arguments, no secrets; safe to run twice) is recorded with the transaction and queued
    again until it has run.
    """
    queue_for(settings)  # fail now, in the caller, if the queue cannot be built
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    row = outbox.record(session, settings, name, delay, dict(kwargs)) if durable else None
    pending: list[_PendingJob] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _flush)
        event.listen(session, "after_soft_rollback", _discard_rolled_back)
        event.listen(session, "after_transaction_end", _forget_uncommitted)
    pending.append(_PendingJob(settings, name, dict(kwargs), transaction, delay, row))


def _flush(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; its jobs wait for the outermost commit
    pending: list[_PendingJob] = session.info.get(_PENDING, [])
    ready, pending[:] = list(pending), []
    for item in ready:
        extra = {} if item.row is None else {outbox.ROW: item.row}
        try:
            queue_for(item.settings).enqueue(item.name, delay=item.delay, **item.kwargs, **extra)
        except Exception:
            # The transaction is committed already: report the lost job instead of failing the request.
            if item.row is None:
                log.error("could not queue job", job=item.name, exc_info=True)
            else:
                log.warning("could not queue job; the outbox sends it again", job=item.name, exc_info=True)


def _discard_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Drop jobs asked for inside a transaction or savepoint that was rolled back."""
    pending: list[_PendingJob] = session.info.get(_PENDING, [])
    pending[:] = [item for item in pending if not _within(item.transaction, previous_transaction)]


def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """When the outermost transaction ends, whatever was not flushed by a commit is dropped."""
    if transaction.parent is None:
        session.info.get(_PENDING, []).clear()


def _within(inner: SessionTransaction, outer: SessionTransaction) -> bool:
    current: SessionTransaction | None = inner
    while current is not None:
        if current is outer:
            return True
        current = current.parent
    return False
