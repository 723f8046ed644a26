"""Queue settings for both storages: SQLite always, Redis when ``DUNOPS_TEST_REDIS_URL`` is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from dunops.config import Settings
from dunops.jobs import queue
from tests.support import missing_server

REDIS_URL = os.environ.get("DUNOPS_TEST_REDIS_URL", "")


@pytest.fixture(params=["sqlite", "redis"])
def queue_settings(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings whose job queue is SQLite in a temporary data dir, or the (flushed) Redis test database.

    On Redis each test gets its own queue name, so that a test run beside this one on the same test
    database cannot consume this test's jobs.
    """
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path / "data")
        return
    if not REDIS_URL:
        missing_server("Redis (set DUNOPS_TEST_REDIS_URL)")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError:
        client.close()
        missing_server(f"Redis at {REDIS_URL}")
    monkeypatch.setattr(queue, "QUEUE_NAME", f"dunops-test-{uuid.uuid4().hex[:12]}")
    try:
        yield Settings(data_dir=tmp_path / "data", redis_url=REDIS_URL)
    finally:
        client.flushdb()
        client.close()
