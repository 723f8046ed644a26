"""Provider call metrics exported at ``/metrics``: calls by provider kind, operation and outcome, and how
long they took. An outcome is ``ok``, or the name of the error class (``StalePlan``, ``ProviderError``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Histogram

CALLS = Histogram(
    "dunops_provider_call_duration_seconds",
    "Calls to DNS providers by kind, operation and outcome, and how long they took.",
    ["kind", "operation", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


@contextmanager
def observed(kind: str, operation: str) -> Iterator[None]:
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except Exception as exc:
        outcome = type(exc).__name__
        raise
    finally:
        CALLS.labels(kind=kind, operation=operation, outcome=outcome).observe(time.perf_counter() - started)
