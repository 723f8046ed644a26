"""Review rules at the service: the person an agent proposed a change for approves it explicitly unless
the policy demands independent review, and a zone's policy override applies to that zone only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.storage.models import ChangeRequest, User
from tests.workflow.support import ZONE, Team, team  # noqa: F401

WEB = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}


def test_the_person_an_agent_acted_for_approves_it_unless_review_must_be_independent(
    team: Team,  # noqa: F811
    db: Session,
) -> None:
    created = team.create([WEB])
    author = db.scalars(select(User).where(User.email == "author@example.com")).one()
    change = db.get(ChangeRequest, created["id"])
    assert change is not None
    change.agent = "dunops-agent"
    change.on_behalf_of_id = author.id
    db.commit()
    policy = "/api/v1/workspaces/acme/policy"
    demanded = team.client.patch(policy, json={"independent_review": True}, headers=team.owner)
    assert demanded.json()["default"]["independent_review"] is True
    refused = team.approve(created, team.author)
    assert refused.status_code == 403
    assert "independent review" in refused.json()["detail"]

    team.client.patch(policy, json={"independent_review": False}, headers=team.owner)
    assert team.approve(created, team.author).json()["state"] == "approved"
    # demanding independent review afterwards sends it back: the asker's approval no longer counts
    team.client.patch(policy, json={"independent_review": True}, headers=team.owner)
    assert team.show(created["id"])["state"] == "pending_review"
    assert team.approve(created).json()["state"] == "approved"


def test_an_author_still_never_approves_their_own_request(team: Team) -> None:  # noqa: F811
    created = team.create([WEB])
    refused = team.approve(created, team.author)
    assert refused.status_code == 403
    assert "author" in refused.json()["detail"]


def test_a_zone_override_applies_to_its_zone(team: Team) -> None:  # noqa: F811
    path = "/api/v1/workspaces/acme/policy"
    override = team.client.patch(
        path, json={"zone": ZONE, "approvals_required": 2, "min_role": "admin"}, headers=team.owner
    )
    assert override.status_code == 200, override.text
    assert override.json()["default"]["approvals_required"] == 1
    assert override.json()["zones"] == [
        {
            "zone": ZONE,
            "approvals_required": 2,
            "min_role": "admin",
            "protected_names": [],
            "independent_review": False,
        }
    ]
    created = team.create([WEB])
    assert created["approvals_required"] == 2
    assert team.approve(created).status_code == 403  # an editor is below the zone's minimum role
    cleared = team.client.patch(path, json={"zone": ZONE, "clear": True}, headers=team.owner)
    assert cleared.json()["zones"] == []
    assert team.client.get(path, headers=team.viewer).json()["default"]["min_role"] == "editor"
