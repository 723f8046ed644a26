"""Apply job runs: a duplicate delivery of a deployment never releases the lease of the run in progress,
and a deployment whose job was lost is queued again when someone asks to apply it again."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from dunops.jobs import queue_for
from dunops.storage.base import utcnow
from dunops.storage.database import transaction
from dunops.storage.models import Deployment, DeploymentState, ZoneLease
from dunops.workflow import apply
from dunops.zones import leases
from tests.workflow.support import Team, team  # noqa: F401

WEB = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}


def _queued(team: Team) -> tuple[int, int]:  # noqa: F811
    created = team.create([WEB])
    assert team.approve(created).json()["state"] == "approved"
    started = team.post(team.owner, f"/changes/{created['id']}/apply")
    assert started.status_code == 202, started.text
    return int(created["id"]), int(started.json()["deployment"])


def test_a_duplicate_delivery_never_releases_the_lease_of_the_run_in_progress(
    team: Team,  # noqa: F811
    session_factory: sessionmaker[Session],
) -> None:
    _change_id, deployment_id = _queued(team)
    queue_for(team.settings).huey.flush()  # the first delivery is the run simulated below
    with transaction(session_factory) as session:
        deployment = session.get(Deployment, deployment_id)
        assert deployment is not None
        zone_id = deployment.zone_id
        leases.acquire(session, zone_id, "sync:busy", leases.Purpose.SYNC)  # the zone is busy at first

    # The duplicate delivery sees the deployment queued and waits for the zone's lease ...
    outcome: list[DeploymentState] = []
    duplicate = threading.Thread(
        target=lambda: outcome.append(
            apply.run_deployment(session_factory, team.settings, deployment_id, lease_wait=1.5)
        )
    )
    duplicate.start()
    time.sleep(0.5)
    # ... while the first delivery takes the lease and starts running (under the name every run of this
    # deployment used to share).
    first = f"deployment:{deployment_id}"
    with transaction(session_factory) as session:
        assert leases.release(session, zone_id, "sync:busy")
        leases.acquire(session, zone_id, first, leases.Purpose.APPLY)
        running = session.get(Deployment, deployment_id)
        assert running is not None
        running.state = DeploymentState.RUNNING
    duplicate.join(timeout=30)

    assert outcome == [DeploymentState.RUNNING]
    with transaction(session_factory) as session:
        lease = session.get(ZoneLease, zone_id)
        assert lease is not None
        assert lease.holder == first  # still held by the run in progress
    assert "192.0.2.80" not in team.zone_file()


def test_each_run_holds_the_lease_under_its_own_name_and_gives_it_back(
    team: Team,  # noqa: F811
    session_factory: sessionmaker[Session],
) -> None:
    _change_id, deployment_id = _queued(team)
    queue_for(team.settings).huey.flush()  # the delivery is the run below
    assert apply.run_deployment(session_factory, team.settings, deployment_id) is DeploymentState.APPLIED
    queue_for(team.settings).run_pending()  # its verification, a job of its own
    assert apply.run_deployment(session_factory, team.settings, deployment_id) is DeploymentState.VERIFIED
    with transaction(session_factory) as session:
        deployment = session.get(Deployment, deployment_id)
        assert deployment is not None
        lease = session.get(ZoneLease, deployment.zone_id)
        assert lease is not None
        assert lease.holder is None
    assert "192.0.2.80" in team.zone_file()


def test_a_lost_apply_job_is_queued_again_when_asked_again(
    team: Team,  # noqa: F811
    db: Session,
) -> None:
    change_id, deployment_id = _queued(team)
    queue = queue_for(team.settings)
    queue.huey.flush()  # the job was lost
    again = team.post(team.owner, f"/changes/{change_id}/apply")
    assert again.json()["deployment"] == deployment_id
    assert queue.pending() == 0  # queued moments ago: not yet taken for lost

    deployment = db.get(Deployment, deployment_id)
    assert deployment is not None
    deployment.created_at = utcnow() - timedelta(minutes=2)  # past REQUEUE_AFTER_SECONDS
    db.commit()
    retried = team.post(team.owner, f"/changes/{change_id}/apply")
    assert retried.status_code == 202, retried.text
    assert retried.json()["deployment"] == deployment_id
    assert queue.pending() == 1
    team.run_jobs()
    assert team.show(change_id)["state"] == "verified"
    assert "192.0.2.80" in team.zone_file()


def test_a_deployment_records_exactly_its_change_and_leaves_drift_elsewhere_to_sync(
    team: Team,  # noqa: F811
    db: Session,
) -> None:
    """The version a deployment stores is its own delta: a change made outside DunOps meanwhile, on
    another RRset, is neither absorbed nor lost; the next sync reports it as drift."""
    change_id, deployment_id = _queued(team)
    outside = team.zone_file() + "outside 300 IN A 192.0.2.66\n"
    (team.directory / "example.test.zone").write_text(outside)
    team.run_jobs()
    assert team.show(change_id)["state"] == "verified"

    versions = team.get(team.author, "/zones/example.test/versions").json()["items"]
    assert versions[0]["cause"] == f"deployment {deployment_id}"
    assert versions[0]["rrsets"] == versions[1]["rrsets"] + 1
    diff = team.get(
        team.author, f"/zones/example.test/versions/{versions[1]['number']}/diff/{versions[0]['number']}"
    )
    changes = diff.json()["changes"]["changes"]
    assert [(c["kind"], c["name"]) for c in changes] == [("create", "web.example.test.")]
    names = {
        item["name"]
        for item in team.get(team.author, "/zones/example.test/records?limit=1000").json()["items"]
    }
    assert {"example.test.", "mail.example.test.", "web.example.test."} <= names
    assert "outside.example.test." not in names

    synced = team.post(team.owner, "/zones/example.test/sync").json()
    assert [(c["kind"], c["name"]) for c in synced["drift"]["changes"]] == [
        ("create", "outside.example.test.")
    ]
