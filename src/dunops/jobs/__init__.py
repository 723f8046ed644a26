"""Background jobs: a huey queue on SQLite (``<data dir>/jobs.sqlite3``) or Redis (``DUNOPS_REDIS_URL``).

Declaring a job (in the package that owns the work, at import time)::

    from dunops.jobs import JobContext, job

    @job("notify.deliver_mail", retries=5, retry_delay=60)
    def deliver_mail(context: JobContext, *, mail_id: str, to: str, raw: bytes) -> None: ...

Queueing it from a service, without knowing about the web layer::

    enqueue_after_commit(session, settings, "notify.deliver_mail", mail_id=i, to=t, raw=r)  # on commit
    enqueue(settings, "notify.deliver_mail", mail_id=i, to=t, raw=r)                         # right away

Periodic jobs (e.g. a scheduled zone sync) register the same way with a schedule, usually huey's
``crontab``; the consumer's scheduler enqueues them when the schedule matches::

    from huey import crontab
    from dunops.jobs import periodic

    @periodic("sync.all_zones", crontab(minute="*/15"))
    def sync_all_zones(context: JobContext) -> None: ...

Every consumer runs the scheduler, so with several ``dunops serve`` replicas or ``dunops worker``
processes on one Redis a periodic job must be safe to start twice, e.g. by taking
``queue_for(context.settings).huey.lock_task(name)``. The module declaring a job must be imported before a
consumer starts: add its package to ``JOB_PACKAGES`` in ``dunops.cli.serve``.

Queues are built per settings (:func:`queue_for`), never as one global: a test passes its own settings
and gets its own queue. Tests of code that queues jobs either set ``queue_for(settings).immediate =
True`` (jobs run at once in the caller's thread) or call ``queue_for(settings).run_pending()``.
"""

from dunops.jobs.consumer import BackgroundWorker, run_worker
from dunops.jobs.deferred import enqueue_after_commit
from dunops.jobs.maintenance import chore
from dunops.jobs.queue import JobQueue, enqueue, jobs_file, queue_for
from dunops.jobs.registry import JobContext, job, periodic

__all__ = [
    "BackgroundWorker",
    "JobContext",
    "JobQueue",
    "chore",
    "enqueue",
    "enqueue_after_commit",
    "job",
    "jobs_file",
    "periodic",
    "queue_for",
    "run_worker",
]
