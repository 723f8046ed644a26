"""The scheduled sync: only zones whose schedule is on and whose time has come are synced, each on its
own, and a failing provider does not stop the others."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs.registry import registered
from dunops.storage.base import utcnow
from dunops.storage.models import Workspace, WorkspaceStatus, Zone
from dunops.sync.schedule import JOB_NAME, run_due_syncs
from dunops.sync.sync import due_zone_ids
from dunops.zones import connections, zones
from tests.zones.helpers import ZONE_TEXT, directories_for, grant_for, member, vault_for, zone_directory


def _zone(db: Session, settings: Settings, slug: str, directory: Path, every: int | None) -> Zone:
    user, _ = member(db, slug, f"owner@{slug}.test")
    grant = grant_for(db, user, slug)
    vault = vault_for(settings)
    connection = connections.create(
        db,
        grant,
        vault,
        kind="zonefile",
        name="files",
        config={"directory": str(directory)},
        secrets={},
        directories=directories_for(settings, grant),
    )
    db.commit()  # the import reads the provider outside any transaction
    view = zones.import_from_connection(db, grant, vault, name="example.test", connection_id=connection.id)
    if every is not None:
        zones.set_schedule(db, grant, "example.test", every)
    return view.zone


def test_the_periodic_job_is_registered() -> None:
    spec = registered()[JOB_NAME]
    assert spec.schedule is not None


def test_due_zones_are_synced_and_drift_is_stored(db: Session, settings: Settings, tmp_path: Path) -> None:
    on_dir, off_dir = zone_directory(tmp_path / "on"), zone_directory(tmp_path / "off")
    scheduled = _zone(db, settings, "acme", on_dir, 5)
    _zone(db, settings, "beta", off_dir, None)
    db.commit()
    scheduled_id = scheduled.id
    assert due_zone_ids(db) == [scheduled_id]
    db.rollback()  # end the read transaction: SQLite lets one writer in at a time

    (on_dir / "example.test.zone").write_text(ZONE_TEXT + "new 300 IN A 192.0.2.50\n")
    assert run_due_syncs(settings) == {scheduled_id: "drift"}
    assert run_due_syncs(settings) == {}  # synced a moment ago: not due yet
    later = utcnow() + timedelta(minutes=6)
    assert run_due_syncs(settings, later) == {scheduled_id: "unchanged"}
    db.expire_all()
    synced = db.get(Zone, scheduled_id)
    assert synced is not None
    assert synced.last_synced_at is not None


def test_a_failing_provider_does_not_stop_the_others(db: Session, settings: Settings, tmp_path: Path) -> None:
    broken_dir = zone_directory(tmp_path / "broken")
    _zone(db, settings, "acme", broken_dir, 1)
    _zone(db, settings, "beta", zone_directory(tmp_path / "fine"), 1)
    gone = _zone(db, settings, "gone", zone_directory(tmp_path / "gone"), 1)
    db.scalars(
        select(Workspace).where(Workspace.id == gone.workspace_id)
    ).one().status = WorkspaceStatus.DELETING
    db.commit()
    (broken_dir / "example.test.zone").unlink()
    outcomes = run_due_syncs(settings)
    assert len(outcomes) == 2  # the deleting workspace's zone is skipped
    assert sorted(outcomes.values())[0].startswith("failed: ")
    assert "unchanged" in outcomes.values()
