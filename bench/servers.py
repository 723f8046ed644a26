"""Real PowerDNS, BIND and moto servers for the providers benchmark, on 127.0.0.1 in a temporary dir.

The process handling, free ports, the PowerDNS schema and the TSIG key conventions come from the test
launchers in ``tests/servers`` (the same recipes, TEST_INFRA.md); these functions start one server
outside pytest, wait until it answers, and leave stopping it (by PID) to the caller.
"""

from __future__ import annotations

import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.servers.powerdns import SCHEMA
from tests.servers.process import ServerProcess, require_binary
from tests.servers.rfc2136 import KEY_ALGORITHM, KEY_NAME, new_secret
from tests.support import free_port


class ServerFailed(RuntimeError):
    """A server did not start; the message carries the tail of its log."""


def _wait(process: ServerProcess, ready: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.process.poll() is None:
        try:
            if ready():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.05)
    process.stop()
    log = process.log_path.read_text(errors="replace")[-2000:]
    raise ServerFailed(f"{process.name} did not start; log tail:\n{log}")


def _binary(name: str, package: str) -> str:
    try:
        return require_binary(name, package)
    except BaseException as exc:  # pytest's skip/fail outcomes derive from BaseException
        raise ServerFailed(f"{name} is not installed (Debian package {package})") from exc


@dataclass
class PowerDNS:
    api_url: str
    api_key: str
    process: ServerProcess
    dns_port: int = 0
    directory: Path | None = None

    def load_zone(self, origin: str, text: str) -> None:
        """Load a big zone with ``pdnsutil load-zone`` (far faster than the API; the zone cache is off)."""
        assert self.directory is not None
        path = self.directory / f"load-{origin}zone"
        path.write_text(text, encoding="utf-8")
        subprocess.run(
            [
                _binary("pdnsutil", "pdns-server"),
                f"--config-dir={self.directory}",
                "load-zone",
                origin,
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=1800,
        )
        path.unlink()

    def set_meta(self, origin: str, kind: str, value: str) -> None:
        """``pdnsutil set-meta`` for one zone (e.g. ``API-RECTIFY`` to ``0``)."""
        assert self.directory is not None
        subprocess.run(
            [
                _binary("pdnsutil", "pdns-server"),
                f"--config-dir={self.directory}",
                "set-meta",
                origin,
                kind,
                value,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = httpx.request(
            method,
            f"{self.api_url}/api/v1/servers/localhost{path}",
            headers={"X-API-Key": self.api_key},
            timeout=300,
            **kwargs,  # type: ignore[arg-type]
        )
        if response.status_code >= 400:
            status, text = response.status_code, response.text[:500]
            raise RuntimeError(f"PowerDNS {method} {path}: HTTP {status}: {text}")
        return response


def start_powerdns(directory: Path) -> PowerDNS:
    """PowerDNS Authoritative with the gsqlite3 backend and its HTTP API."""
    binary = _binary("pdns_server", "pdns-server pdns-backend-sqlite3")
    if not SCHEMA.exists():
        raise ServerFailed("the PowerDNS SQLite schema is missing (Debian package pdns-backend-sqlite3)")
    directory.mkdir(parents=True)
    database = directory / "pdns.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.executescript(SCHEMA.read_text())
    dns_port, api_port, api_key = free_port(), free_port(), secrets.token_hex(16)
    settings = {
        "launch": "gsqlite3",
        "gsqlite3-database": str(database),
        "local-address": "127.0.0.1",
        "local-port": str(dns_port),
        "api": "yes",
        "api-key": api_key,
        "webserver": "yes",
        "webserver-address": "127.0.0.1",
        "webserver-port": str(api_port),
        "webserver-allow-from": "127.0.0.0/8,::1",
        "allow-axfr-ips": "127.0.0.0/8,::1",
        "primary": "yes",
        "socket-dir": str(directory),
        "guardian": "no",
        "daemon": "no",
        "disable-syslog": "yes",
        "security-poll-suffix": "",
        "default-soa-content": "ns1.@ hostmaster.@ 0 10800 3600 604800 3600",
        "zone-cache-refresh-interval": "0",
    }
    (directory / "pdns.conf").write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    process = ServerProcess([binary, f"--config-dir={directory}"], directory, "pdns_server")
    api_url = f"http://127.0.0.1:{api_port}"

    def ready() -> bool:
        response = httpx.get(f"{api_url}/api/v1/servers", headers={"X-API-Key": api_key}, timeout=1)
        return response.status_code == 200

    _wait(process, ready)
    return PowerDNS(api_url, api_key, process, dns_port, directory)


@dataclass
class Bind:
    port: int
    key_name: str
    key_algorithm: str
    key_secret: str
    process: ServerProcess


def start_bind(directory: Path, origin: str, zone_text: str) -> Bind:
    """BIND 9 serving ``origin`` from ``zone_text`` (loaded before start), TSIG updates and AXFR."""
    binary = _binary("named", "bind9")
    directory.mkdir(parents=True)
    port, secret = free_port(), new_secret()
    path = directory / f"db.{origin}"
    path.write_text(zone_text, encoding="utf-8")
    (directory / "named.conf").write_text(
        f'key "{KEY_NAME}" {{ algorithm {KEY_ALGORITHM}; secret "{secret}"; }};\n'
        "controls { };\n"  # no rndc channel on port 953 of 127.0.0.1 and ::1
        f'options {{ directory "{directory}"; pid-file "{directory}/named.pid"; '
        f'session-keyfile "{directory}/session.key"; managed-keys-directory "{directory}"; '
        f"listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }}; recursion no; "
        "allow-transfer { none; }; notify no; dnssec-validation no; };\n"
        f'zone "{origin}" {{ type primary; file "{path}"; '
        f'allow-update {{ key "{KEY_NAME}"; }}; allow-transfer {{ key "{KEY_NAME}"; }}; }};\n'
    )
    process = ServerProcess([binary, "-g", "-c", str(directory / "named.conf")], directory, "named")
    log = process.log_path

    def ready() -> bool:
        # named answers TCP before it has loaded a big zone; wait for the zone to be loaded too
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return "all zones loaded" in log.read_text(errors="replace")

    _wait(process, ready, timeout=60)
    return Bind(port, KEY_NAME, KEY_ALGORITHM, secret, process)


@dataclass
class Moto:
    endpoint_url: str
    process: ServerProcess


def start_moto(directory: Path) -> Moto:
    """moto_server as a Route53 endpoint."""
    binary = Path(sys.executable).with_name("moto_server")
    if not binary.exists():
        raise ServerFailed("moto_server is not installed (pip install 'moto[server]')")
    directory.mkdir(parents=True)
    port = free_port()
    process = ServerProcess([str(binary), "-H", "127.0.0.1", "-p", str(port)], directory, "moto_server")
    endpoint = f"http://127.0.0.1:{port}"
    _wait(process, lambda: httpx.get(f"{endpoint}/moto-api/", timeout=1).status_code < 500)
    return Moto(endpoint, process)
