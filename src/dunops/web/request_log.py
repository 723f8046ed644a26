"""The request log: one JSON line per request in ``DATA_DIR/logs/requests-YYYY-MM-DD.jsonl``, and each
workspace's API calls added to its daily usage counts.

A line holds the time, request id, method, route template, status, duration and workspace id, never a
path, query string, header, cookie or body, so no token or form value can reach it. Lines and counts are
handed to a thread of the log's own, so a request never waits on the disk or the database: lines are
appended as they come (one ``write`` each, so processes sharing the directory never interleave a line),
and counts are stored once a minute and when the app stops. Files older than ``DUNOPS_REQUEST_LOG_DAYS``
are removed by :mod:`dunops.privacy.retention`.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dunops.privacy.retention import request_log_file
from dunops.storage import usage
from dunops.storage.base import utcnow
from dunops.storage.database import transaction

STORE_EVERY_SECONDS = 60.0
API_PREFIX = "/api/"

log = structlog.get_logger(__name__)

_FLUSH = object()
_STOP = object()


class RequestLog:
    """Appends request lines to the day's file and counts API calls per workspace, off the request path."""

    def __init__(
        self, directory: Path, factory: sessionmaker[Session], store_every: float = STORE_EVERY_SECONDS
    ) -> None:
        self.directory = directory
        self._factory = factory
        self._store_every = store_every
        self._queue: queue.Queue[object] = queue.Queue()
        self._calls: Counter[tuple[int, date]] = Counter()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def record(
        self,
        *,
        request_id: str,
        method: str,
        route: str,
        status: int,
        duration_ms: float,
        workspace_id: int | None,
    ) -> None:
        """Queue one request's line (never blocks)."""
        self._running()
        self._queue.put(
            {
                "time": utcnow().isoformat(timespec="milliseconds"),
                "request_id": request_id,
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "workspace_id": workspace_id,
            }
        )

    def flush(self) -> None:
        """Wait until every queued line is on disk and every count is stored."""
        if self._thread is None:
            return
        self._queue.put(_FLUSH)
        self._queue.join()

    def close(self) -> None:
        """Flush, then stop the thread."""
        with self._start:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join()

    def _running(self) -> None:
        if self._thread is not None:
            return
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="dunops-request-log", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        writer = _LineWriter(self.directory)
        stored = time.monotonic()
        try:
            while True:
                try:
                    item = self._queue.get(timeout=self._store_every)
                except queue.Empty:
                    item, queued = _FLUSH, False
                else:
                    queued = True
                if isinstance(item, dict):
                    writer.write(item)
                    self._count(item)
                if item is _FLUSH or item is _STOP or time.monotonic() - stored >= self._store_every:
                    self._store()
                    stored = time.monotonic()
                if queued:
                    self._queue.task_done()
                if item is _STOP:
                    return
        finally:
            writer.close()

    def _count(self, entry: dict[str, Any]) -> None:
        workspace_id = entry["workspace_id"]
        if workspace_id is not None and str(entry["route"]).startswith(API_PREFIX):
            self._calls[(workspace_id, date.fromisoformat(str(entry["time"])[:10]))] += 1

    def _store(self) -> None:
        calls, self._calls = self._calls, Counter()
        for (workspace_id, day), count in calls.items():
            try:
                with transaction(self._factory) as session:
                    usage.count(session, workspace_id, day, api_calls=count)
            except IntegrityError:
                pass  # the workspace was purged in the meantime: its counts go with it
            except SQLAlchemyError as error:
                self._calls[(workspace_id, day)] += count  # kept for the next try
                log.warning("usage counts not stored yet", error_type=type(error).__name__)


class _LineWriter:
    """Appends lines to the day's file, keeping it open until the day changes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._day: str = ""
        self._fd: int | None = None

    def write(self, entry: dict[str, Any]) -> None:
        day = str(entry["time"])[:10]
        try:
            if day != self._day or self._fd is None:
                self.close()
                self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
                path = request_log_file(self.directory, date.fromisoformat(day))
                self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                self._day = day
            os.write(self._fd, (json.dumps(entry, separators=(",", ":")) + "\n").encode())
        except OSError as error:
            log.warning("request log line not written", error=str(error))
            self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
