"""moto in server mode as a Route53 endpoint on a free loopback port; state is reset before each test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.servers.process import ServerProcess
from tests.support import free_port, missing_server


@dataclass
class MotoServer:
    endpoint_url: str
    process: ServerProcess

    def reset(self) -> None:
        httpx.post(f"{self.endpoint_url}/moto-api/reset").raise_for_status()


def start_moto(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str] | None = None) -> MotoServer:
    binary = Path(sys.executable).with_name("moto_server")
    if not binary.exists():
        missing_server("moto_server (pip install 'moto[server]')")
    directory = tmp_path_factory.mktemp("moto")
    port = free_port()
    argv = [str(binary), "-H", "127.0.0.1", "-p", str(port)]
    process = ServerProcess(argv, directory, "moto_server", env)
    endpoint = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{endpoint}/moto-api/", timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    process.wait_ready(ready, timeout=30)
    return MotoServer(endpoint, process)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = start_moto(tmp_path_factory)
    yield server
    server.process.stop()


@pytest.fixture(scope="session")
def moto_checking_credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """moto with IAM authentication on: unknown access keys are refused as AWS refuses them."""
    server = start_moto(tmp_path_factory, {"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    yield server
    server.process.stop()


@pytest.fixture
def moto(moto_server: MotoServer) -> MotoServer:
    moto_server.reset()
    return moto_server
