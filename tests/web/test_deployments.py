"""Deployments: history, rollback as a reviewed change request, version restore, the zone lease, audit."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops import audit
from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.storage.models import Workspace, Zone
from dunops.zones import leases
from tests.workflow.support import ZONE, Team, empty_dns_server, make_team, team  # noqa: F401

WEB = {"action": "upsert", "name": "mail", "type": "A", "ttl": 300, "values": ["192.0.2.99"]}


def _applied(team: Team, edits: list[dict[str, object]]) -> tuple[dict[str, object], int]:  # noqa: F811
    created = team.create(edits)
    assert team.approve(created).json()["state"] == "approved"
    deployment = team.post(team.author, f"/changes/{created['id']}/apply").json()["deployment"]
    team.run_jobs()
    return created, int(deployment)


def test_rollback_restores_the_previous_content_through_review(team: Team, db: Session) -> None:  # noqa: F811
    _created, deployment = _applied(team, [WEB, {"action": "delete", "name": "www", "type": "CNAME"}])
    assert "192.0.2.99" in team.zone_file()
    assert "CNAME" not in team.zone_file()
    listed = team.get(team.author, "/deployments").json()["items"]
    assert [d["id"] for d in listed] == [deployment]

    rollback = team.post(team.reviewer, f"/deployments/{deployment}/rollback")
    assert rollback.status_code == 201, rollback.text
    change = rollback.json()
    assert change["state"] == "pending_review"
    assert change["rollback_of"] == deployment
    kinds = sorted((c["kind"], c["name"]) for c in change["current_revision"]["plan"]["changes"])
    assert kinds == [("create", "www.example.test."), ("update", "mail.example.test.")]
    # the one who asked for the rollback is its author: another member reviews it
    assert team.approve(change, team.reviewer).status_code == 403
    assert team.approve(change, team.author).json()["state"] == "approved"
    second = team.post(team.reviewer, f"/changes/{change['id']}/apply").json()["deployment"]
    team.run_jobs()
    assert team.get(team.reviewer, f"/deployments/{second}").json()["rollback_of"] == deployment
    assert "mail 300 IN A 192.0.2.25" in team.zone_file() or "192.0.2.25" in team.zone_file()
    assert "CNAME" in team.zone_file()

    workspace = db.query(Workspace).filter_by(slug="acme").one()
    count, breaks = audit.verify(db, workspace.id)
    assert breaks == []
    assert count > 10
    actions = [event.action for event in audit.listing(db, workspace.id, limit=200)]
    for action in ("change.create", "change.submit", "change.approve", "change.apply", "change.applied"):
        assert action in actions
    assert "change.verified" in actions


def test_restore_a_zone_version_as_a_change_request(team: Team) -> None:  # noqa: F811
    _applied(team, [WEB])
    restore = team.post(team.author, f"/zones/{ZONE}/versions/1/restore")
    assert restore.status_code == 201, restore.text
    changes = restore.json()["current_revision"]["plan"]["changes"]
    assert [(c["kind"], c["name"], c["after"]["values"]) for c in changes] == [
        ("update", "mail.example.test.", ["192.0.2.25"])
    ]
    assert team.post(team.author, f"/zones/{ZONE}/versions/99/restore").status_code == 404


def test_sync_is_refused_while_an_apply_holds_the_zone(team: Team, db: Session) -> None:  # noqa: F811
    zone = db.query(Zone).filter_by(fqdn=ZONE).one()
    leases.acquire(db, zone.id, "deployment:77", leases.Purpose.APPLY)
    db.commit()
    refused = team.post(team.owner, f"/zones/{ZONE}/sync")
    assert refused.status_code == 409
    assert "an apply is running (deployment:77" in refused.json()["detail"]
    leases.release(db, zone.id, "deployment:77")
    db.commit()
    assert team.post(team.owner, f"/zones/{ZONE}/sync").status_code == 200


def test_an_apply_that_cannot_take_the_zone_writes_nothing_and_can_be_retried(
    team: Team,  # noqa: F811
    db: Session,
) -> None:
    created = team.create([WEB])
    team.approve(created)
    zone = db.query(Zone).filter_by(fqdn=ZONE).one()
    leases.acquire(db, zone.id, "sync:test", leases.Purpose.SYNC)
    db.commit()
    queue = queue_for(team.settings)
    deployment = team.post(team.author, f"/changes/{created['id']}/apply").json()["deployment"]
    queue.huey.flush()  # the job is run below with a short wait instead
    queue.enqueue("workflow.apply", deployment_id=deployment, lease_wait=0.2)
    team.run_jobs()
    got = team.get(team.author, f"/deployments/{deployment}").json()
    assert got["state"] == "not_started"
    assert "a sync is running" in got["message"]
    assert team.show(created["id"])["state"] == "approved"
    assert "192.0.2.99" not in team.zone_file()

    leases.release(db, zone.id, "sync:test")
    db.commit()
    retried = team.post(team.author, f"/changes/{created['id']}/apply").json()["deployment"]
    assert retried != deployment
    team.run_jobs()
    assert team.show(created["id"])["state"] == "verified"
    assert "192.0.2.99" in team.zone_file()


def test_a_change_not_yet_served_leaves_the_deployment_unverified_naming_it(
    client: TestClient,
    db: Session,
    settings: Settings,
    tmp_path: Path,
    empty_dns_server: int,  # noqa: F811
) -> None:
    # the zone files are served by a server that does not answer with the change yet: verification
    # retries a bounded number of times, then the deployment names what is not served
    lagging = make_team(
        client, db, settings, tmp_path, config={"server_address": f"127.0.0.1:{empty_dns_server}"}
    )
    created = lagging.create([WEB])
    lagging.approve(created)
    deployment = lagging.post(lagging.author, f"/changes/{created['id']}/apply").json()["deployment"]
    queue = queue_for(lagging.settings)
    queue.huey.flush()
    queue.enqueue("workflow.apply", deployment_id=deployment, verify_attempts=2, verify_interval=0.05)
    lagging.run_jobs()
    got = lagging.get(lagging.author, f"/deployments/{deployment}").json()
    assert got["state"] == "unverified"
    assert got["verification"]["method"] == "dns"
    assert got["verification"]["attempts"] == 2
    assert got["verification"]["changes"][0]["status"] == "not_yet_served"
    assert "mail.example.test. A" in got["message"]
    assert lagging.show(created["id"])["state"] == "applied"
    assert "192.0.2.99" in lagging.zone_file()


def test_ids_beyond_the_database_range_are_refused_not_crashed(team: Team) -> None:  # noqa: F811
    for path in ("/deployments/2147483648", "/deployments/0"):
        response = team.get(team.author, path)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["field"] == "path.deployment_id"
    rollback = team.post(team.author, "/deployments/99999999999999999999/rollback")
    assert rollback.status_code == 422
    restore = team.post(team.author, f"/zones/{ZONE}/versions/2147483648/restore")
    assert restore.status_code == 422
    assert restore.json()["errors"][0]["field"] == "path.number"
    assert team.get(team.author, "/deployments/2147483647").status_code == 404
