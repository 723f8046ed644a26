"""SIGKILL of the process running an apply at each point of it: right after the 202, while PowerDNS's
write is held before it arrives, after PowerDNS applied it but before DunOps heard, and during
verification. After a restart every deployment reaches a final state within the lease plus one
reconciliation round, that state is what PowerDNS serves, the zone's lease is free and a sync finds no
drift; a write that never arrived leaves the request approved, applied again with the same approval.
On PostgreSQL the job queue is Redis when ``DUNOPS_TEST_REDIS_URL`` is set."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.storage.models import ZoneLease
from tests.conftest import REDIS_URL
from tests.faults.support import (
    FAST,
    Hold,
    HoldingProxy,
    Installation,
    Team,
    UdpGate,
    connect_zone,
    seed_members,
    served_a,
    wait_until,
)
from tests.servers.powerdns import PowerDNSServer

SETTLED = {"verified", "unverified", "failed", "stale", "not_started", "partial", "unknown"}
RECOVERY_BOUND = float(FAST["apply_lease_seconds"]) + float(FAST["reconcile_seconds"]) + 20
"""Lease plus one round, plus the restart of the process and a verification pass."""


@pytest.fixture(params=["serve", "worker"])
def installation(
    request: pytest.FixtureRequest, tmp_path: Path, settings: Settings, database_url: str
) -> Iterator[Installation]:
    queue = {}
    if database_url.startswith("postgresql") and REDIS_URL:  # PostgreSQL + Redis, as in production
        redis.Redis.from_url(REDIS_URL).flushdb()  # no job of an earlier test on this database number
        queue = {"redis_url": REDIS_URL}
    running = Installation(
        tmp_path / "install",
        database_url,
        {**FAST, "data_dir": str(settings.data_dir), **queue},
        separate=request.param == "worker",
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def team(
    installation: Installation,
    db: Session,
    powerdns_server: PowerDNSServer,
    proxy: HoldingProxy,
    gate: UdpGate,
) -> Team:
    author, approver = seed_members(db)
    arranged = Team(installation, "", author, approver)
    arranged.zone = connect_zone(
        lambda method, path, body: arranged.call(method, approver, path, body),
        powerdns_server,
        proxy.port,
        gate.port,
    )
    return arranged


def _lease_free(db: Session) -> bool:
    try:
        return all(lease.holder is None for lease in db.scalars(select(ZoneLease)))
    finally:
        db.rollback()  # on SQLite the session holds the write lock until it ends


def _report(fault: str, before: dict[str, object], after: dict[str, object], seconds: float) -> None:
    print(
        f"\nFAULT {fault}: before {before['state']} ({before.get('message', '')!s:.80}); "
        f"after {after['state']} ({after.get('message', '')!s:.120}); recovered in {seconds:.1f} s"
    )


def _recover(team: Team, installation: Installation, deployment_id: int) -> tuple[dict[str, object], float]:
    """Restart what was killed; wait for the deployment to settle. Returns it and how long it took."""
    started = time.monotonic()
    installation.restart()
    wait_until(lambda: team.deployment(deployment_id)["state"] in SETTLED, RECOVERY_BOUND, "a final state")
    return team.deployment(deployment_id), time.monotonic() - started


def _agrees(team: Team, db: Session) -> None:
    """The zone's lease is free, and a sync finds nothing DunOps did not know of."""
    wait_until(lambda: _lease_free(db), 10, "the zone's lease is free")
    synced = team.sync()
    assert not synced["drift"]["changes"], synced["drift"]


