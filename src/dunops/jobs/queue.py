"""A huey queue built from settings: SQLite in the data dir by default, Redis when ``redis_url`` is set."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, ClassVar

import sentry_sdk
import structlog
from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.storage import SqliteStorage

from dunops.config import Settings
from dunops.jobs import outbox, registry
from dunops.jobs.metrics import RUNNING, JobOutcome, count, finished

QUEUE_NAME = "dunops"
JOBS_FILE = "jobs.sqlite3"
IDLE_POLL_SECONDS = 0.5
"""How often an idle consumer looks for jobs queued by another process (the CLI, another replica)."""

log = structlog.get_logger(__name__)

REQUEST_ID_ARGUMENT = "_request_id"
"""The keyword a job carries the id of the request that queued it under, so its logs name that request."""


def jobs_file(settings: Settings) -> Path:
    """Where the SQLite queue lives when no Redis is configured."""
    return settings.data_dir / JOBS_FILE


class JobQueue:
    """One huey instance plus the settings its jobs run with; every registered job is bound to it."""

    def __init__(self, settings: Settings, *, immediate: bool = False) -> None:
        self.settings = settings
        self.huey = _build_huey(settings, immediate)
        self._context = registry.JobContext(settings)
        self._bound: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.bind_registered()

    @property
    def storage(self) -> str:
        return "redis" if self.settings.redis_url else "sqlite"

    @property
    def immediate(self) -> bool:
        """In immediate mode an enqueued job runs at once in the caller's thread (tests of callers)."""
        return bool(self.huey.immediate)

    @immediate.setter
    def immediate(self, value: bool) -> None:
        self.huey.immediate = value

    def bind_registered(self) -> None:
        """Bind every job registered since this queue was built (jobs register at import time)."""
        with self._lock:
            for spec in registry.registered().values():
                if spec.name not in self._bound:
                    self._bound[spec.name] = self._bind(spec)

    def job_names(self) -> list[str]:
        return sorted(self._bound)

    def enqueue(self, name: str, /, *, delay: float = 0, **kwargs: Any) -> None:
        """Queue the registered job ``name`` with keyword arguments (picklable values only);
        with ``delay``, it runs no sooner than that many seconds from now."""
        if name not in self._bound:
            registry.lookup(name)
            self.bind_registered()
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            kwargs = {**kwargs, REQUEST_ID_ARGUMENT: request_id}
        if delay > 0:
            self._bound[name].schedule(kwargs=kwargs, delay=delay)
        else:
            self._bound[name](**kwargs)
        count(name, JobOutcome.ENQUEUED)

    def resend(self, name: str, row: int, arguments: dict[str, Any]) -> None:
        """Queue a durable job again from its outbox row."""
        self.enqueue(name, **arguments, **{outbox.ROW: row})

    def compact(self) -> None:
        """Empty the SQLite queue's write-ahead log, so that the arguments of jobs done (mails naming a
        purged workspace, say) are gone from its files too; with ``secure_delete`` they are zeroed in the
        database file already. Nothing to do on Redis."""
        if self.storage != "sqlite":
            return
        connection = sqlite3.connect(jobs_file(self.settings), timeout=5, isolation_level=None)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()

    def pending(self) -> int:
        """How many jobs wait in the queue (scheduled retries not included)."""
        return int(self.huey.pending_count())

    def run_pending(self, *, wait: float = 0) -> int:
        """Run every queued job now in this thread, and delayed ones as they fall due while more are
        scheduled and ``wait`` seconds have not passed; returns how many ran. For tests and one-off CLI use.
        """
        deadline = time.monotonic() + wait
        ran = 0
        while True:
            # Check the count first: an empty Redis queue blocks a dequeue for its read timeout.
            while self.huey.pending_count() > 0 and (task := self.huey.dequeue()) is not None:
                if self.huey.ready_to_run(task):
                    ran += 1
                self.huey.execute(task)  # a delayed job not yet due goes to the schedule
            due = self.huey.read_schedule()
            for task in due:
                self.huey.execute(task)
            ran += len(due)
            if not due and (self.huey.scheduled_count() == 0 or time.monotonic() >= deadline):
                return ran
            if not due:
                time.sleep(0.02)

    def _bind(self, spec: registry.JobSpec) -> Any:
        context = self._context

        def run(**kwargs: Any) -> None:
            row: int | None = kwargs.pop(outbox.ROW, None)
            request_id = kwargs.pop(REQUEST_ID_ARGUMENT, None)
            started = time.perf_counter()
            running = RUNNING.labels(job=spec.name)
            running.inc()
            with structlog.contextvars.bound_contextvars(
                job=spec.name, **({"request_id": request_id} if request_id else {})
            ):
                try:
                    registry.call(spec, context, kwargs)
                except Exception as exc:
                    finished(spec.name, JobOutcome.FAILED, time.perf_counter() - started)
                    sentry_sdk.capture_exception(exc)  # a no-op unless DUNOPS_SENTRY_DSN is set
                    log.warning("job failed", job=spec.name, error=f"{type(exc).__name__}: {exc}")
                    raise
                finally:
                    running.dec()
                finished(spec.name, JobOutcome.SUCCEEDED, time.perf_counter() - started)
            if row is not None:
                outbox.done(context.settings, row)

        run.__name__ = spec.name
        options: dict[str, Any] = {
            "retries": spec.retries,
            "retry_delay": spec.retry_delay,
            "name": spec.name,
        }
        if spec.schedule is not None:
            return self.huey.periodic_task(spec.schedule, **options)(run)
        return self.huey.task(**options)(run)


