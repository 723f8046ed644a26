"""Chores: work every job worker does now and then in its own threads, beside the queue, not through it.

A chore runs once when the worker starts and then every ``interval(settings)`` seconds; it keeps
running while the queue is down (sending the outbox again is one). Chores must be safe to run in
several workers at once. Declared by the package that owns them, like jobs::

    @chore("workflow.reconcile", lambda settings: settings.reconcile_seconds)
    def reconcile(context: JobContext) -> None: ...
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from dunops.config import Settings
from dunops.jobs import outbox
from dunops.jobs.queue import JobQueue
from dunops.jobs.registry import JobContext, JobFunction

log = structlog.get_logger(__name__)

DISPATCH_CHORE = "jobs.dispatch_outbox"


@dataclass(frozen=True, slots=True)
class Chore:
    name: str
    function: JobFunction
    interval: Callable[[Settings], float]


_CHORES: dict[str, Chore] = {}


def chore(name: str, interval: Callable[[Settings], float]) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(context)`` to run in every worker at start and every ``interval`` seconds."""

    def register(function: JobFunction) -> JobFunction:
        existing = _CHORES.get(name)
        if existing is not None and existing.function is not function:
            raise ValueError(f"chore {name!r} is already registered")
        _CHORES[name] = Chore(name, function, interval)
        return function

    return register


@chore(DISPATCH_CHORE, lambda settings: min(max(settings.outbox_resend_seconds / 4, 0.5), 10.0))
def dispatch_outbox(context: JobContext) -> None:
    """Queue again every durable job whose time passed without it finishing."""
    from dunops.jobs.queue import queue_for

    queue = queue_for(context.settings)
    outbox.dispatch_due(context.settings, queue.resend)


class Maintenance:
    """One thread per registered chore, until :meth:`stop`."""

    def __init__(self, queue: JobQueue) -> None:
        self.context = JobContext(queue.settings)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for item in _CHORES.values():
            thread = threading.Thread(target=self._loop, args=(item,), name=item.name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()

    def _loop(self, item: Chore) -> None:
        while not self._stop.is_set():
            try:
                item.function(self.context)
            except Exception as exc:
                log.warning("chore failed", chore=item.name, error=f"{type(exc).__name__}: {exc}")
            self._stop.wait(item.interval(self.context.settings))
