"""Verification against DNS servers that never answer is bounded: a 1,000-change deployment ends
``unverified`` by its deadline, while another workspace's apply, on the same worker, completes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dunops.config import Settings
from tests.faults.support import (
    FAST,
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

DEADLINE = 8.0
CHANGES = 1000


@pytest.fixture
def installation(tmp_path: Path, settings: Settings, database_url: str) -> Iterator[Installation]:
    running = Installation(
        tmp_path / "install",
        database_url,
        {
            **FAST,
            "data_dir": str(settings.data_dir),
            "verify_deadline_seconds": str(DEADLINE),
            "verify_query_timeout_seconds": "1",
            "worker_threads": "2",
        },
        separate=False,
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _team(
    installation: Installation, db: Session, slug: str, powerdns: PowerDNSServer, api: int, dns: int
) -> Team:
    author, approver = seed_members(db, slug)
    team = Team(installation, "", author, approver, base=f"/api/v1/workspaces/{slug}")
    team.zone = connect_zone(
        lambda method, path, body: team.call(method, approver, path, body), powerdns, api, dns
    )
    return team


def test_a_thousand_changes_against_a_silent_server_end_unverified_by_the_deadline(
    installation: Installation,
    db: Session,
    powerdns_server: PowerDNSServer,
    proxy: HoldingProxy,
    gate: UdpGate,
) -> None:
    silent = UdpGate(powerdns_server.dns_port)
    silent.open = False  # a DNS server that never answers
    try:
        big = _team(installation, db, "big", powerdns_server, proxy.port, silent.port)
        other = _team(installation, db, "other", powerdns_server, proxy.port, gate.port)
        large = big.approved_change("h", "192.0.2.50", count=CHANGES)
        small = other.approved_change("quick", "192.0.2.51")

        deployment = big.apply(large)
        wait_until(lambda: big.deployment(deployment)["state"] != "queued", 60, "the large apply starts")
        wait_until(lambda: big.deployment(deployment)["state"] == "applied", 60, "the large apply is written")
        applied_at = time.monotonic()
        quick = other.apply(small)
        quick_took = wait_until(lambda: other.deployment(quick)["state"] == "verified", 30, "the other apply")
        assert big.deployment(deployment)["state"] == "applied", "the other apply did not wait for it"

        took = wait_until(
            lambda: big.deployment(deployment)["state"] == "unverified", DEADLINE + 20, "unverified"
        )
        ended = big.deployment(deployment)
        print(
            f"\nFAULT silent DNS server, {CHANGES} changes: unverified "
            f"{time.monotonic() - applied_at:.1f} s after it was applied (deadline {DEADLINE:g} s); "
            f"another workspace's apply verified in {quick_took:.1f} s"
        )
        assert took <= DEADLINE + 20
        assert "not yet served" in ended["message"]
        assert served_a(powerdns_server, big.zone, "h999") == ["192.0.2.50"]
        assert served_a(powerdns_server, other.zone, "quick") == ["192.0.2.51"]
    finally:
        silent.close()
