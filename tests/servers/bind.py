"""BIND 9 as an RFC 2136 primary with TSIG-signed updates and transfers, on a free loopback port."""

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
def bind_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rfc2136Server]:
    binary = require_binary("named", "bind9")
    directory = tmp_path_factory.mktemp("bind")
    port, secret, zones = free_port(), new_secret(), pool("bind")
    zone_blocks = []
    for zone in zones:
        path = directory / f"db.{zone}"
        seed_zone_file(path, zone)
        zone_blocks.append(
            f'zone "{zone}" {{ type primary; file "{path}"; '
            f'allow-update {{ key "{KEY_NAME}"; }}; allow-transfer {{ key "{KEY_NAME}"; }}; }};'
        )
    (directory / "named.conf").write_text(
        f'key "{KEY_NAME}" {{ algorithm {KEY_ALGORITHM}; secret "{secret}"; }};\n'
        f'options {{ directory "{directory}"; pid-file "{directory}/named.pid"; '
        f'session-keyfile "{directory}/session.key"; managed-keys-directory "{directory}"; '
        f"listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }}; recursion no; "
        "allow-transfer { none; }; notify no; dnssec-validation no; };\n" + "\n".join(zone_blocks) + "\n"
    )
    process = ServerProcess([binary, "-g", "-c", str(directory / "named.conf")], directory, "named")
    process.wait_ready(lambda: _answers(port))
    yield Rfc2136Server("BIND", "127.0.0.1", port, KEY_NAME, KEY_ALGORITHM, secret, zones, process)
    process.stop()
