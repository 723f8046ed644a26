"""Job counters exported at ``/metrics``: how many jobs were enqueued, succeeded and failed, by job name."""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import Counter


class JobOutcome(StrEnum):
    ENQUEUED = "enqueued"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


JOBS = Counter("dunops_jobs", "Background jobs by job name and outcome.", ["job", "outcome"])


def count(job: str, outcome: JobOutcome) -> None:
    JOBS.labels(job=job, outcome=outcome.value).inc()
