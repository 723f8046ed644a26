"""A team on one workspace with a zone-file connection: the arrangement every workflow test starts from."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.notify import recent_mails
from dunops.storage.models import Role
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member, zone_directory

SLUG = "acme"
BASE = f"/api/v1/workspaces/{SLUG}"
ZONE = "example.test"


@dataclass
class Team:
    """Members of ``acme`` (an owner, two editors, a viewer) and the zone ``example.test`` on files."""

    client: TestClient
    settings: Settings
    directory: Path
    owner: dict[str, str]
    author: dict[str, str]
    reviewer: dict[str, str]
    viewer: dict[str, str]

    def post(self, who: dict[str, str], path: str, body: Any = None) -> httpx.Response:
        return self.client.post(BASE + path, json=body, headers=who)

    def get(self, who: dict[str, str], path: str) -> httpx.Response:
        return self.client.get(BASE + path, headers=who)

    def create(
        self, edits: list[dict[str, Any]], *, submit: bool = True, title: str = "Change"
    ) -> dict[str, Any]:
        response = self.post(
            self.author, "/changes", {"zone": ZONE, "title": title, "edits": edits, "submit": submit}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def approve(self, change: dict[str, Any], who: dict[str, str] | None = None) -> httpx.Response:
        revision = change["current_revision"]
        return self.post(
            who or self.reviewer,
            f"/changes/{change['id']}/approve",
            {"plan_hash": revision["plan_hash"], "acknowledge": [r["id"] for r in revision["risk_reasons"]]},
        )

    def show(self, change_id: int) -> dict[str, Any]:
        response = self.get(self.author, f"/changes/{change_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def run_jobs(self) -> int:
        return queue_for(self.settings).run_pending(wait=10)

    def zone_file(self) -> str:
        return (self.directory / f"{ZONE}.zone").read_text()

    def mails_to(self, address: str) -> list[str]:
        self.run_jobs()
        return [mail.subject for mail in recent_mails(self.settings, 200) if mail.to == address]


def make_team(
    client: TestClient,
    db: Session,
    settings: Settings,
    tmp_path: Path,
    text: str = ZONE_TEXT,
    config: dict[str, Any] | None = None,
) -> Team:
    headers = {}
    for email, role in [
        ("owner@example.com", Role.OWNER),
        ("author@example.com", Role.EDITOR),
        ("reviewer@example.com", Role.EDITOR),
        ("viewer@example.com", Role.VIEWER),
    ]:
        user, workspace = member(db, SLUG, email, role)
        headers[email.split("@")[0]] = bearer(api_token(db, user, workspace, role))
    db.commit()
    directory = zone_directory(tmp_path, text)
    connected = client.post(
        f"{BASE}/connections",
        json={"kind": "zonefile", "name": "files", "config": {"directory": str(directory), **(config or {})}},
        headers=headers["owner"],
    )
    assert connected.status_code == 201, connected.text
    imported = client.post(
        f"{BASE}/zones",
        json={"name": ZONE, "connection_id": connected.json()["id"]},
        headers=headers["owner"],
    )
    assert imported.status_code == 201, imported.text
    return Team(client, settings, directory, **headers)


@pytest.fixture
def team(client: TestClient, db: Session, settings: Settings, tmp_path: Path) -> Team:
    return make_team(client, db, settings, tmp_path)


@pytest.fixture
def empty_dns_server() -> Iterator[int]:
    """A DNS server on loopback that answers every query with an empty answer (a lagging secondary)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)
    port: int = sock.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            response = dns.message.make_response(dns.message.from_wire(wire))
            response.flags |= dns.flags.AA
            sock.sendto(response.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join(timeout=2)
    sock.close()
