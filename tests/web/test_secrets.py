"""Secrets are write-only: a planted provider secret never shows up in any API response, any log line
(structlog or logging, at debug level), any output, or the audit trail of a full scenario."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import httpx
import pytest
import structlog
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.storage.models import AuditEvent, ProviderConnection
from tests.servers.powerdns import PowerDNSServer, powerdns_server  # noqa: F401
from tests.zones.helpers import api_token, bearer, member

ACME = "/api/v1/workspaces/acme"


def test_a_planted_secret_never_leaves_the_vault(
    client: TestClient,
    db: Session,
    powerdns_server: PowerDNSServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    user, workspace = member(db, "acme", "owner@example.com")
    headers = bearer(api_token(db, user, workspace))
    db.commit()
    planted = f"planted-{uuid.uuid4().hex}"  # a wrong key: every call with it fails at the provider
    working = powerdns_server.api_key  # the real key: every call with it succeeds
    zone = powerdns_server.create_zone(powerdns_server.new_zone_name("secret"))
    caplog.set_level(logging.DEBUG)
    responses: list[httpx.Response] = []

    def call(method: str, url: str, body: Any = None) -> Any:
        response = client.request(method, url, json=body, headers=headers)
        responses.append(response)
        return response.json() if response.content and "json" in response.headers["content-type"] else None

    with structlog.testing.capture_logs() as events:
        config = {"url": powerdns_server.api_url}
        good = call(
            "POST",
            f"{ACME}/connections",
            {"kind": "powerdns", "name": "good", "config": config, "secrets": {"api_key": working}},
        )
        bad = call(
            "POST",
            f"{ACME}/connections",
            {"kind": "powerdns", "name": "bad", "config": config, "secrets": {"api_key": planted}},
        )
        call("GET", f"{ACME}/connections")
        call("GET", f"{ACME}/connections/{bad['id']}")
        call(
            "PATCH", f"{ACME}/connections/{bad['id']}", {"name": "still-bad", "secrets": {"api_key": planted}}
        )
        call("PATCH", f"{ACME}/connections/{bad['id']}", {"config": {"server_id": "localhost"}})
        for connection in (good, bad):
            call("POST", f"{ACME}/connections/{connection['id']}/test")
            call("GET", f"{ACME}/connections/{connection['id']}/zones")
        call("POST", f"{ACME}/zones", {"name": zone, "connection_id": bad["id"]})
        call("POST", f"{ACME}/zones", {"name": zone, "connection_id": good["id"]})
        call("GET", f"{ACME}/zones/{zone}")
        call("GET", f"{ACME}/zones/{zone}/records")
        for zone_format in ("bind", "octodns", "json"):
            call("GET", f"{ACME}/zones/{zone}/export?format={zone_format}")
        call("POST", f"{ACME}/zones/{zone}/sync")
        call(
            "POST",
            f"{ACME}/zones/{zone}/plan",
            {"edits": [{"action": "upsert", "name": "www", "type": "A", "values": ["192.0.2.1"]}]},
        )
        call("GET", f"{ACME}/zones/{zone}/versions")
        call("GET", f"{ACME}/audit")
        call("DELETE", f"{ACME}/connections/{good['id']}?detach=true")
        call("GET", "/api/openapi.json")

    assert [r.status_code for r in responses if r.status_code >= 500] == [502, 502]  # bad key: zones, import
    assert responses[6].json()["ok"] is True
    assert responses[8].json()["ok"] is False
    assert events
    assert caplog.records
    texts = [response.text for response in responses] + [json.dumps(event, default=str) for event in events]
    texts += [record.getMessage() for record in caplog.records] + [
        str(record.__dict__) for record in caplog.records
    ]
    captured = capfd.readouterr()
    texts += [captured.out, captured.err]
    texts += [json.dumps(e.details) + e.target for e in db.scalars(select(AuditEvent))]
    texts += [json.dumps(c.config) + c.last_test_message for c in db.scalars(select(ProviderConnection))]
    for secret in (planted, working):
        leaks = [text for text in texts if secret in text]
        assert leaks == [], f"secret leaked in: {leaks[0][:300]}"
    stored = db.scalars(select(ProviderConnection)).one()
    assert planted.encode() not in stored.secret_ciphertext
