"""Fault injection around real processes: ``dunops serve`` and ``dunops worker`` killed with SIGKILL, a
TCP proxy in front of PowerDNS's API that holds its write, a UDP gate in front of its DNS port that
drops verification queries, and a team with a PowerDNS zone arranged through the live API."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session

from dunops.storage.models import Role
from tests.servers.dunops import DUNOPS, DunopsServer, start_dunops
from tests.servers.powerdns import PowerDNSServer
from tests.zones.helpers import api_token, bearer, member

FAST = {
    "apply_lease_seconds": "4",
    "reconcile_seconds": "2",
    "outbox_resend_seconds": "3",
}
"""Short leases and rounds, so that recovery is seen within seconds."""


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``condition`` until it holds; returns how long it took (AssertionError naming ``what``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if condition():
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no clean-up, no graceful stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


class Hold(Enum):
    NOTHING = "nothing"
    REQUEST = "request"
    """A PATCH is kept from PowerDNS (it never arrives)."""
    RESPONSE = "response"
    """A PATCH reaches PowerDNS, and its answer is kept from DunOps."""
    CUT = "cut"
    """A PATCH never arrives: its connection is cut, and PowerDNS is unreachable from then on."""


class HoldingProxy:
    """A TCP proxy to PowerDNS's API that can hold its write (the PATCH) at either end."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.hold = Hold.NOTHING
        self.refuse = False
        """While set, every connection is closed at once: the provider is down."""
        self.held = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refuse:
                _close(client)
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._sockets += [client, upstream]
            patched = threading.Event()
            threading.Thread(target=self._outbound, args=(client, upstream, patched), daemon=True).start()
            threading.Thread(target=self._inbound, args=(upstream, client, patched), daemon=True).start()

    def _outbound(self, client: socket.socket, upstream: socket.socket, patched: threading.Event) -> None:
        dropping = False
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                data = b""
            if not data:
                _close(client, upstream)
                return
            if data.startswith(b"PATCH"):
                if self.hold is Hold.CUT:
                    self.refuse = True
                    self.held.set()
                    _close(client, upstream)
                    return
                if self.hold is Hold.REQUEST:
                    dropping = True
                    self.held.set()
                elif self.hold is Hold.RESPONSE:
                    patched.set()
            if not dropping:
                try:
                    upstream.sendall(data)
                except OSError:
                    _close(client, upstream)
                    return

    def _inbound(self, upstream: socket.socket, client: socket.socket, patched: threading.Event) -> None:
        while True:
            try:
                data = upstream.recv(65536)
            except OSError:
                data = b""
            if not data:
                if not patched.is_set():  # after the held answer DunOps must not see the connection end
                    _close(client, upstream)
                return
            if patched.is_set():
                self.held.set()  # PowerDNS answered the write; DunOps never hears it
                continue
            try:
                client.sendall(data)
            except OSError:
                _close(client, upstream)
                return

    def close(self) -> None:
        self._listener.close()
        for sock in self._sockets:
            _close(sock)


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


