"""Knot DNS as a second RFC 2136 primary (TSIG updates and transfers) on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.servers.process import ServerProcess, require_binary
from tests.servers.rfc2136 import KEY_ALGORITHM, KEY_NAME, Rfc2136Server, new_secret, pool, seed_zone_file
from tests.support import free_port


def _answers(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


@pytest.fixture(scope="session")
def knot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rfc2136Server]:
    binary = require_binary("knotd", "knot")
    directory = tmp_path_factory.mktemp("knot")
    port, secret, zones = free_port(), new_secret(), pool("knot")
    for zone in zones:
        seed_zone_file(directory / f"{zone}zone", zone)
    zone_lines = "".join(
        f"  - domain: {zone}\n    file: {directory}/{zone}zone\n    zonefile-sync: 0\n    acl: dunops\n"
        for zone in zones
    )
    (directory / "knot.conf").write_text(
        f"server:\n  listen: 127.0.0.1@{port}\n  rundir: {directory}\n"
        f"database:\n  storage: {directory}\n"
        f"key:\n  - id: {KEY_NAME}\n    algorithm: {KEY_ALGORITHM}\n    secret: {secret}\n"
        f"acl:\n  - id: dunops\n    key: {KEY_NAME}\n    action: [update, transfer]\n"
        "log:\n  - target: stderr\n    any: warning\n"
        f"zone:\n{zone_lines}"
    )
    process = ServerProcess([binary, "-c", str(directory / "knot.conf")], directory, "knotd")
    process.wait_ready(lambda: _answers(port))
    yield Rfc2136Server("Knot", "127.0.0.1", port, KEY_NAME, KEY_ALGORITHM, secret, zones, process)
    process.stop()