def test_killed_right_after_the_202(
    team: Team, installation: Installation, powerdns_server: PowerDNSServer, db: Session
) -> None:
    change_id = team.approved_change("early", "192.0.2.11")
    deployment_id = team.apply(change_id)
    installation.kill_worker()
    if not installation.separate:
        installation.restart()  # the API answers again: the deployment it named exists
    before = team.deployment(deployment_id)
    if installation.separate:
        after, seconds = _recover(team, installation, deployment_id)
    else:
        started = time.monotonic()
        wait_until(lambda: team.deployment(deployment_id)["state"] in SETTLED, RECOVERY_BOUND, "final")
        after, seconds = team.deployment(deployment_id), time.monotonic() - started
    _report(f"kill {'worker' if installation.separate else 'serve'} after 202", before, after, seconds)
    assert after["state"] == "verified", after
    assert served_a(powerdns_server, team.zone, "early") == ["192.0.2.11"]
    assert team.change(change_id)["state"] == "verified"
    _agrees(team, db)


def test_killed_while_the_write_is_held_before_powerdns(
    team: Team, installation: Installation, powerdns_server: PowerDNSServer, proxy: HoldingProxy, db: Session
) -> None:
    change_id = team.approved_change("held", "192.0.2.12")
    proxy.hold = Hold.REQUEST
    deployment_id = team.apply(change_id)
    assert proxy.held.wait(30), "the write reached the proxy"
    wait_until(lambda: team.deployment(deployment_id)["state"] == "running", 10, "running")
    before = team.deployment(deployment_id)
    installation.kill_worker()
    proxy.hold = Hold.NOTHING
    after, seconds = _recover(team, installation, deployment_id)
    _report(
        f"kill {'worker' if installation.separate else 'serve'} with the write held", before, after, seconds
    )
    assert after["state"] == "failed", after
    assert "nothing was written" in str(after["message"])
    assert served_a(powerdns_server, team.zone, "held") == []
    assert team.change(change_id)["state"] == "approved"
    _agrees(team, db)

    again = team.apply(change_id)  # the same approval, the same plan
    assert again != deployment_id
    wait_until(lambda: team.deployment(again)["state"] in SETTLED, 30, "the second apply settles")
    assert team.deployment(again)["state"] == "verified"
    assert served_a(powerdns_server, team.zone, "held") == ["192.0.2.12"]


def test_killed_after_powerdns_answered(
    team: Team, installation: Installation, powerdns_server: PowerDNSServer, proxy: HoldingProxy, db: Session
) -> None:
    change_id = team.approved_change("answered", "192.0.2.13")
    proxy.hold = Hold.RESPONSE
    deployment_id = team.apply(change_id)
    assert proxy.held.wait(30), "PowerDNS answered the write"
    before = team.deployment(deployment_id)
    assert before["state"] == "running", before  # DunOps never heard the answer
    installation.kill_worker()
    proxy.hold = Hold.NOTHING
    assert served_a(powerdns_server, team.zone, "answered") == ["192.0.2.13"]
    after, seconds = _recover(team, installation, deployment_id)
    _report(
        f"kill {'worker' if installation.separate else 'serve'} after PowerDNS answered",
        before,
        after,
        seconds,
    )
    assert after["state"] == "verified", after
    assert after["zone_version_id"] is not None, after
    assert team.change(change_id)["state"] == "verified"
    _agrees(team, db)


def test_killed_during_verification(
    team: Team, installation: Installation, powerdns_server: PowerDNSServer, gate: UdpGate, db: Session
) -> None:
    change_id = team.approved_change("checked", "192.0.2.14")
    gate.open = False  # verification queries go unanswered
    deployment_id = team.apply(change_id)
    wait_until(
        lambda: int(team.deployment(deployment_id)["verification"].get("attempts", 0)) >= 1,
        60,
        "a first pass",
    )
    before = team.deployment(deployment_id)
    assert before["state"] == "applied", before
    installation.kill_worker()
    gate.open = True
    after, seconds = _recover(team, installation, deployment_id)
    _report(
        f"kill {'worker' if installation.separate else 'serve'} during verification", before, after, seconds
    )
    assert after["state"] == "verified", after
    assert team.change(change_id)["state"] == "verified"
    assert served_a(powerdns_server, team.zone, "checked") == ["192.0.2.14"]
    _agrees(team, db)
