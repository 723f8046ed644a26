"""Redis, the job queue, killed (no persistence) around an accepted apply: the apply still happens
once Redis is back, because the job was recorded with the deployment; ``/readyz`` says the queue is
down meanwhile."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from dunops.config import Settings
from tests.faults.support import (
    FAST,
    HoldingProxy,
    Installation,
    Team,
    UdpGate,
    connect_zone,
    kill,
    seed_members,
    served_a,
    wait_until,
)
from tests.servers.powerdns import PowerDNSServer
from tests.support import free_port, missing_server


class Redis:
    """A redis-server of the test's own on a free port, without persistence (a restart loses all)."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing_server("redis-server (Debian package redis-server)")
        self.binary = str(binary)
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.process = subprocess.Popen(
            command, cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(self._answers, 10, "redis-server answers")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None:
            kill(self.process)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def installation(
    tmp_path: Path, settings: Settings, database_url: str, redis: Redis
) -> Iterator[Installation]:
    running = Installation(
        tmp_path / "install",
        database_url,
        {**FAST, "data_dir": str(settings.data_dir), "redis_url": redis.url},
        separate=True,
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _ready(installation: Installation) -> httpx.Response:
    return httpx.get(f"{installation.url}/readyz", timeout=10)


def test_an_apply_accepted_while_redis_is_down_or_lost_by_it_still_happens(
    installation: Installation,
    redis: Redis,
    db: Session,
    powerdns_server: PowerDNSServer,
    proxy: HoldingProxy,
    gate: UdpGate,
) -> None:
    author, approver = seed_members(db)
    team = Team(installation, "", author, approver)
    team.zone = connect_zone(
        lambda method, path, body: team.call(method, approver, path, body),
        powerdns_server,
        proxy.port,
        gate.port,
    )
    assert _ready(installation).status_code == 200

    # Redis is down when the apply is accepted.
    first = team.approved_change("down", "192.0.2.21")
    redis.kill()
    deployment = team.apply(first)
    not_ready = _ready(installation)
    assert not_ready.status_code == 503
    assert not_ready.json()["queue"] != "ok"
    assert not_ready.json()["database"] == "ok"
    before = team.deployment(deployment)
    time.sleep(2)
    started = time.monotonic()
    redis.start()
    wait_until(lambda: team.deployment(deployment)["state"] == "verified", 60, "the apply happens")
    print(
        f"\nFAULT redis down at apply: before {before['state']}; after verified; "
        f"recovered in {time.monotonic() - started:.1f} s after redis came back"
    )
    assert served_a(powerdns_server, team.zone, "down") == ["192.0.2.21"]
    assert _ready(installation).status_code == 200

    # Redis holds the job, then restarts empty before any worker took it.
    second = team.approved_change("lost", "192.0.2.22")
    assert installation.worker is not None
    kill(installation.worker)
    deployment = team.apply(second)
    before = team.deployment(deployment)
    redis.kill()
    redis.start()
    started = time.monotonic()
    installation.restart()  # a worker again
    wait_until(lambda: team.deployment(deployment)["state"] == "verified", 60, "the lost apply happens")
    print(
        f"FAULT redis lost the queued apply: before {before['state']}; after verified; "
        f"recovered in {time.monotonic() - started:.1f} s after the worker restarted"
    )
    assert served_a(powerdns_server, team.zone, "lost") == ["192.0.2.22"]
