"""The per-zone lease: one holder at a time, released by its holder, lapsed leases taken over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from dunops.errors import Locked
from dunops.storage.base import utcnow
from dunops.storage.models import Workspace, Zone, ZoneLease
from dunops.zones import leases


@pytest.fixture
def zone_id(db: Session) -> int:
    workspace = Workspace(name="acme", slug="acme")
    db.add(workspace)
    db.flush()
    zone = Zone(workspace_id=workspace.id, fqdn="example.test")
    db.add(zone)
    db.commit()
    return zone.id


def test_one_holder_at_a_time_with_a_clear_refusal(db: Session, zone_id: int) -> None:
    leases.acquire(db, zone_id, "deployment:1", leases.Purpose.APPLY, zone_name="example.test")
    db.commit()
    with pytest.raises(Locked, match=r"zone example.test is busy: an apply is running \(deployment:1"):
        leases.acquire(db, zone_id, "sync:a", leases.Purpose.SYNC, zone_name="example.test")
    assert leases.release(db, zone_id, "sync:a") is False  # not the holder: nothing released
    assert leases.release(db, zone_id, "deployment:1") is True
    leases.acquire(db, zone_id, "sync:a", leases.Purpose.SYNC)
    db.commit()


def test_a_lapsed_lease_is_taken_over(db: Session, zone_id: int) -> None:
    leases.acquire(db, zone_id, "deployment:1", leases.Purpose.APPLY)
    lease = db.get(ZoneLease, zone_id)
    assert lease is not None
    lease.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    leases.acquire(db, zone_id, "sync:b", leases.Purpose.SYNC)
    db.commit()
    current = leases.current(db, zone_id)
    assert current is not None
    assert current.holder == "sync:b"


def test_waiting_gives_up_after_its_time(db: Session, zone_id: int) -> None:
    leases.acquire(db, zone_id, "sync:c", leases.Purpose.SYNC)
    db.commit()
    with pytest.raises(Locked, match="a sync is running"):
        leases.wait_and_acquire(db, zone_id, "deployment:2", leases.Purpose.APPLY, wait_seconds=0.2)
