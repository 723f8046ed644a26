"""Promise: "provider sync only when asked" — no job and no request reads a DNS provider except a user's
import, sync, plan, apply and its verification, or a sync schedule a user turned on. Proved by counting
every call made to a provider: every provider is built through one factory, which the test wraps."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

import dunops.cli.serve  # noqa: F401  (imports every package that declares jobs, as a consumer does)
from dunops.config import Settings
from dunops.jobs import JobContext, queue_for, registry
from dunops.providers import Provider
from dunops.security.master_key import create_key_file
from dunops.storage.base import utcnow
from dunops.storage.models import Zone
from dunops.zones import connections
from tests.workflow.support import BASE, SLUG, ZONE, make_team

WWW = {"action": "upsert", "name": "api", "type": "A", "ttl": 300, "values": ["192.0.2.9"]}


class ProviderCalls:
    """Every provider built and every method called on one, by name."""

    def __init__(self) -> None:
        self.built = 0
        self.methods: Counter[str] = Counter()

    def total(self) -> int:
        return self.built + sum(self.methods.values())

    def reset(self) -> None:
        self.built = 0
        self.methods.clear()


class _Counted:
    """A provider whose every method call is counted before it is passed on."""

    def __init__(self, provider: Provider, calls: ProviderCalls) -> None:
        self._provider = provider
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._provider, name)
        if not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls.methods[name] += 1
            return value(*args, **kwargs)

        return counted


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    configured = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url="http://testserver",
        zonefile_roots=[tmp_path],
        operator_emails=["ops@example.com"],
    )
    configured.prepare_data_dir()
    create_key_file(configured.master_key_file)
    return configured


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> ProviderCalls:
    counted = ProviderCalls()
    build = connections.build

    def counting_build(*args: Any, **kwargs: Any) -> Provider:
        counted.built += 1
        return _Counted(build(*args, **kwargs), counted)  # type: ignore[return-value]

    monkeypatch.setattr(connections, "build", counting_build)
    return counted


def _synced_minutes_ago(db: Session, minutes: int) -> None:
    """Let time pass since the zones were last synced."""
    db.execute(update(Zone).values(last_synced_at=utcnow() - timedelta(minutes=minutes)))
    db.commit()


def _run_every_periodic_job(settings: Settings) -> list[str]:
    ran = []
    for name, spec in sorted(registry.registered().items()):
        if spec.schedule is not None:
            spec.function(JobContext(settings))
            ran.append(name)
    return ran


def test_promise_providers_are_read_only_when_a_user_asks(
    client: TestClient, db: Session, settings: Settings, tmp_path: Path, calls: ProviderCalls
) -> None:
    # Import: the provider is read.
    team = make_team(client, db, settings, tmp_path)
    assert calls.methods["fetch"] >= 1
    connection_id = team.get(team.owner, "/connections").json()[0]["id"]
    calls.reset()

    # Every periodic job, run once: none reads a provider (the zone's sync schedule is off).
    ran = _run_every_periodic_job(settings)
    assert {"sync.due_zones", "privacy.purge_technical_data", "privacy.purge_due"} <= set(ran)
    assert calls.total() == 0, calls.methods

    # Proposing a change plans it, reading the touched RRsets as the provider serves them; approving it
    # does not.
    change = team.create([WWW])
    assert calls.methods["read_rrsets"] == 1, calls.methods
    calls.reset()
    assert team.approve(change).status_code == 200
    assert calls.total() == 0, calls.methods

    # Ordinary reads through the API and the pages: none reads a provider.
    reads = [
        f"{BASE}/zones",
        f"{BASE}/zones/{ZONE}",
        f"{BASE}/zones/{ZONE}/records",
        f"{BASE}/zones/{ZONE}/export?format=bind",
        f"{BASE}/zones/{ZONE}/versions",
        f"{BASE}/connections",
        f"{BASE}/connections/{connection_id}",
        f"{BASE}/changes",
        f"{BASE}/changes/{change['id']}",
        f"{BASE}/deployments",
        f"{BASE}/audit",
        f"{BASE}/members",
        f"{BASE}/policy",
        f"/api/v1/workspaces/{SLUG}",
        "/api/v1/workspaces",
        "/api/v1/me",
        "/",
        "/legal/privacy",
    ]
    for path in reads:
        answered = client.get(path, headers=team.owner)
        assert answered.status_code == 200, (path, answered.text)
    assert calls.total() == 0, calls.methods

    # What a user asks for does read it: sync, plan, apply and its verification, an import as a job.
    asked = {
        "sync": lambda: team.post(team.owner, f"/zones/{ZONE}/sync"),
        "plan": lambda: team.post(team.owner, f"/zones/{ZONE}/plan", {"edits": [WWW]}),
        "test the connection": lambda: team.post(team.owner, f"/connections/{connection_id}/test"),
        "list the provider's zones": lambda: team.get(team.owner, f"/connections/{connection_id}/zones"),
    }
    for action, ask in asked.items():
        calls.reset()
        answered = ask()
        assert answered.status_code in (200, 201), (action, answered.text)
        assert calls.total() > 0, action
    calls.reset()
    assert team.post(team.author, f"/changes/{change['id']}/apply").status_code == 202
    assert calls.total() == 0  # queued: the job does the work
    team.run_jobs()
    assert team.show(change["id"])["state"] == "verified"
    assert calls.methods["apply"] == 1
    assert calls.methods["verify"] >= 1
    calls.reset()
    (team.directory / "other.test.zone").write_text(team.zone_file().replace(ZONE, "other.test"))
    imported = team.post(team.owner, "/imports", {"name": "other.test", "connection_id": connection_id})
    assert imported.status_code == 202, imported.text
    team.run_jobs()
    assert calls.methods["fetch"] >= 1

    # A sync schedule reads the provider only once a user turns it on, and no longer once turned off.
    calls.reset()
    _run_every_periodic_job(settings)
    assert calls.total() == 0, calls.methods
    scheduled = client.patch(f"{BASE}/zones/{ZONE}", json={"sync_every_minutes": 5}, headers=team.owner)
    assert scheduled.status_code == 200, scheduled.text
    assert calls.total() == 0
    _synced_minutes_ago(db, 10)
    registry.lookup("sync.due_zones").function(JobContext(settings))
    assert calls.methods["fetch"] == 1
    calls.reset()
    registry.lookup("sync.due_zones").function(JobContext(settings))  # synced a moment ago: not due
    assert calls.total() == 0
    _synced_minutes_ago(db, 10)
    stopped = client.patch(f"{BASE}/zones/{ZONE}", json={"sync_every_minutes": None}, headers=team.owner)
    assert stopped.status_code == 200, stopped.text
    _run_every_periodic_job(settings)
    assert calls.total() == 0, calls.methods
    assert queue_for(settings).pending() == 0
