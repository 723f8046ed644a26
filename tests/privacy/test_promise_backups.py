"""Promise: "encrypted backups age out within 90 days" — `dunops backup` makes AES-256-GCM encrypted
backups of the database and the data directory, verifies them, restores them with every deletion made
since re-applied, and prunes them once they are older than the retention period."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import registry
from dunops.privacy import backups
from dunops.storage.base import utcnow
from dunops.storage.models import DeletionTombstone, Workspace
from tests.cli.conftest import Invoke
from tests.privacy.conftest import (
    MARK,
    SECRET,
    Doomed,
    database_files,
    files_mentioning,
    rows_mentioning,
    workspace_ids,
)


def _created(cli: Invoke) -> str:
    made = cli("backup", "create")
    assert made.exit_code == 0, made.output
    return made.output.strip()


def test_promise_a_restored_backup_does_not_bring_back_a_deleted_workspace(
    doomed: Doomed, db: Session, engine: Engine, settings: Settings, cli: Invoke
) -> None:
    backup_id = _created(cli)
    folder = settings.backups_dir / backup_id
    assert sorted(path.name for path in folder.iterdir()) == ["database.enc", "files.enc", "manifest.json"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["id"] == backup_id
    assert manifest["database"] == engine.dialect.name
    assert manifest["key_id"].startswith("mk_")
    expires = backups.Manifest.from_json((folder / "manifest.json").read_text(), backup_id).expires
    assert timedelta(days=89) < expires - utcnow() <= timedelta(days=90)
    assert {part["file"] for part in manifest["parts"].values()} == {"database.enc", "files.enc"}
    # The parts are encrypted: neither the workspace's data nor its credential is readable in them.
    assert files_mentioning([folder], [MARK, SECRET]) == []
    assert backup_id in cli("backup", "list").output
    verified = cli("backup", "verify", backup_id)
    assert verified.exit_code == 0, verified.output
    assert f"{backup_id}\tok" in verified.output

    # The workspace is deleted (no grace period) and purged after the backup.
    deleted = doomed.client.delete(f"/api/v1/workspaces/{doomed.slug}", headers=doomed.owner)
    assert deleted.status_code == 202, deleted.text
    doomed.run_jobs()
    assert doomed.workspace_id not in workspace_ids(db)
    db.close()

    restored = cli("backup", "restore", backup_id, "--yes")
    assert restored.exit_code == 0, restored.output
    assert f"workspace {doomed.workspace_id}\tdeleted since the backup: purged again" in restored.output

    # Nothing of it came back: no row, no file; the rest of the backup did come back.
    assert doomed.workspace_id not in workspace_ids(db)
    assert rows_mentioning(engine, [MARK, SECRET]) == []
    live = [path for path in settings.data_dir.iterdir() if path != settings.backups_dir]
    assert files_mentioning([*live, *database_files(settings)], [MARK, SECRET]) == []
    assert doomed.client.get("/api/v1/workspaces/kept", headers=doomed.kept).status_code == 200
    tombstone = db.scalars(select(DeletionTombstone)).one()
    assert (tombstone.subject_id, tombstone.purged_at is not None) == (doomed.workspace_id, True)
    assert db.scalar(select(Workspace.slug).where(Workspace.slug == "kept")) == "kept"


def test_promise_a_tampered_backup_fails_verification_and_is_not_restored(
    doomed: Doomed, settings: Settings, cli: Invoke
) -> None:
    backup_id = _created(cli)
    part = settings.backups_dir / backup_id / "files.enc"
    content = bytearray(part.read_bytes())
    content[len(content) // 2] ^= 0x01
    part.write_bytes(bytes(content))
    checked = cli("backup", "verify", backup_id)
    assert checked.exit_code == 1
    assert "files.enc does not match its manifest" in checked.output
    refused = cli("backup", "restore", backup_id, "--yes")
    assert refused.exit_code == 1
    assert cli("backup", "verify", "not-an-id").exit_code == 1
    assert "not a backup id" in cli("backup", "verify", "not-an-id").output


def test_promise_backups_older_than_the_retention_period_are_pruned(
    settings: Settings, cli: Invoke, engine: Engine
) -> None:
    old_id = _created(cli)
    kept_id = _created(cli)
    manifest_path = settings.backups_dir / old_id / "manifest.json"
    manifest = backups.Manifest.from_json(manifest_path.read_text(), old_id)
    manifest.created -= timedelta(days=91)
    manifest.expires -= timedelta(days=91)
    manifest_path.write_text(manifest.to_json())
    stray = settings.backups_dir / "notes"
    stray.mkdir()

    pruned = cli("backup", "prune")
    assert pruned.exit_code == 0, pruned.output
    assert pruned.output == f"{old_id}\tdeleted\n"
    assert not (settings.backups_dir / old_id).exists()
    assert (settings.backups_dir / kept_id / "manifest.json").exists()
    assert stray.exists()
    # The daily job does the same, and the retention can be shortened but never lengthened past 90 days.
    spec = registry.registered()[backups.PRUNE_BACKUPS_JOB]
    assert spec.schedule is not None
    shorter = settings.model_copy(update={"backup_retention_days": 1})
    assert backups.prune(shorter, utcnow() + timedelta(days=1, minutes=1)) == [kept_id]
    with pytest.raises(ValidationError):
        Settings(backup_retention_days=91)


def test_promise_backups_go_where_configured(tmp_path: Path, settings: Settings) -> None:
    assert settings.backups_dir == settings.data_dir / "backups"
    elsewhere = tmp_path / "elsewhere"
    assert Settings(data_dir=tmp_path, backup_dir=elsewhere).backups_dir == elsewhere
