"""Hostile zone names and planted links: a zone name never becomes a path outside its connection's
directory, and a link leading out of the directory is neither read nor written through."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.storage.models import Role
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member

ALPHA = "/api/v1/workspaces/alpha"
BETA = "/api/v1/workspaces/beta"
VICTIM_TEXT = ZONE_TEXT.replace("example.test", "victim.test")

HOSTILE_NAMES = [
    "/etc/x",
    "/etc/passwd",
    "../other",
    "../../workspace-2/files/victim.test",
    "a/b.example",
    "a\\b.example",
    "a\x00b",
    "x" * 64 + ".example",
    ".".join(["x" * 63] * 4),
    "*.example.test",
    "-rf.example.test",
    "example.test\n",
]


@dataclass
class Tenants:
    """Workspace ``alpha`` (mallory owns it, ally edits) and ``beta`` (victim owns it), each with a
    zone-file connection kept in its own folder; beta's holds ``victim.test.zone``."""

    client: TestClient
    settings: Settings
    mallory: dict[str, str]
    ally: dict[str, str]
    victim: dict[str, str]
    connection: int
    alpha_dir: Path
    beta_dir: Path

    def post(self, path: str, body: Any = None, who: dict[str, str] | None = None) -> httpx.Response:
        return self.client.post(ALPHA + path, json=body, headers=who or self.mallory)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(ALPHA + path, headers=self.mallory)


