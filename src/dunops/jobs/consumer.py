"""Running jobs: consumer threads inside ``dunops serve``, or a standalone ``dunops worker`` process."""

from __future__ import annotations

from typing import Any

import structlog
from huey.consumer import Consumer

from dunops.jobs.maintenance import Maintenance
from dunops.jobs.queue import JobQueue

log = structlog.get_logger(__name__)

# Both storages block in dequeue (Redis on the list, SQLite on a wake-up from this process), so these
# delays only apply after an error.
_CONSUMER_OPTIONS: dict[str, Any] = {
    "worker_type": "thread",
    "initial_delay": 0.05,
    "backoff": 1.5,
    "max_delay": 1.0,
    "check_worker_health": True,
}


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer that leaves signal handling to its host process (uvicorn in ``dunops serve``)."""

    def _set_signal_handlers(self) -> None:
        return None


class BackgroundWorker:
    """Consumer threads in this process; ``stop()`` waits for running jobs to finish."""

    def __init__(self, queue: JobQueue, *, workers: int = 1, periodic: bool = True) -> None:
        self.queue = queue
        self.workers = workers
        queue.bind_registered()
        self._consumer = _EmbeddedConsumer(
            queue.huey, workers=workers, periodic=periodic, shutdown_timeout=30, **_CONSUMER_OPTIONS
        )
        self._maintenance = Maintenance(queue) if periodic else None
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        self._consumer.start()
        if self._maintenance is not None:
            self._maintenance.start()
        self._running = True
        log.info("job worker started", storage=self.queue.storage, threads=self.workers)

    def stop(self) -> None:
        if not self._running:
            return
        if self._maintenance is not None:
            self._maintenance.stop()
        self._consumer.stop(graceful=True)
        self._running = False
        log.info("job worker stopped")

    def __enter__(self) -> BackgroundWorker:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def run_worker(queue: JobQueue, *, workers: int = 1, periodic: bool = True) -> None:
    """Run consumers in the foreground until SIGTERM (graceful) or SIGINT; for ``dunops worker``."""
    queue.bind_registered()
    consumer = Consumer(
        queue.huey, workers=workers, periodic=periodic, graceful_signal="TERM", **_CONSUMER_OPTIONS
    )
    log.info("job worker started", storage=queue.storage, threads=workers, jobs=queue.job_names())
    maintenance = Maintenance(queue) if periodic else None
    if maintenance is not None:
        maintenance.start()
    try:
        consumer.run()
    finally:
        if maintenance is not None:
            maintenance.stop()
    log.info("job worker stopped")
