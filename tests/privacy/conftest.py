"""What the promise tests share: a team in a workspace full of planted markers, and ways to look for them
in every table of the database and every file of the data directory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, LargeBinary, select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.security.master_key import create_key_file
from dunops.storage.base import Base
from dunops.storage.database import make_read_factory
from dunops.storage.models import Role, Workspace
from tests.cli.conftest import cli  # noqa: F401
from tests.notify.conftest import SmtpServer, smtp_server  # noqa: F401
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member

MARK = "zqx7marker"
"""Planted in every kind of workspace data; a purge must leave it nowhere."""
SECRET = "pdns-secret-zqx7-credential"
"""A provider credential of the workspace; it must never be readable after deletion, nor appear in a file."""


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp_server: SmtpServer) -> Settings:  # noqa: F811
    """No grace period (the purge runs as soon as the deletion commits) and mail to a real SMTP server."""
    data_dir = tmp_path / "data"
    configured = Settings(
        data_dir=data_dir,
        database_url=database_url,
        base_url="http://testserver",
        zonefile_roots=[tmp_path / "shared"],
        deletion_grace_days=0,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
    )
    configured.prepare_data_dir()
    create_key_file(configured.master_key_file)
    return configured


@dataclass
class Doomed:
    """A workspace whose every kind of data carries :data:`MARK`, and a second one that must survive."""

    client: TestClient
    settings: Settings
    slug: str
    workspace_id: int
    owner: dict[str, str]
    editor: dict[str, str]
    kept: dict[str, str]
    change_id: int

    def run_jobs(self) -> int:
        return queue_for(self.settings).run_pending(wait=5)


def fill_workspace(client: TestClient, db: Session, settings: Settings) -> Doomed:
    slug = f"doomed-{MARK}"
    owner, workspace = member(db, slug, "owner@example.com", Role.OWNER)
    workspace.name = f"Doomed {MARK}"
    editor, _ = member(db, slug, "editor@example.com", Role.EDITOR)
    _, kept = member(db, "kept", "owner@example.com", Role.OWNER)
    headers = bearer(api_token(db, owner, workspace))
    editor_headers = bearer(api_token(db, editor, workspace, Role.EDITOR))
    kept_headers = bearer(api_token(db, owner, kept))
    db.commit()
    base = f"/api/v1/workspaces/{slug}"
    zone = f"{MARK}.test"
    folder = settings.zones_dir / f"workspace-{workspace.id}" / "files"
    folder.mkdir(parents=True)
    (folder / f"{zone}.zone").write_text(
        ZONE_TEXT.replace("example.test", zone) + f'note 300 IN TXT "{MARK} record"\n'
    )
    files = client.post(
        f"{base}/connections",
        json={"kind": "zonefile", "name": f"files-{MARK}", "config": {"directory": "files"}},
        headers=headers,
    )
    assert files.status_code == 201, files.text
    pdns = client.post(
        f"{base}/connections",
        json={
            "kind": "powerdns",
            "name": "pdns",
            "config": {"url": "http://127.0.0.1:9"},
            "secrets": {"api_key": SECRET},
        },
        headers=headers,
    )
    assert pdns.status_code == 201, pdns.text
    imported = client.post(
        f"{base}/zones", json={"name": zone, "connection_id": files.json()["id"]}, headers=headers
    )
    assert imported.status_code == 201, imported.text
    edit = {"action": "upsert", "name": "web", "type": "TXT", "ttl": 300, "values": [f'"{MARK} change"']}
    change = client.post(
        f"{base}/changes",
        json={"zone": zone, "title": f"Change {MARK}", "edits": [edit], "submit": True},
        headers=editor_headers,
    )
    assert change.status_code == 201, change.text
    comment = client.post(
        f"{base}/changes/{change.json()['id']}/comments", json={"body": f"Looks fine {MARK}"}, headers=headers
    )
    assert comment.status_code == 201, comment.text
    invited = client.post(
        f"{base}/invitations", json={"email": f"{MARK}@example.org", "role": "viewer"}, headers=headers
    )
    assert invited.status_code == 201, invited.text
    doomed = Doomed(
        client, settings, slug, workspace.id, headers, editor_headers, kept_headers, change.json()["id"]
    )
    doomed.run_jobs()  # the workflow's mails
    return doomed


def rows_mentioning(engine: Engine, needles: list[str]) -> list[str]:
    """Every (table, column) of the database whose value holds one of ``needles``: text, JSON or bytes."""
    found = []
    with make_read_factory(engine)() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    text = _as_text(value, isinstance(table.c[column].type, LargeBinary))
                    found += [f"{table.name}.{column}: {needle}" for needle in needles if needle in text]
    return found


def _as_text(value: Any, binary: bool) -> str:
    if value is None:
        return ""
    if binary or isinstance(value, bytes):
        return bytes(value).decode("latin-1")
    return str(value)


def files_mentioning(roots: list[Path], needles: list[str]) -> list[str]:
    """Every file under ``roots`` (names and bytes) that holds one of ``needles``."""
    found = []
    for root in roots:
        for path in [root] if root.is_file() else sorted(root.rglob("*")):
            if not path.is_file():
                continue
            content = path.read_bytes()
            for needle in needles:
                if needle in str(path.relative_to(root.parent)) or needle.encode() in content:
                    found.append(f"{path}: {needle}")
    return found


def database_files(settings: Settings) -> list[Path]:
    """The embedded database's files (with its write-ahead log), when the database is SQLite."""
    url = settings.sqlalchemy_url
    if not url.startswith("sqlite:///"):
        return []
    main = Path(url.removeprefix("sqlite:///"))
    return [path for path in (main, Path(f"{main}-wal")) if path.exists()]


@pytest.fixture
def doomed(client: TestClient, db: Session, settings: Settings) -> Iterator[Doomed]:
    return fill_workspace(client, db, settings)


def workspace_ids(db: Session) -> list[int]:
    found = list(db.scalars(select(Workspace.id)))
    db.rollback()
    return found