def _connect(client: TestClient, base: str, headers: dict[str, str]) -> dict[str, Any]:
    body = {"kind": "zonefile", "name": "files", "config": {"directory": "files"}}
    response = client.post(f"{base}/connections", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
def tenants(client: TestClient, db: Session, settings: Settings) -> Tenants:
    mallory, alpha = member(db, "alpha", "mallory@example.com")
    ally, _ = member(db, "alpha", "ally@example.com", Role.EDITOR)
    victim, beta = member(db, "beta", "victim@example.com")
    headers = {
        "mallory": bearer(api_token(db, mallory, alpha)),
        "ally": bearer(api_token(db, ally, alpha, Role.EDITOR)),
        "victim": bearer(api_token(db, victim, beta)),
    }
    db.commit()
    alpha_connection = _connect(client, ALPHA, headers["mallory"])
    beta_dir = Path(_connect(client, BETA, headers["victim"])["config"]["directory"])
    (beta_dir / "victim.test.zone").write_text(VICTIM_TEXT)
    return Tenants(
        client,
        settings,
        connection=alpha_connection["id"],
        alpha_dir=Path(alpha_connection["config"]["directory"]),
        beta_dir=beta_dir,
        **headers,
    )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the data dir that no connection names."""
    directory = tmp_path / "outside"
    directory.mkdir()
    return directory


def _files(*roots: Path) -> dict[str, str]:
    """Every file and link under ``roots``: a file by its content, a link by where it points."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_symlink():
                found[str(path)] = "-> " + os.readlink(path)
            elif path.is_file():
                found[str(path)] = path.read_text()
    return found


def _every_entry(tenants: Tenants, name: str) -> list[httpx.Response]:
    """Try ``name`` at every place a zone name enters over the API."""
    content = json.dumps({"origin": name, "rrsets": []})
    return [
        tenants.post("/zones", {"name": name, "connection_id": tenants.connection}),
        tenants.post("/zones", {"name": name, "format": "json", "content": content}),
        tenants.post("/zones", {"name": name, "format": "bind", "content": ZONE_TEXT}),
        tenants.post("/imports", {"name": name, "connection_id": tenants.connection}),
        tenants.client.post(
            f"{ALPHA}/imports/upload",
            params={"name": name, "format": "bind"},
            content=ZONE_TEXT.encode(),
            headers={**tenants.mallory, "Content-Type": "text/dns"},
        ),
    ]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_zone_name_is_refused_at_every_entry_naming_the_field(
    tenants: Tenants, outside: Path, name: str
) -> None:
    before = _files(tenants.settings.zones_dir, outside)
    for response in _every_entry(tenants, name):
        assert response.status_code == 422, (response.request.url, response.text)
        assert response.json()["errors"][0]["field"] == "name"
    queue_for(tenants.settings).run_pending()
    assert tenants.get("/zones").json() == []
    assert _files(tenants.settings.zones_dir, outside) == before
    assert list(tenants.settings.imports_dir.iterdir()) == []


def test_a_zone_named_by_another_workspaces_file_path_is_refused(tenants: Tenants) -> None:
    before = _files(tenants.settings.zones_dir)
    victim_path = str(tenants.beta_dir / "victim.test")
    # "/./" keeps each label of the path short: the path as a name an attacker would choose
    for name in (victim_path.replace("/", "/./"), victim_path):
        for response in _every_entry(tenants, name):
            assert response.status_code == 422, (response.request.url, response.text)
            assert "holds '/'" in response.json()["errors"][0]["message"]
    queue_for(tenants.settings).run_pending()
    assert tenants.get("/zones").json() == []
    # the victim's zone is only found by the victim's own connection, never through mallory's
    missing = tenants.post("/zones", {"name": "victim.test", "connection_id": tenants.connection})
    assert missing.status_code == 404
    assert _files(tenants.settings.zones_dir) == before
    assert (tenants.beta_dir / "victim.test.zone").read_text() == VICTIM_TEXT


def test_idn_and_trailing_dot_names_still_import(tenants: Tenants) -> None:
    (tenants.alpha_dir / "xn--bcher-kva.test.zone").write_text(
        ZONE_TEXT.replace("example.test", "xn--bcher-kva.test")
    )
    imported = tenants.post("/zones", {"name": "Bücher.Test.", "connection_id": tenants.connection})
    assert imported.status_code == 201, imported.text
    assert imported.json()["name"] == "xn--bcher-kva.test"
    listed = tenants.client.get(f"{ALPHA}/connections/{tenants.connection}/zones", headers=tenants.mallory)
    assert [zone["name"] for zone in listed.json()] == ["xn--bcher-kva.test."]


def test_a_link_leading_outside_the_directory_is_not_read(tenants: Tenants, outside: Path) -> None:
    secret = outside / "leak.test.zone"
    secret.write_text(ZONE_TEXT.replace("example.test", "leak.test"))
    (tenants.alpha_dir / "leak.test.zone").symlink_to(secret)
    (tenants.alpha_dir / "readable.test.zone").write_text(ZONE_TEXT.replace("example.test", "readable.test"))

    listed = tenants.client.get(f"{ALPHA}/connections/{tenants.connection}/zones", headers=tenants.mallory)
    assert [zone["name"] for zone in listed.json()] == ["readable.test."]
    refused = tenants.post("/zones", {"name": "leak.test", "connection_id": tenants.connection})
    assert refused.status_code == 502
    assert "leak.test.zone is a link leading outside the directory" in refused.json()["detail"]
    started = tenants.post("/imports", {"name": "leak.test", "connection_id": tenants.connection})
    queue_for(tenants.settings).run_pending()
    failed = tenants.get(f"/imports/{started.json()['id']}").json()
    assert failed["state"] == "failed"
    assert "link leading outside the directory" in failed["message"]
    assert tenants.get("/zones").json() == []


def _approved_change(tenants: Tenants) -> int:
    """One new record on example.test, proposed by mallory and approved by ally."""
    edits = [{"action": "upsert", "name": "www2", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}]
    body = {"zone": "example.test", "title": "www2", "edits": edits, "submit": True}
    created = tenants.post("/changes", body)
    assert created.status_code == 201, created.text
    change = created.json()
    approved = tenants.post(
        f"/changes/{change['id']}/approve",
        {"plan_hash": change["current_revision"]["plan_hash"], "acknowledge": []},
        who=tenants.ally,
    )
    assert approved.status_code == 200, approved.text
    change_id: int = change["id"]
    return change_id


def _apply(tenants: Tenants, change_id: int) -> dict[str, Any]:
    """The deployment of the change once its job ran."""
    applied = tenants.post(f"/changes/{change_id}/apply")
    assert applied.status_code == 202, applied.text
    queue_for(tenants.settings).run_pending()
    deployment: dict[str, Any] = tenants.get(f"/deployments/{applied.json()['deployment']}").json()
    return deployment


def _import_example(tenants: Tenants) -> Path:
    zone_file = tenants.alpha_dir / "example.test.zone"
    zone_file.write_text(ZONE_TEXT)
    imported = tenants.post("/zones", {"name": "example.test", "connection_id": tenants.connection})
    assert imported.status_code == 201, imported.text
    return zone_file


def test_a_zone_file_replaced_by_a_link_leading_outside_is_not_written(
    tenants: Tenants, outside: Path
) -> None:
    zone_file = _import_example(tenants)
    change_id = _approved_change(tenants)
    copy = outside / "example.test.zone"
    copy.write_text(ZONE_TEXT)
    zone_file.unlink()
    zone_file.symlink_to(copy)

    deployment = _apply(tenants, change_id)
    assert deployment["state"] == "failed"
    assert "example.test.zone is a link leading outside the directory" in deployment["message"]
    assert copy.read_text() == ZONE_TEXT
    assert zone_file.is_symlink()


def test_a_lock_file_planted_as_a_link_leading_outside_is_not_followed(
    tenants: Tenants, outside: Path
) -> None:
    zone_file = _import_example(tenants)
    change_id = _approved_change(tenants)
    (tenants.alpha_dir / ".example.test.lock").symlink_to(outside / "created-through-the-lock")

    deployment = _apply(tenants, change_id)
    assert deployment["state"] == "failed"
    assert ".example.test.lock is a link leading outside the directory" in deployment["message"]
    assert list(outside.iterdir()) == []
    assert zone_file.read_text() == ZONE_TEXT
