"""Plan limits: a workspace holds what its plan allows; a downgrade blocks new zones and records with a
clear message and never removes anything."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dunops.accounts import plans
from dunops.config import PlanLimits, Settings
from dunops.storage.models import Workspace
from tests.zones.helpers import ZONE_TEXT, api_token, bearer, member

BASE = "/api/v1/workspaces/acme"
SMALL = PlanLimits(
    label="Free", zones=1, zone_rrsets=7, change_rrsets=2, connections=1, members=1, agent_messages_per_day=1
)
LARGE = SMALL.model_copy(update={"label": "Team", "zones": 10, "zone_rrsets": 100, "connections": 5})


@pytest.fixture
def settings(settings: Settings) -> Iterator[Settings]:
    limited = settings.model_copy(update={"enforce_plans": True, "plans": {"free": SMALL, "team": LARGE}})
    yield limited
    plans.configure(settings)  # the next test starts unlimited again


@pytest.fixture
def owner(db: Session) -> dict[str, str]:
    user, workspace = member(db, "acme", "owner@example.com")
    token = api_token(db, user, workspace)
    db.commit()
    return bearer(token)


def _zone(client: TestClient, owner: dict[str, str], name: str) -> int:
    content = ZONE_TEXT.replace("example.test", name)
    response = client.post(f"{BASE}/zones", json={"name": name, "content": content}, headers=owner)
    return response.status_code


def _edit(client: TestClient, owner: dict[str, str], *names: str) -> dict[str, object]:
    edits = [{"action": "upsert", "name": n, "type": "A", "ttl": 300, "values": ["192.0.2.9"]} for n in names]
    response = client.post(
        f"{BASE}/changes", json={"zone": "example.test", "title": "Add", "edits": edits}, headers=owner
    )
    return {"status": response.status_code, **response.json()}


def _set_plan(db: Session, plan: str) -> None:
    workspace = db.query(Workspace).filter_by(slug="acme").one()
    workspace.plan = plan
    db.commit()


def test_a_free_workspace_holds_what_its_plan_allows(client: TestClient, owner: dict[str, str]) -> None:
    assert _zone(client, owner, "example.test") == 201
    second = client.post(
        f"{BASE}/zones",
        json={"name": "other.test", "content": ZONE_TEXT.replace("example", "other")},
        headers=owner,
    )
    assert second.status_code == 409
    assert second.json()["title"] == "Plan limit reached"
    assert "the Free plan of workspace 'acme' allows 1 zones; it has 1" in second.json()["detail"]

    too_big = _edit(client, owner, "a", "b", "c")
    assert too_big["status"] == 409
    assert "allows 2 RRsets changed at once; it has 3" in str(too_big["detail"])

    # 5 RRsets + 2 new ones fit the plan's 7; one more would not
    assert _edit(client, owner, "a", "b")["status"] == 201


def test_connections_and_members_are_limited_by_the_plan(
    client: TestClient, owner: dict[str, str], tmp_path: object
) -> None:
    body = {"kind": "zonefile", "name": "first", "config": {"directory": str(tmp_path)}}
    assert client.post(f"{BASE}/connections", json=body, headers=owner).status_code == 201
    second = client.post(f"{BASE}/connections", json={**body, "name": "second"}, headers=owner)
    assert second.status_code == 409
    assert "allows 1 connections" in second.json()["detail"]
    invited = client.post(
        f"{BASE}/invitations", json={"email": "two@example.com", "role": "editor"}, headers=owner
    )
    assert invited.status_code == 409
    assert "allows 1 members; it has 1" in invited.json()["detail"]


def test_a_downgrade_blocks_new_zones_and_records_but_keeps_everything(
    client: TestClient, owner: dict[str, str], db: Session
) -> None:
    _set_plan(db, "team")
    assert _zone(client, owner, "example.test") == 201
    assert _zone(client, owner, "other.test") == 201
    assert _edit(client, owner, "a", "b")["status"] == 201
    assert _edit(client, owner, "c", "d")["status"] == 201  # created, not applied: the zone still has 5

    _set_plan(db, "free")
    zones = client.get(f"{BASE}/zones", headers=owner).json()
    assert sorted(zone["name"] for zone in zones) == ["example.test", "other.test"]
    refused = _zone(client, owner, "third.test")
    assert refused == 409
    answer = client.post(
        f"{BASE}/zones",
        json={"name": "third.test", "content": ZONE_TEXT.replace("example", "third")},
        headers=owner,
    ).json()
    assert "allows 1 zones; it has 2. Nothing was removed" in answer["detail"]
    # an edit that does not grow the zone is still taken
    assert _edit(client, owner, "mail")["status"] == 201
    records = client.get(f"{BASE}/zones/example.test/records", headers=owner).json()["items"]
    assert len(records) == 5


def test_the_plan_sets_how_many_questions_the_agent_takes_a_day(
    client: TestClient, owner: dict[str, str], db: Session
) -> None:
    conversation = client.post(f"{BASE}/conversations", json={}, headers=owner).json()["id"]
    ask = f"{BASE}/conversations/{conversation}/messages"
    assert client.post(ask, json={"content": "List the zones"}, headers=owner).status_code == 200
    refused = client.post(ask, json={"content": "List the zones again"}, headers=owner)
    assert refused.status_code == 429
    assert "the daily limit of its Free plan" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) > 0

    _set_plan(db, "team")
    larger = LARGE.model_copy(update={"agent_messages_per_day": 5})
    plans.configure(client.app.state.settings.model_copy(update={"plans": {"free": SMALL, "team": larger}}))
    assert client.post(ask, json={"content": "List the zones"}, headers=owner).status_code == 200
