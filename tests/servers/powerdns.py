"""PowerDNS Authoritative with its HTTP API and the SQLite backend, on free loopback ports.

One server per test session; each test gets fresh zones through :meth:`PowerDNSServer.create_zone`.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

import httpx
import pytest

from tests.servers.process import ServerProcess, require_binary
from tests.support import free_port, missing_server

SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")


@dataclass
class PowerDNSServer:
    api_url: str
    api_key: str
    dns_port: int
    process: ServerProcess
    _serial: Iterator[int] = field(default_factory=lambda: count(1))

    def new_zone_name(self, label: str = "pdns") -> str:
        return f"{label}{next(self._serial)}.test."

    def create_zone(self, name: str, rrsets: list[dict[str, object]] | None = None) -> str:
        """Create ``name`` with two apex NS (plus ``rrsets`` in API form); returns the zone name."""
        body = {"name": name, "kind": "Native", "nameservers": [f"ns1.{name}", f"ns2.{name}"],
                "rrsets": rrsets or []}  # fmt: skip
        response = httpx.post(
            f"{self.api_url}/api/v1/servers/localhost/zones", json=body, headers={"X-API-Key": self.api_key}
        )
        response.raise_for_status()
        return name


@pytest.fixture(scope="session")
def powerdns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PowerDNSServer]:
    binary = require_binary("pdns_server", "pdns-server pdns-backend-sqlite3")
    if not SCHEMA.exists():
        missing_server("the PowerDNS SQLite schema (Debian package pdns-backend-sqlite3)")
    directory = tmp_path_factory.mktemp("powerdns")
    database = directory / "pdns.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.executescript(SCHEMA.read_text())
    dns_port, api_port, api_key = free_port(), free_port(), secrets.token_hex(16)
    (directory / "pdns.conf").write_text(
        "\n".join(
            [
                "launch=gsqlite3",
                f"gsqlite3-database={database}",
                "local-address=127.0.0.1",
                f"local-port={dns_port}",
                "api=yes",
                f"api-key={api_key}",
                "webserver=yes",
                "webserver-address=127.0.0.1",
                f"webserver-port={api_port}",
                "webserver-allow-from=127.0.0.0/8,::1",
                "allow-axfr-ips=127.0.0.0/8,::1",
                "primary=yes",
                f"socket-dir={directory}",
                "guardian=no",
                "daemon=no",
                "disable-syslog=yes",
                "security-poll-suffix=",
                "default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 3600",
                "",
            ]
        )
    )
    process = ServerProcess([binary, f"--config-dir={directory}"], directory, "pdns_server")
    api_url = f"http://127.0.0.1:{api_port}"

    def ready() -> bool:
        try:
            response = httpx.get(f"{api_url}/api/v1/servers", headers={"X-API-Key": api_key}, timeout=1)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    process.wait_ready(ready)
    yield PowerDNSServer(api_url, api_key, dns_port, process)
    process.stop()
