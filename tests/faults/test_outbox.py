"""The job outbox: a durable job is stored with the transaction that asked for it (and not at all when
that rolls back), forgotten once it ran, and queued again when the queue lost it."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import JobContext, enqueue_after_commit, job, queue_for
from dunops.jobs.maintenance import dispatch_outbox
from dunops.storage.models import OutboxJob

RAN: list[dict[str, Any]] = []


@job("tests.faults.durable")
def durable(context: JobContext, *, number: int) -> None:
    RAN.append({"number": number})


def _rows(db: Session) -> list[dict[str, Any]]:
    """The arguments of every stored row (the session ends: on SQLite it holds the write lock)."""
    try:
        return [dict(arguments) for arguments in db.scalars(select(OutboxJob.arguments))]
    finally:
        db.rollback()


def test_a_durable_job_lives_with_its_transaction_and_is_sent_again_until_it_ran(
    db: Session, settings: Settings
) -> None:
    fast = settings.model_copy(update={"outbox_resend_seconds": 1.0})
    queue = queue_for(fast)
    RAN.clear()

    enqueue_after_commit(db, fast, "tests.faults.durable", durable=True, number=1)
    db.rollback()
    assert _rows(db) == []
    assert queue.pending() == 0

    enqueue_after_commit(db, fast, "tests.faults.durable", durable=True, number=2)
    db.commit()
    assert _rows(db) == [{"number": 2}]
    assert queue.pending() == 1

    queue.huey.flush()  # the queue lost it (Redis restarted without persistence)
    dispatch_outbox(JobContext(fast))
    assert queue.pending() == 0, "not yet due"
    time.sleep(1.2)
    dispatch_outbox(JobContext(fast))
    assert queue.pending() == 1
    queue.run_pending()
    assert RAN == [{"number": 2}]
    assert _rows(db) == [], "forgotten once it ran"