class UdpGate:
    """A UDP relay to PowerDNS's DNS port that drops every query while closed."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.open = True
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        threading.Thread(target=self._relay, daemon=True).start()

    def _relay(self) -> None:
        while True:
            try:
                query, client = self._socket.recvfrom(65535)
            except OSError:
                return
            if self.open:
                threading.Thread(target=self._answer, args=(query, client), daemon=True).start()

    def _answer(self, query: bytes, client: tuple[str, int]) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
            upstream.settimeout(2)
            try:
                upstream.sendto(query, self.upstream)
                answer, _ = upstream.recvfrom(65535)
                self._socket.sendto(answer, client)
            except OSError:
                return

    def close(self) -> None:
        self._socket.close()


def start_worker(directory: Path, *, database_url: str, **settings: str) -> subprocess.Popen[bytes]:
    """``dunops worker`` with the same environment :func:`start_dunops` gives ``dunops serve``."""
    directory.mkdir(parents=True, exist_ok=True)
    clean = {name: value for name, value in os.environ.items() if not name.startswith("DUNOPS_")}
    env = {
        **clean,
        "DUNOPS_DATA_DIR": str(directory / "data"),
        "DUNOPS_DATABASE_URL": database_url,
        "DUNOPS_LOG_LEVEL": "warning",
        **{f"DUNOPS_{name.upper()}": value for name, value in settings.items()},
    }
    with (directory / "worker.log").open("ab") as log:
        return subprocess.Popen(
            [str(DUNOPS), "worker"], cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT
        )


@dataclass
class Installation:
    """``dunops serve`` (and, when ``separate``, a ``dunops worker``) on one database and data dir."""

    directory: Path
    database_url: str
    settings: dict[str, str]
    separate: bool
    server: DunopsServer | None = None
    worker: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        where = self.directory / f"run{self.starts}"
        chosen = {**self.settings, "worker": "false" if self.separate else "true"}
        self.server = start_dunops(where, database_url=self.database_url, **chosen)
        if self.separate:
            self.worker = start_worker(where, database_url=self.database_url, **self.settings)

    def kill_worker(self) -> None:
        """SIGKILL whichever process runs the jobs."""
        if self.separate:
            assert self.worker is not None
            kill(self.worker)
        else:
            assert self.server is not None
            kill(self.server.process)

    def restart(self) -> None:
        """Start whatever was killed again (the web server stays up when only the worker died)."""
        if self.separate:
            assert self.server is not None
            if self.server.process.poll() is not None:
                self.server = start_dunops(
                    self.directory / f"run{self.starts}b",
                    database_url=self.database_url,
                    **{**self.settings, "worker": "false"},
                )
            self.worker = start_worker(
                self.directory / f"run{self.starts}w", database_url=self.database_url, **self.settings
            )
        else:
            self.start()

    def stop(self) -> None:
        if self.worker is not None:
            kill(self.worker)
        if self.server is not None:
            self.server.stop()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url


@dataclass
class Team:
    """An author and an approver in ``acme`` with a PowerDNS zone, talking to the live server."""

    installation: Installation
    zone: str
    author: dict[str, str]
    approver: dict[str, str]
    base: str = "/api/v1/workspaces/acme"
    created: list[int] = field(default_factory=list)

    def call(self, method: str, who: dict[str, str], path: str, body: Any = None) -> httpx.Response:
        return httpx.request(
            method, self.installation.url + self.base + path, json=body, headers=who, timeout=30
        )

    def deployment(self, deployment_id: int) -> dict[str, Any]:
        response = self.call("GET", self.author, f"/deployments/{deployment_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def change(self, change_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", self.author, f"/changes/{change_id}").json()
        return found

    def approved_change(self, name: str, value: str, *, count: int = 1) -> int:
        """An approved request setting ``name`` (``name0`` ... when ``count`` > 1) to ``value``."""
        names = [name] if count == 1 else [f"{name}{n}" for n in range(count)]
        edits = [{"action": "upsert", "name": n, "type": "A", "ttl": 300, "values": [value]} for n in names]
        created = self.call(
            "POST",
            self.author,
            "/changes",
            {"zone": self.zone, "title": name, "edits": edits, "submit": True},
        )
        assert created.status_code == 201, created.text
        revision = created.json()["current_revision"]
        approval = {
            "plan_hash": revision["plan_hash"],
            "acknowledge": [r["id"] for r in revision["risk_reasons"]],
        }
        approved = self.call("POST", self.approver, f"/changes/{created.json()['id']}/approve", approval)
        assert approved.status_code == 200, approved.text
        return int(created.json()["id"])

    def apply(self, change_id: int) -> int:
        started = self.call("POST", self.author, f"/changes/{change_id}/apply")
        assert started.status_code == 202, started.text
        return int(started.json()["deployment"])

    def sync(self) -> dict[str, Any]:
        synced = self.call("POST", self.approver, f"/zones/{self.zone}/sync")
        assert synced.status_code == 200, synced.text
        found: dict[str, Any] = synced.json()
        return found


def seed_members(db: Session, slug: str = "acme") -> tuple[dict[str, str], dict[str, str]]:
    """An editor (the author) and an owner (the approver) of ``slug``, with API tokens."""
    owner, workspace = member(db, slug, f"owner@{slug}.test", Role.OWNER)
    editor, _ = member(db, slug, f"editor@{slug}.test", Role.EDITOR)
    approver = bearer(api_token(db, owner, workspace, Role.OWNER))
    author = bearer(api_token(db, editor, workspace, Role.EDITOR))
    db.commit()
    return author, approver


def connect_zone(
    team_call: Callable[..., httpx.Response], powerdns: PowerDNSServer, api_port: int, dns_port: int
) -> str:
    """A fresh PowerDNS zone, connected through the proxy and gate and imported; returns its name."""
    zone = powerdns.create_zone(powerdns.new_zone_name("fault")).rstrip(".")
    connection = {
        "kind": "powerdns",
        "name": "pdns",
        "config": {"url": f"http://127.0.0.1:{api_port}", "dns_address": f"127.0.0.1:{dns_port}"},
        "secrets": {"api_key": powerdns.api_key},
    }
    made = team_call("POST", "/connections", connection)
    assert made.status_code == 201, made.text
    imported = team_call("POST", "/zones", {"name": zone, "connection_id": made.json()["id"]})
    assert imported.status_code == 201, imported.text
    return zone


def served_a(powerdns: PowerDNSServer, zone: str, name: str) -> list[str]:
    """The A values PowerDNS's API holds for ``name`` in ``zone``."""
    response = httpx.get(
        f"{powerdns.api_url}/api/v1/servers/localhost/zones/{zone}.",
        headers={"X-API-Key": powerdns.api_key},
        timeout=10,
    )
    response.raise_for_status()
    for rrset in response.json()["rrsets"]:
        if rrset["name"] == f"{name}.{zone}." and rrset["type"] == "A":
            return sorted(record["content"] for record in rrset["records"])
    return []
