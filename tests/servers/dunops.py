"""``dunops serve`` as a separate process on a free loopback port, for load, freeze and benchmark runs.

The caller prepares the database (the test fixtures migrate it) and passes its URL; the process gets a
clean environment holding only the ``DUNOPS_*`` settings given here.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import free_port

DUNOPS = Path(sys.executable).with_name("dunops")


@dataclass
class DunopsServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def start_dunops(
    directory: Path,
    *,
    database_url: str,
    migrate: bool = False,
    tls: tuple[Path, Path] | None = None,
    **settings: str,
) -> DunopsServer:
    """``dunops serve`` with its data dir in ``directory``, extra settings as ``name=value`` (no prefix);
    ``migrate`` migrates a PostgreSQL database first (SQLite always is); ``tls`` (certificate, key)
    serves HTTPS, the certificate being trusted for the health check."""
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    clean = {name: value for name, value in os.environ.items() if not name.startswith("DUNOPS_")}
    env = {
        **clean,
        "DUNOPS_DATA_DIR": str(directory / "data"),
        "DUNOPS_DATABASE_URL": database_url,
        "DUNOPS_PORT": str(port),
        "DUNOPS_LOG_LEVEL": "warning",
        **{f"DUNOPS_{name.upper()}": value for name, value in settings.items()},
    }
    log_path = directory / "dunops.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(DUNOPS),
                "serve",
                *(["--migrate"] if migrate else []),
                *(["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])] if tls else []),
            ],
            cwd=directory,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = DunopsServer(f"{'https' if tls else 'http'}://127.0.0.1:{port}", process, log_path)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=tls[0]) if tls else True
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dunops serve exited during start-up:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1, verify=verify).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"dunops serve did not answer /healthz:\n{server.log_tail()}")


def start_worker(directory: Path, *, database_url: str, **settings: str) -> DunopsServer:
    """``dunops worker`` with its data dir in ``directory`` and the same kind of settings as
    :func:`start_dunops`; it has no URL, so it is returned once its process runs."""
    directory.mkdir(parents=True, exist_ok=True)
    clean = {name: value for name, value in os.environ.items() if not name.startswith("DUNOPS_")}
    env = {
        **clean,
        "DUNOPS_DATA_DIR": str(directory / "data"),
        "DUNOPS_DATABASE_URL": database_url,
        "DUNOPS_LOG_LEVEL": "warning",
        **{f"DUNOPS_{name.upper()}": value for name, value in settings.items()},
    }
    log_path = directory / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(DUNOPS), "worker"], cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    worker = DunopsServer("", process, log_path)
    time.sleep(0.5)
    if process.poll() is not None:
        raise RuntimeError(f"dunops worker exited during start-up:\n{worker.log_tail()}")
    return worker
