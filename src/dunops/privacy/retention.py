"""Technical data kept only as long as needed: request log files, error traces and usage counts are
removed once older than their retention (``DUNOPS_REQUEST_LOG_DAYS``, ``DUNOPS_ERROR_TRACE_DAYS``,
``DUNOPS_USAGE_METRICS_DAYS``), by a daily job and by ``dunops purge``.

A day's request log file goes once the whole day is past the retention: with 30 days, the file of
1 March goes on 31 March. A workspace's error traces and usage counts also go with the workspace when it
is purged (their rows belong to it, see :mod:`dunops.privacy.scope`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import structlog
from huey import crontab
from huey.exceptions import TaskLockedException
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import JobContext, periodic, queue_for
from dunops.storage.base import utcnow
from dunops.storage.database import make_engine, make_session_factory, transaction
from dunops.storage.models import ErrorTrace, UsageMetric

PURGE_TECHNICAL_DATA_JOB = "privacy.purge_technical_data"

REQUEST_LOG_PREFIX = "requests-"
REQUEST_LOG_SUFFIX = ".jsonl"

log = structlog.get_logger(__name__)


def request_log_file(directory: Path, day: date) -> Path:
    """The file of one day's request log lines."""
    return directory / f"{REQUEST_LOG_PREFIX}{day.isoformat()}{REQUEST_LOG_SUFFIX}"


def request_log_day(path: Path) -> date | None:
    """The day a request log file holds, from its name; ``None`` for any other file."""
    name = path.name
    if not (name.startswith(REQUEST_LOG_PREFIX) and name.endswith(REQUEST_LOG_SUFFIX)):
        return None
    try:
        return date.fromisoformat(name.removeprefix(REQUEST_LOG_PREFIX).removesuffix(REQUEST_LOG_SUFFIX))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Removed:
    """What one run removed."""

    log_files: int
    error_traces: int
    usage_rows: int

    def line(self) -> str:
        return (
            f"technical data\tremoved\t{self.log_files} request log files\t"
            f"{self.error_traces} error traces\t{self.usage_rows} usage rows"
        )


def purge_expired(session: Session, settings: Settings, now: datetime | None = None) -> Removed:
    """Remove every request log file, error trace and usage row past its retention (the caller commits)."""
    now = now or utcnow()
    today = now.date()
    traces = session.execute(
        delete(ErrorTrace).where(ErrorTrace.occurred_at < now - timedelta(days=settings.error_trace_days))
    )
    usage = session.execute(
        delete(UsageMetric).where(UsageMetric.day <= today - timedelta(days=settings.usage_metrics_days))
    )
    files = 0
    oldest_kept = today - timedelta(days=settings.request_log_days - 1)
    if settings.logs_dir.is_dir():
        for path in sorted(settings.logs_dir.iterdir()):
            day = request_log_day(path)
            if day is not None and day < oldest_kept:
                path.unlink()
                files += 1
    return Removed(files, int(traces.rowcount or 0), int(usage.rowcount or 0))  # type: ignore[attr-defined]


def run(settings: Settings, engine: Engine | None = None) -> Removed:
    """Purge expired technical data in one transaction (the daily job, ``dunops purge``)."""
    own = engine is None
    engine = engine or make_engine(settings.sqlalchemy_url, settings.database_options)
    try:
        with transaction(make_session_factory(engine)) as session:
            removed = purge_expired(session, settings)
    finally:
        if own:
            engine.dispose()
    if removed != Removed(0, 0, 0):
        log.info(
            "technical data purged",
            log_files=removed.log_files,
            error_traces=removed.error_traces,
            usage_rows=removed.usage_rows,
        )
    return removed


@periodic(PURGE_TECHNICAL_DATA_JOB, crontab(hour="4", minute="23"))
def purge_technical_data(context: JobContext) -> None:
    """Every day: remove request logs, error traces and usage counts past their retention."""
    try:
        with queue_for(context.settings).huey.lock_task(PURGE_TECHNICAL_DATA_JOB):
            run(context.settings)
    except TaskLockedException:
        log.info("technical data purge already running elsewhere")
