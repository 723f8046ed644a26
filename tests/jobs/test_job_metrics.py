"""Job metrics and request ids: a job queued while a request is served logs under that request's id,
and its run is counted, timed and shown as running while it runs."""

from __future__ import annotations

from typing import Any

import structlog
from prometheus_client import REGISTRY

from dunops.config import Settings
from dunops.jobs import JobContext, job, queue_for
from dunops.jobs.metrics import watch_queue

SEEN: list[dict[str, Any]] = []
OBSERVED_JOB = "tests.observed_job"
FAILING_JOB = "tests.observed_failure"


@job(OBSERVED_JOB)
def observed_job(context: JobContext, *, value: int) -> None:
    SEEN.append(
        {
            "value": value,
            "context": structlog.contextvars.get_contextvars(),
            "running": REGISTRY.get_sample_value("dunops_jobs_running", {"job": OBSERVED_JOB}),
        }
    )


@job(FAILING_JOB)
def observed_failure(context: JobContext) -> None:
    raise RuntimeError("boom")


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_job_logs_under_the_request_that_queued_it_and_is_timed(queue_settings: Settings) -> None:
    SEEN.clear()
    queue = queue_for(queue_settings)
    watch_queue(queue.pending)
    before = _sample("dunops_job_duration_seconds_count", job=OBSERVED_JOB, outcome="succeeded")
    with structlog.contextvars.bound_contextvars(request_id="req-4711"):
        queue.enqueue(OBSERVED_JOB, value=1)
    queue.enqueue(OBSERVED_JOB, value=2)  # queued outside any request
    assert _sample("dunops_jobs_queued") == 2
    assert queue.run_pending() == 2

    assert [(seen["value"], seen["context"].get("request_id")) for seen in SEEN] == [
        (1, "req-4711"),
        (2, None),
    ]
    assert all(seen["context"]["job"] == OBSERVED_JOB for seen in SEEN)
    assert [seen["running"] for seen in SEEN] == [1.0, 1.0]
    assert _sample("dunops_jobs_running", job=OBSERVED_JOB) == 0
    assert _sample("dunops_job_duration_seconds_count", job=OBSERVED_JOB, outcome="succeeded") == before + 2
    assert _sample("dunops_jobs_queued") == 0


def test_a_failed_job_is_counted_as_failed(queue_settings: Settings) -> None:
    queue = queue_for(queue_settings)
    before = _sample("dunops_job_duration_seconds_count", job=FAILING_JOB, outcome="failed")
    queue.enqueue(FAILING_JOB)
    queue.run_pending()
    assert _sample("dunops_job_duration_seconds_count", job=FAILING_JOB, outcome="failed") == before + 1
    assert _sample("dunops_jobs_running", job=FAILING_JOB) == 0
