"""The job queue on SQLite and Redis: jobs run in real consumer threads, after commit only."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from huey import crontab
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import (
    BackgroundWorker,
    JobContext,
    JobQueue,
    enqueue,
    enqueue_after_commit,
    job,
    jobs_file,
    periodic,
    queue_for,
)
from tests.jobs.support import wait_for


@job("tests.write_marker")
def write_marker(context: JobContext, *, name: str, text: str) -> None:
    context.settings.data_dir.mkdir(parents=True, exist_ok=True)
    marker = context.settings.data_dir / name
    marker.write_text(f"{text} ({threading.current_thread().name})")


@job("tests.always_fails")
def always_fails(context: JobContext) -> None:
    raise RuntimeError("this job always fails")


@periodic("tests.every_five_minutes", crontab(minute="*/5"))
def every_five_minutes(context: JobContext) -> None:
    write_marker(context, name="periodic", text="ran")


def _jobs_counted(job_name: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value("dunops_jobs_total", {"job": job_name, "outcome": outcome})
    return value or 0.0


def test_an_idle_consumer_takes_a_job_at_once(queue_settings: Settings) -> None:
    """No polling delay: after a long idle spell a job queued in this process starts within moments."""
    with BackgroundWorker(queue_for(queue_settings), workers=1, periodic=False):
        time.sleep(2.5)  # long enough for any polling back-off to have grown
        for number in range(3):
            marker = queue_settings.data_dir / f"quick-{number}"
            queued = time.monotonic()
            enqueue(queue_settings, "tests.write_marker", name=marker.name, text="quick")
            assert wait_for(marker.exists, timeout=5)
            assert time.monotonic() - queued < 0.25, "the consumer waited for its next poll"
            time.sleep(0.7)


def test_an_enqueued_job_runs_in_a_consumer_thread(queue_settings: Settings) -> None:
    marker = queue_settings.data_dir / "hello"
    with BackgroundWorker(queue_for(queue_settings), workers=2, periodic=False):
        enqueue(queue_settings, "tests.write_marker", name="hello", text="hello from the queue")
        assert wait_for(marker.exists), "the consumer did not run the job"
    content = marker.read_text()
    assert content.startswith("hello from the queue")
    assert threading.current_thread().name not in content
    assert "Worker" in content


def test_jobs_queued_while_no_consumer_runs_wait_for_one(queue_settings: Settings) -> None:
    queue = queue_for(queue_settings)
    for number in range(3):
        enqueue(queue_settings, "tests.write_marker", name=f"job-{number}", text="later")
    assert queue.pending() == 3
    assert not (queue_settings.data_dir / "job-0").exists()
    with BackgroundWorker(queue, workers=1, periodic=False):
        assert wait_for(lambda: all((queue_settings.data_dir / f"job-{n}").exists() for n in range(3)))
    assert queue.pending() == 0


def test_a_failing_job_is_counted_and_does_not_stop_the_consumer(queue_settings: Settings) -> None:
    failed_before = _jobs_counted("tests.always_fails", "failed")
    with BackgroundWorker(queue_for(queue_settings), workers=1, periodic=False):
        enqueue(queue_settings, "tests.always_fails")
        enqueue(queue_settings, "tests.write_marker", name="after", text="still running")
        assert wait_for((queue_settings.data_dir / "after").exists)
    assert _jobs_counted("tests.always_fails", "failed") == failed_before + 1


def test_sqlite_queue_lives_in_the_data_dir_by_default(tmp_path: pytest.TempPathFactory) -> None:
    settings = Settings(data_dir=tmp_path / "data")  # type: ignore[operator]
    queue = JobQueue(settings)
    queue.enqueue("tests.write_marker", name="x", text="y")
    assert queue.storage == "sqlite"
    assert jobs_file(settings).exists()
    assert JobQueue(settings).pending() == 1, "a second process-like queue sees the same store"


def test_queues_follow_the_settings_they_are_built_for(tmp_path: pytest.TempPathFactory) -> None:
    first = Settings(data_dir=tmp_path / "one")  # type: ignore[operator]
    second = Settings(data_dir=tmp_path / "two")  # type: ignore[operator]
    enqueue(first, "tests.write_marker", name="x", text="y")
    assert queue_for(first) is queue_for(first)
    assert queue_for(first).pending() == 1
    assert queue_for(second).pending() == 0


def test_run_pending_runs_queued_jobs_in_the_caller(queue_settings: Settings) -> None:
    queue = queue_for(queue_settings)
    enqueue(queue_settings, "tests.write_marker", name="sync", text="ran inline")
    assert queue.run_pending() == 1
    assert (queue_settings.data_dir / "sync").read_text().startswith("ran inline")
    assert queue.run_pending() == 0


def test_immediate_mode_runs_jobs_when_they_are_enqueued(tmp_path: pytest.TempPathFactory) -> None:
    settings = Settings(data_dir=tmp_path / "data")  # type: ignore[operator]
    queue = queue_for(settings)
    queue.immediate = True
    enqueue(settings, "tests.write_marker", name="now", text="at once")
    assert (settings.data_dir / "now").exists()


def test_an_unknown_job_name_is_refused(tmp_path: pytest.TempPathFactory) -> None:
    settings = Settings(data_dir=tmp_path / "data")  # type: ignore[operator]
    with pytest.raises(LookupError, match="no-such-job"):
        enqueue(settings, "no-such-job")


def test_periodic_jobs_are_scheduled_by_their_crontab(tmp_path: pytest.TempPathFactory) -> None:
    settings = Settings(data_dir=tmp_path / "data")  # type: ignore[operator]
    huey = queue_for(settings).huey
    due = [task.name for task in huey.read_periodic(datetime(2026, 1, 1, 12, 5, tzinfo=UTC))]
    not_due = [task.name for task in huey.read_periodic(datetime(2026, 1, 1, 12, 6, tzinfo=UTC))]
    assert "tests.every_five_minutes" in due
    assert "tests.every_five_minutes" not in not_due


def test_jobs_asked_for_in_a_transaction_are_queued_only_on_commit(
    db: Session, queue_settings: Settings
) -> None:
    queue = queue_for(queue_settings)
    db.execute(text("SELECT 1"))
    enqueue_after_commit(db, queue_settings, "tests.write_marker", name="committed", text="yes")
    assert queue.pending() == 0
    db.commit()
    assert queue.pending() == 1

    enqueue_after_commit(db, queue_settings, "tests.write_marker", name="rolled-back", text="no")
    db.rollback()
    db.commit()
    assert queue.pending() == 1

    with BackgroundWorker(queue, workers=1, periodic=False):
        assert wait_for((queue_settings.data_dir / "committed").exists)
    assert not (queue_settings.data_dir / "rolled-back").exists()


def test_a_rolled_back_savepoint_drops_only_its_own_jobs(
    db: Session, tmp_path: pytest.TempPathFactory
) -> None:
    settings = Settings(data_dir=tmp_path / "data")  # type: ignore[operator]
    queue = queue_for(settings)
    enqueue_after_commit(db, settings, "tests.write_marker", name="outer", text="kept")
    savepoint = db.begin_nested()
    enqueue_after_commit(db, settings, "tests.write_marker", name="inner", text="dropped")
    savepoint.rollback()
    released = db.begin_nested()
    enqueue_after_commit(db, settings, "tests.write_marker", name="released", text="kept")
    released.commit()
    assert queue.pending() == 0, "nothing is queued before the outermost commit"
    db.commit()
    assert queue.run_pending() == 2
    assert (settings.data_dir / "outer").exists()
    assert (settings.data_dir / "released").exists()
    assert not (settings.data_dir / "inner").exists()


def test_a_session_closed_without_commit_queues_nothing(
    db: Session, tmp_path: pytest.TempPathFactory
) -> None:
    settings = Settings(data_dir=tmp_path / "data")  # type: ignore[operator]
    enqueue_after_commit(db, settings, "tests.write_marker", name="abandoned", text="no")
    db.close()
    db.commit()
    assert queue_for(settings).pending() == 0
