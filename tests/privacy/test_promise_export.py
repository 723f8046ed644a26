"""Promise: "You can ask to ... export ... your data" — a workspace owner gets a zip of everything the
workspace holds and a person a zip of everything held about them, built by a job, mailed when ready,
with no secret and nothing of another workspace in it."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import dns.zone
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.accounts import sessions
from dunops.config import Settings
from dunops.storage.models import User
from tests.cli.conftest import Invoke
from tests.notify.conftest import SmtpServer
from tests.privacy.conftest import MARK, SECRET, Doomed
from tests.zones.helpers import ZONE_TEXT

OTHER = "zqx7othermark"


def _other_workspace(doomed: Doomed) -> None:
    """The owner's second workspace, with data of its own that must not leak into the first's export."""
    base = "/api/v1/workspaces/kept"
    zone = f"{OTHER}.test"
    made = doomed.client.post(
        f"{base}/zones",
        json={"name": zone, "format": "bind", "content": ZONE_TEXT.replace("example.test", zone)},
        headers=doomed.kept,
    )
    assert made.status_code == 201, made.text


def _zip(response_content: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(response_content))


def test_promise_a_workspace_export_holds_everything_and_no_secret(
    doomed: Doomed, smtp_server: SmtpServer, settings: Settings
) -> None:
    _other_workspace(doomed)
    client, base = doomed.client, f"/api/v1/workspaces/{doomed.slug}"
    assert client.post(f"{base}/exports", headers=doomed.editor).status_code == 403
    queued = client.post(f"{base}/exports", headers=doomed.owner)
    assert queued.status_code == 202, queued.text
    export_id = queued.json()["id"]
    assert client.get(f"{base}/exports/{export_id}", headers=doomed.owner).json()["state"] == "queued"

    doomed.run_jobs()
    status = client.get(f"{base}/exports/{export_id}", headers=doomed.owner).json()
    assert status["state"] == "ready"
    assert status["download_url"] == f"http://testserver{base}/exports/{export_id}/download"
    mailed = [m.data.decode("utf-8", "replace") for m in smtp_server.handler.received]
    assert any(status["download_url"] in text and "export is ready" in text for text in mailed)
    # The file is on disk, private to the service.
    on_disk = list(settings.exports_dir.glob("export-*.zip"))
    assert len(on_disk) == 1
    assert on_disk[0].stat().st_mode & 0o077 == 0

    download = client.get(status["download_url"], headers=doomed.owner)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert SECRET.encode() not in download.content
    assert OTHER.encode() not in download.content
    archive = _zip(download.content)
    names = set(archive.namelist())
    for expected in (
        "README.txt",
        "members.json",
        "tables/zones.json",
        "tables/zone_versions.json",
        "tables/zone_rrsets.json",
        "tables/provider_connections.json",
        "tables/change_requests.json",
        "tables/change_revisions.json",
        "tables/change_comments.json",
        "tables/approvals.json",
        "tables/deployments.json",
        "tables/audit_events.json",
        "tables/approval_policies.json",
        f"zones/{MARK}.test.zone",
        f"zones/{MARK}.test.yaml",
    ):
        assert expected in names, expected
    assert not any("workspace_keys" in name for name in names)
    everything = b"".join(archive.read(name) for name in names)
    assert b"secret_ciphertext" not in everything
    assert b"token_hash" not in everything
    connections = json.loads(archive.read("tables/provider_connections.json"))
    assert sorted(c["name"] for c in connections) == [f"files-{MARK}", "pdns"]
    members = json.loads(archive.read("members.json"))
    assert {(m["email"], m["role"]) for m in members} == {
        ("owner@example.com", "owner"),
        ("editor@example.com", "editor"),
    }
    assert set(members[0]) == {"name", "email", "role"}
    zone = dns.zone.from_text(archive.read(f"zones/{MARK}.test.zone").decode(), origin=f"{MARK}.test.")
    assert f"{MARK} record" in zone.find_rdataset("note", "TXT").to_text()
    octodns = yaml.safe_load(archive.read(f"zones/{MARK}.test.yaml"))
    assert "note" in octodns
    assert json.loads(archive.read("tables/change_comments.json"))[0]["body"] == f"Looks fine {MARK}"
    assert json.loads(archive.read("tables/audit_events.json"))
    assert "tables/<table>.json" in archive.read("README.txt").decode()


def test_promise_a_personal_export_holds_your_data_and_nobody_elses(
    doomed: Doomed, db: Session, settings: Settings
) -> None:
    editor = db.scalars(select(User).where(User.email == "editor@example.com")).one()
    issued = sessions.start(db, settings, editor, user_agent="Firefox")
    db.commit()
    browser = TestClient(doomed.client.app)
    browser.cookies.set("dunops_session", issued.cookie_value)
    csrf = {"X-CSRF-Token": issued.record.csrf_token}
    queued = browser.post("/api/v1/me/exports", headers=csrf)
    assert queued.status_code == 202, queued.text
    doomed.run_jobs()
    status = browser.get(f"/api/v1/me/exports/{queued.json()['id']}").json()
    assert status["state"] == "ready"
    # Another person cannot read it.
    assert (
        doomed.client.get(f"/api/v1/me/exports/{queued.json()['id']}", headers=doomed.owner).status_code
        == 404
    )
    archive = _zip(browser.get(status["download_url"]).content)
    users = json.loads(archive.read("tables/users.json"))
    assert [u["email"] for u in users] == ["editor@example.com"]
    web_sessions = json.loads(archive.read("tables/web_sessions.json"))
    assert web_sessions[0]["user_agent"] == "Firefox"
    assert "id_hash" not in web_sessions[0]
    assert "csrf_token" not in web_sessions[0]
    authored = json.loads(archive.read("authored/change_requests.json"))
    assert [c["title"] for c in authored] == [f"Change {MARK}"]
    assert (
        json.loads(archive.read("authored/change_comments.json")) == []
    )  # the owner's comment is not theirs
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"owner@example.com" not in everything
    assert issued.cookie_value.encode() not in everything


def test_promise_exports_from_the_cli(doomed: Doomed, cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "workspace.zip"
    made = cli("export", "workspace", doomed.slug, "--out", out)
    assert made.exit_code == 0, made.output
    assert f"zones/{MARK}.test.zone" in zipfile.ZipFile(out).namelist()
    person = tmp_path / "person.zip"
    made = cli("export", "user", "editor@example.com", "--out", person)
    assert made.exit_code == 0, made.output
    assert "tables/users.json" in zipfile.ZipFile(person).namelist()
