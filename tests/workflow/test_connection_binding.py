"""A plan is bound to the zone's connection as it was when the plan was made: when the connection is
re-pointed or detached after approval, the apply writes nothing anywhere and says why."""

from __future__ import annotations

from pathlib import Path

from tests.workflow.support import BASE, ZONE, Team, team  # noqa: F401
from tests.zones.helpers import zone_directory

WEB = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}


def _connection_id(team: Team) -> int:  # noqa: F811
    listed = team.get(team.owner, "/connections")
    assert listed.status_code == 200, listed.text
    (connection,) = listed.json()
    return int(connection["id"])


def _apply_and_expect_stale(team: Team, change_id: int) -> None:  # noqa: F811
    started = team.post(team.owner, f"/changes/{change_id}/apply")
    assert started.status_code == 202, started.text
    team.run_jobs()
    shown = team.show(change_id)
    assert shown["state"] == "stale"
    (deployment,) = shown["deployments"]
    assert deployment["state"] == "stale"
    assert "connection changed since the plan was made" in deployment["message"]


def test_a_connection_re_pointed_after_approval_gets_no_write(team: Team, tmp_path: Path) -> None:  # noqa: F811
    created = team.create([WEB])
    assert team.approve(created).json()["state"] == "approved"
    elsewhere = zone_directory(tmp_path / "elsewhere")
    before = (elsewhere / f"{ZONE}.zone").read_text()
    moved = team.client.patch(
        f"{BASE}/connections/{_connection_id(team)}",
        json={"config": {"directory": str(elsewhere)}},
        headers=team.owner,
    )
    assert moved.status_code == 200, moved.text

    _apply_and_expect_stale(team, created["id"])
    assert (elsewhere / f"{ZONE}.zone").read_text() == before
    assert "192.0.2.80" not in team.zone_file()


def test_a_connection_detached_after_approval_is_not_applied_or_verified(team: Team) -> None:  # noqa: F811
    created = team.create([WEB])
    assert team.approve(created).json()["state"] == "approved"
    removed = team.client.delete(
        f"{BASE}/connections/{_connection_id(team)}", params={"detach": "true"}, headers=team.owner
    )
    assert removed.status_code == 204, removed.text

    _apply_and_expect_stale(team, created["id"])
    assert "192.0.2.80" not in team.zone_file()
    records = team.get(team.owner, f"/zones/{ZONE}/records")
    assert records.status_code == 200, records.text
    assert "192.0.2.80" not in records.text


def test_an_unchanged_connection_still_applies(team: Team) -> None:  # noqa: F811
    created = team.create([WEB])
    assert team.approve(created).json()["state"] == "approved"
    assert team.post(team.owner, f"/changes/{created['id']}/apply").status_code == 202
    team.run_jobs()
    assert team.show(created["id"])["state"] == "verified"
    assert "192.0.2.80" in team.zone_file()
