"""``dunops serve`` as a real process: data dir, migrations, first-owner link, logs, graceful stop."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.notify import recent_mails, send_mail
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.jobs.support import wait_for
from tests.support import free_port

DUNOPS = Path(sys.executable).with_name("dunops")


def _environment(**extra: str) -> dict[str, str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("DUNOPS_")}
    return {**clean, **extra}


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "dunops serve exited during start-up"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("dunops serve did not answer /healthz")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    port = free_port()
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    env = _environment(DUNOPS_DATA_DIR=str(tmp_path / ".dunops"), DUNOPS_LOG_JSON="true")
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(DUNOPS), "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=out, stderr=err
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process)
        yield f"http://127.0.0.1:{port}", process, tmp_path
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def test_serve_prepares_the_data_dir_and_prints_the_first_owner_link(
    served: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    base, process, workdir = served
    assert httpx.get(f"{base}/readyz", timeout=5).json() == {"status": "ok", "database": "ok", "queue": "ok"}

    data_dir = workdir / ".dunops"
    assert (data_dir / "dunops.sqlite3").is_file()
    key_file = data_dir / "master.key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700

    printed = (workdir / "stdout.txt").read_text()
    links = re.findall(r"http://\S+/auth/first-owner/(\S+)", printed)
    assert len(links) == 1, printed
    token = links[0]

    # The request log must carry neither the link's token nor a query string.
    httpx.get(f"{base}/auth/first-owner/{token}?token={token}", timeout=5)

    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    logs = [json.loads(line) for line in (workdir / "stderr.txt").read_text().splitlines() if line.strip()]
    events = [entry["event"] for entry in logs]
    assert "job worker started" in events
    assert "job worker stopped" in events, "graceful shutdown stops the consumer"
    requests = [entry for entry in logs if entry["event"] == "request"]
    assert {entry["route"] for entry in requests} >= {"/healthz", "/readyz", "/auth/first-owner/{token}"}
    assert all(entry["request_id"] and entry["status"] for entry in requests)
    assert token not in (workdir / "stderr.txt").read_text()


def test_a_bad_setting_stops_serve_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(DUNOPS), "serve"],
        cwd=tmp_path,
        env=_environment(DUNOPS_PORT="abc", DUNOPS_DATA_DIR=str(tmp_path / ".dunops")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: DUNOPS_PORT: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".dunops").exists(), "nothing is created before the settings are valid"


def _serve_once_on_a_new_database(
    tmp_path: Path, admin_url: str, *arguments: str
) -> subprocess.CompletedProcess[str]:
    """``dunops serve ARGS`` on a new, empty PostgreSQL database, run until it exits."""
    url = create_postgres_database(admin_url)
    try:
        return subprocess.run(
            [str(DUNOPS), "serve", *arguments, "--port", str(free_port())],
            cwd=tmp_path,
            env=_environment(DUNOPS_DATABASE_URL=url, DUNOPS_DATA_DIR=str(tmp_path / ".dunops")),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        drop_postgres_database(admin_url, url)


def test_serve_does_not_migrate_postgresql_unless_asked(tmp_path: Path, postgres_admin_url: str) -> None:
    result = _serve_once_on_a_new_database(tmp_path, postgres_admin_url)
    assert result.returncode == 2
    assert "--migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_runs_queued_jobs_alone_and_stops_on_sigterm(tmp_path: Path) -> None:
    data_dir = tmp_path / ".dunops"
    settings = Settings(data_dir=data_dir)
    engine = create_engine("sqlite://")
    with Session(engine) as session:
        send_mail(
            session, settings, to="ada@example.com", subject="From the worker", body="queued before start"
        )
        session.commit()
    engine.dispose()

    stderr = tmp_path / "stderr.txt"
    metrics_port = free_port()
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(DUNOPS), "worker", "--workers", "1", "--metrics-port", str(metrics_port)],
            cwd=tmp_path,
            env=_environment(DUNOPS_DATA_DIR=str(data_dir)),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        assert wait_for(lambda: len(recent_mails(settings)) == 1, timeout=30), stderr.read_text()
        assert recent_mails(settings)[0].subject == "From the worker"
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert 'dunops_jobs_total{job="notify.deliver_mail",outcome="succeeded"} 1.0' in metrics
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    assert "job worker stopped" in stderr.read_text()


def test_serve_without_a_master_key_stops_at_start_up(tmp_path: Path, postgres_admin_url: str) -> None:
    """With PostgreSQL no key file is made (replicas must share one key): no key, no start."""
    result = _serve_once_on_a_new_database(tmp_path, postgres_admin_url, "--migrate")
    assert result.returncode == 2
    assert "DUNOPS_MASTER_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_several_web_processes_share_the_port_and_stop_together(tmp_path: Path) -> None:
    port = free_port()
    env = _environment(DUNOPS_DATA_DIR=str(tmp_path / ".dunops"), DUNOPS_WEB_PROCESSES="2")
    with (tmp_path / "stderr.txt").open("wb") as err:
        process = subprocess.Popen(
            [str(DUNOPS), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, process)
        pids = {httpx.get(f"{base}/readyz", timeout=5).status_code for _ in range(20)}
        assert pids == {200}
        children = (
            Path(f"/proc/{process.pid}/task").exists()
            and subprocess.run(
                ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
        )
        assert len(children) >= 2, "two web processes serve beside the parent"
        started = {child: _start_time(child) for child in children}
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        deadline = time.monotonic() + 10  # a helper (multiprocessing's tracker) sees its parent go first
        for child in children:
            while _running(child, started[child]) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not _running(child, started[child]), f"process {child} outlived the server"
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def _running(pid: str, start_time: str | None) -> bool:
    """Whether the process that had ``pid`` and started at ``start_time`` still runs (a zombie does not;
    a later process given the same pid is another one)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False
    return _start_time(pid) == start_time and "zombie" not in status


def _start_time(pid: str) -> str | None:
    """When the process ``pid`` started (clock ticks since boot), or None when there is none: tells a
    process from a later one that was given the same pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]
