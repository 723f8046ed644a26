"""Verification passes are jobs queued seconds apart, not a worker sleeping between them; a job that
stops on an error of its own ends its deployment with the reason; a plan-only zone is never called
verified, since nothing serves it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.storage.models import ChangeRevision, Deployment
from tests.workflow.support import BASE, SLUG, ZONE, Team, empty_dns_server, make_team, team  # noqa: F401
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member

WEB = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}


@contextmanager
def _unreadable_plan(db: Session, deployment_id: int) -> Iterator[None]:
    """While the block runs, the stored plan cannot be read: a job fails on an error of its own."""
    deployment = db.get(Deployment, deployment_id)
    assert deployment is not None
    revision = db.get(ChangeRevision, deployment.revision_id)
    assert revision is not None
    plan, revision.plan = revision.plan, "{}"
    db.commit()
    yield
    revision.plan = plan
    db.commit()


def _at(port: int) -> str:
    return f"127.0.0.1:{port}"


def _apply(team: Team, *, attempts: int, interval: float) -> tuple[int, int]:  # noqa: F811
    created = team.create([WEB])
    assert team.approve(created).json()["state"] == "approved"
    deployment = team.post(team.author, f"/changes/{created['id']}/apply").json()["deployment"]
    queue = queue_for(team.settings)
    queue.huey.flush()  # run with the attempts and interval below instead
    queue.enqueue(
        "workflow.apply", deployment_id=deployment, verify_attempts=attempts, verify_interval=interval
    )
    return int(created["id"]), int(deployment)


def test_a_pass_that_finds_the_change_not_yet_served_queues_the_next_instead_of_sleeping(
    client: TestClient,
    db: Session,
    settings: Settings,
    tmp_path: Path,
    empty_dns_server: int,  # noqa: F811
) -> None:
    lagging = make_team(
        client, db, settings, tmp_path, config={"server_address": f"127.0.0.1:{empty_dns_server}"}
    )
    change_id, deployment_id = _apply(lagging, attempts=3, interval=30)
    queue = queue_for(lagging.settings)

    started = time.monotonic()
    queue.run_pending()  # the apply and its first pass (and mail); the second pass is 30 s away
    assert time.monotonic() - started < 10

    got = lagging.get(lagging.author, f"/deployments/{deployment_id}").json()
    assert got["state"] == "applied"
    assert got["verification"]["attempts"] == 1
    assert got["message"].startswith("verifying (pass 1 of 3); not yet served: web.example.test. A")
    assert queue.huey.scheduled_count() == 1
    assert lagging.show(change_id)["state"] == "applied"
    assert "192.0.2.80" in lagging.zone_file()


def test_the_last_pass_leaves_the_deployment_unverified_and_a_duplicate_pass_changes_nothing(
    client: TestClient,
    db: Session,
    settings: Settings,
    tmp_path: Path,
    empty_dns_server: int,  # noqa: F811
) -> None:
    lagging = make_team(
        client, db, settings, tmp_path, config={"server_address": f"127.0.0.1:{empty_dns_server}"}
    )
    _change_id, deployment_id = _apply(lagging, attempts=2, interval=0.1)
    queue = queue_for(lagging.settings)
    queue.run_pending(wait=10)
    got = lagging.get(lagging.author, f"/deployments/{deployment_id}").json()
    assert got["state"] == "unverified"
    assert got["verification"]["attempts"] == 2

    queue.enqueue("workflow.verify", deployment_id=deployment_id, attempt=2, attempts=2, interval=0.1)
    queue.run_pending()
    again = lagging.get(lagging.author, f"/deployments/{deployment_id}").json()
    assert again["verification"] == got["verification"]
    assert again["state"] == "unverified"


def test_an_apply_job_that_stops_on_its_own_error_fails_the_deployment_with_the_reason(
    team: Team,  # noqa: F811
    db: Session,
) -> None:
    change_id, deployment_id = _apply(team, attempts=1, interval=0)
    with _unreadable_plan(db, deployment_id):
        team.run_jobs()

    got = team.get(team.author, f"/deployments/{deployment_id}").json()
    assert got["state"] == "failed"
    assert "the apply stopped on an unexpected error" in got["message"]
    assert team.show(change_id)["state"] == "failed"
    assert "192.0.2.80" not in team.zone_file()


def test_a_verification_job_that_stops_on_its_own_error_leaves_the_deployment_unverified(
    client: TestClient,
    db: Session,
    settings: Settings,
    tmp_path: Path,
    empty_dns_server: int,  # noqa: F811
) -> None:
    lagging = make_team(
        client, db, settings, tmp_path, config={"server_address": f"127.0.0.1:{empty_dns_server}"}
    )
    change_id, deployment_id = _apply(lagging, attempts=2, interval=0.2)
    queue = queue_for(lagging.settings)
    queue.run_pending()  # applied; the second pass is scheduled
    with _unreadable_plan(db, deployment_id):
        queue.run_pending(wait=10)

    got = lagging.get(lagging.author, f"/deployments/{deployment_id}").json()
    assert got["state"] == "unverified"
    assert "while verifying; the change was written" in got["message"]
    assert lagging.show(change_id)["state"] == "applied"


def test_a_plan_only_zone_is_applied_to_its_copy_but_never_called_verified(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = {}
    for email in ("solo@example.com", "peer@example.com"):
        user, workspace = member(db, SLUG, email)
        headers[email] = bearer(api_token(db, user, workspace))
    db.commit()
    author, reviewer = headers["solo@example.com"], headers["peer@example.com"]
    made = client.post(
        f"{BASE}/zones", json={"name": ZONE, "format": "bind", "content": ZONE_TEXT}, headers=author
    )
    assert made.status_code == 201, made.text
    created = client.post(
        f"{BASE}/changes", json={"zone": ZONE, "title": "web", "edits": [WEB], "submit": True}, headers=author
    ).json()
    revision = created["current_revision"]
    approved = client.post(
        f"{BASE}/changes/{created['id']}/approve",
        json={"plan_hash": revision["plan_hash"], "acknowledge": [r["id"] for r in revision["risk_reasons"]]},
        headers=reviewer,
    )
    assert approved.status_code == 200, approved.text
    deployment = client.post(f"{BASE}/changes/{created['id']}/apply", headers=author).json()["deployment"]
    queue_for(settings).run_pending(wait=10)

    got = client.get(f"{BASE}/deployments/{deployment}", headers=author).json()
    assert got["state"] == "applied"
    assert got["verification"]["method"] == "none"
    assert "plan-only" in got["message"]
    assert f"/zones/{ZONE}/export" in got["message"]
    assert client.get(f"{BASE}/changes/{created['id']}", headers=author).json()["state"] == "applied"
    exported = client.get(f"{BASE}/zones/{ZONE}/export", headers=author)
    assert "192.0.2.80" in exported.text
