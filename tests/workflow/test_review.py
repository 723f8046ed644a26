"""Review rules at the service: the person an agent proposed a change for never approves it, and a
zone's policy override applies to that zone only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.storage.models import ChangeRequest, User
from tests.workflow.support import ZONE, Team, team  # noqa: F401

WEB = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}


def test_the_person_an_agent_acted_for_cannot_approve(team: Team, db: Session) -> None:  # noqa: F811
    created = team.create([WEB])
    reviewer = db.scalars(select(User).where(User.email == "reviewer@example.com")).one()
    change = db.get(ChangeRequest, created["id"])
    assert change is not None
    change.agent = "assistant"
    change.on_behalf_of_id = reviewer.id
    db.commit()
    refused = team.approve(created)
    assert refused.status_code == 403
    assert "on your behalf" in refused.json()["detail"]
    assert team.approve(created, team.owner).json()["state"] == "approved"


def test_a_zone_override_applies_to_its_zone(team: Team) -> None:  # noqa: F811
    path = "/api/v1/workspaces/acme/policy"
    override = team.client.patch(
        path, json={"zone": ZONE, "approvals_required": 2, "min_role": "admin"}, headers=team.owner
    )
    assert override.status_code == 200, override.text
    assert override.json()["default"]["approvals_required"] == 1
    assert override.json()["zones"] == [
        {"zone": ZONE, "approvals_required": 2, "min_role": "admin", "protected_names": []}
    ]
    created = team.create([WEB])
    assert created["approvals_required"] == 2
    assert team.approve(created).status_code == 403  # an editor is below the zone's minimum role
    cleared = team.client.patch(path, json={"zone": ZONE, "clear": True}, headers=team.owner)
    assert cleared.json()["zones"] == []
    assert team.client.get(path, headers=team.viewer).json()["default"]["min_role"] == "editor"
