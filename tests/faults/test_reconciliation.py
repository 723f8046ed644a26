"""A provider that is down when an apply starts fails it with nothing written: the request is
``approved`` again. One that goes away during the write leaves the deployment ``running`` under its
lease (nobody can say what landed); an owner's reconciliation is refused while the lease holds and,
once it lapsed, finds nothing written: the request is ``approved`` again and applies with the same
approval. An ``unverified`` deployment can be verified again later."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.config import Settings
from dunops.jobs import queue_for
from dunops.storage.base import utcnow
from dunops.storage.models import AuditEvent, Deployment, ZoneLease
from tests.faults.support import Hold, HoldingProxy, UdpGate, connect_zone, seed_members, served_a
from tests.servers.powerdns import PowerDNSServer

BASE = "/api/v1/workspaces/acme"


class Caller:
    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def __call__(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.client.request(method, BASE + path, json=body, headers=self.headers)


def _approved(author: Caller, approver: Caller, zone: str, name: str, value: str) -> int:
    edit = {"action": "upsert", "name": name, "type": "A", "ttl": 300, "values": [value]}
    created = author("POST", "/changes", {"zone": zone, "title": name, "edits": [edit], "submit": True})
    assert created.status_code == 201, created.text
    revision = created.json()["current_revision"]
    body = {"plan_hash": revision["plan_hash"], "acknowledge": [r["id"] for r in revision["risk_reasons"]]}
    assert approver("POST", f"/changes/{created.json()['id']}/approve", body).status_code == 200
    return int(created.json()["id"])


def test_a_provider_down_or_gone_during_the_write_leaves_the_request_approved_to_apply_again(
    client: TestClient,
    db: Session,
    settings: Settings,
    powerdns_server: PowerDNSServer,
    proxy: HoldingProxy,
    gate: UdpGate,
) -> None:
    author_headers, approver_headers = seed_members(db)
    author, approver = Caller(client, author_headers), Caller(client, approver_headers)
    zone = connect_zone(approver, powerdns_server, proxy.port, gate.port)
    change_id = _approved(author, approver, zone, "outage", "192.0.2.31")
    queue = queue_for(settings)

    proxy.refuse = True  # the provider is down from the start
    down = int(author("POST", f"/changes/{change_id}/apply").json()["deployment"])
    queue.run_pending()
    failed = author("GET", f"/deployments/{down}").json()
    assert failed["state"] == "failed", failed
    assert failed["message"].startswith("nothing was written")
    assert author("GET", f"/changes/{change_id}").json()["state"] == "approved"
    assert all(lease.holder is None for lease in db.scalars(select(ZoneLease)))
    db.rollback()

    proxy.refuse = False
    proxy.hold = Hold.CUT  # the provider goes away as the write is sent
    deployment_id = int(author("POST", f"/changes/{change_id}/apply").json()["deployment"])
    queue.run_pending()
    assert proxy.held.is_set()
    running = author("GET", f"/deployments/{deployment_id}").json()
    assert running["state"] == "running", running
    assert "could not be read back" in running["message"]
    assert author("GET", f"/changes/{change_id}").json()["state"] == "applying"

    early = author("POST", f"/deployments/{deployment_id}/reconcile")
    assert early.status_code == 409, early.text
    assert "lease lapses" in early.json()["detail"]

    deployment = db.get(Deployment, deployment_id)
    assert deployment is not None
    deployment.lease_expires_at = utcnow() - timedelta(seconds=1)  # its worker stopped renewing
    db.commit()
    proxy.refuse, proxy.hold = False, Hold.NOTHING
    reconciled = author("POST", f"/deployments/{deployment_id}/reconcile")
    assert reconciled.status_code == 200, reconciled.text
    assert reconciled.json()["state"] == "failed"
    assert reconciled.json()["message"].startswith("nothing was written")
    assert [r["status"] for r in reconciled.json()["results"]] == ["not_written"]
    assert author("GET", f"/changes/{change_id}").json()["state"] == "approved"
    assert all(lease.holder is None for lease in db.scalars(select(ZoneLease)))
    db.rollback()
    assert "deployment.reconciled" in set(db.scalars(select(AuditEvent.action)))
    db.rollback()

    again = author("POST", f"/changes/{change_id}/apply")
    assert again.status_code == 202, again.text
    queue.run_pending(wait=10)
    assert author("GET", f"/deployments/{again.json()['deployment']}").json()["state"] == "verified"
    assert served_a(powerdns_server, zone, "outage") == ["192.0.2.31"]


def test_an_unverified_deployment_is_verified_again_on_request(
    client: TestClient,
    db: Session,
    settings: Settings,
    powerdns_server: PowerDNSServer,
    proxy: HoldingProxy,
    gate: UdpGate,
) -> None:
    author_headers, approver_headers = seed_members(db)
    author, approver = Caller(client, author_headers), Caller(client, approver_headers)
    zone = connect_zone(approver, powerdns_server, proxy.port, gate.port)
    change_id = _approved(author, approver, zone, "later", "192.0.2.32")
    queue = queue_for(settings)
    gate.open = False
    deployment_id = int(author("POST", f"/changes/{change_id}/apply").json()["deployment"])
    queue.huey.flush()
    queue.enqueue("workflow.apply", deployment_id=deployment_id, verify_attempts=1, verify_interval=0)
    queue.run_pending()
    unverified = author("GET", f"/deployments/{deployment_id}").json()
    assert unverified["state"] == "unverified", unverified
    assert "verify again later" in unverified["message"].lower()

    gate.open = True
    asked = author("POST", f"/deployments/{deployment_id}/verify")
    assert asked.status_code == 202, asked.text
    assert asked.json()["state"] == "applied"
    queue.run_pending(wait=10)
    assert author("GET", f"/deployments/{deployment_id}").json()["state"] == "verified"
    assert author("GET", f"/changes/{change_id}").json()["state"] == "verified"
    again = author("POST", f"/deployments/{deployment_id}/verify")
    assert again.status_code == 202
    assert again.json()["state"] == "verified"
