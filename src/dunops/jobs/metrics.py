"""Job metrics exported at ``/metrics``: jobs enqueued, succeeded and failed by name, jobs running now,
how long they ran, and (where a process watches its queue) how many wait."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from prometheus_client import Counter, Gauge, Histogram


class JobOutcome(StrEnum):
    ENQUEUED = "enqueued"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


JOBS = Counter("dunops_jobs", "Background jobs by job name and outcome.", ["job", "outcome"])
RUNNING = Gauge("dunops_jobs_running", "Background jobs running now in this process, by job name.", ["job"])
DURATION = Histogram(
    "dunops_job_duration_seconds",
    "How long background jobs ran, by job name and outcome.",
    ["job", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
QUEUED = Gauge("dunops_jobs_queued", "Background jobs waiting in the queue this process consumes.")


def count(job: str, outcome: JobOutcome) -> None:
    JOBS.labels(job=job, outcome=outcome.value).inc()


def finished(job: str, outcome: JobOutcome, seconds: float) -> None:
    count(job, outcome)
    DURATION.labels(job=job, outcome=outcome.value).observe(seconds)


def watch_queue(pending: Callable[[], int]) -> None:
    """Report ``pending()`` as the number of queued jobs at every scrape (a failed count reports -1)."""

    def queued() -> float:
        try:
            return float(pending())
        except Exception:
            return -1.0

    QUEUED.set_function(queued)