class _Signal:
    """Counts the jobs queued to one SQLite file by this process, and wakes whoever waits for one."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.queued = 0


class WakingSqliteStorage(SqliteStorage):  # type: ignore[misc]
    """The SQLite queue, where an idle consumer waits to be woken by a job queued in its own process
    (``dunops serve`` with the in-process worker) instead of polling, and polls for other processes'."""

    blocking = True
    _signals: ClassVar[dict[str, _Signal]] = {}
    _signals_lock = threading.Lock()

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        # A job's arguments (a mail, say) are overwritten when it is done, not left in the file's free pages.
        connection.execute("pragma secure_delete=ON")
        return connection

    def _signal(self) -> _Signal:
        with self._signals_lock:
            return self._signals.setdefault(str(self.filename), _Signal())

    def enqueue(self, data: bytes, priority: int | None = None) -> None:
        super().enqueue(data, priority)
        signal = self._signal()
        with signal.condition:
            signal.queued += 1
            signal.condition.notify_all()

    def dequeue(self) -> bytes | None:
        signal = self._signal()
        with signal.condition:
            seen = signal.queued
        data: bytes | None = super().dequeue()
        if data is not None:
            return data
        with signal.condition:
            if signal.queued == seen:
                signal.condition.wait(IDLE_POLL_SECONDS)
        found: bytes | None = super().dequeue()
        return found


def _build_huey(settings: Settings, immediate: bool) -> Huey:
    if settings.redis_url:
        return RedisHuey(QUEUE_NAME, url=settings.redis_url, results=False, immediate=immediate)
    path = jobs_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        QUEUE_NAME,
        filename=str(path),
        results=False,
        immediate=immediate,
        storage_class=WakingSqliteStorage,
    )


# A process has one configuration; a test session has one per test. Keep the recent ones only.
_MAX_QUEUES = 16
_QUEUES: OrderedDict[str, JobQueue] = OrderedDict()
_QUEUES_LOCK = threading.Lock()


def queue_for(settings: Settings) -> JobQueue:
    """The queue for these settings: one per distinct configuration, so a test's settings get their own."""
    key = settings.model_dump_json()
    with _QUEUES_LOCK:
        queue = _QUEUES.get(key)
        if queue is None:
            queue = _QUEUES[key] = JobQueue(settings)
            while len(_QUEUES) > _MAX_QUEUES:
                _, evicted = _QUEUES.popitem(last=False)
                if evicted.storage == "sqlite":
                    evicted.huey.storage.close()  # reopened on next use by whoever still holds it
        _QUEUES.move_to_end(key)
        return queue


def enqueue(settings: Settings, name: str, /, **kwargs: Any) -> None:
    """Queue the job ``name`` on the queue configured by ``settings``."""
    queue_for(settings).enqueue(name, **kwargs)
