"""A person alone can ship: under a policy of no approval, the author applies a request in review after
confirming its exact plan hash and every risk. Under the default policy the refusal says how to change it."""

from __future__ import annotations

from typing import Any

from tests.workflow.support import SLUG, ZONE, Team, team  # noqa: F401

POLICY = f"/api/v1/workspaces/{SLUG}/policy"
WEB = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}
APEX_NS = {"action": "delete", "name": "@", "type": "NS"}


def _no_approval(team: Team) -> None:  # noqa: F811
    response = team.client.patch(POLICY, json={"approvals_required": 0}, headers=team.owner)
    assert response.status_code == 200, response.text
    assert response.json()["default"]["approvals_required"] == 0


def _confirm(change: dict[str, Any], *, risks: bool = True) -> dict[str, Any]:
    revision = change["current_revision"]
    return {
        "plan_hash": revision["plan_hash"],
        "acknowledge": [reason["id"] for reason in revision["risk_reasons"]] if risks else [],
    }


def test_the_default_policy_refuses_an_unreviewed_apply_and_says_how_to_change_it(team: Team) -> None:  # noqa: F811
    created = team.create([WEB])
    refused = team.post(team.author, f"/changes/{created['id']}/apply", _confirm(created))
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "needs 1 approval(s) from a member other than its author" in detail
    assert f"PATCH /api/v1/workspaces/{SLUG}/policy" in detail
    assert "approvals_required to 0" in detail
    assert team.show(created["id"])["state"] == "pending_review"
    assert "192.0.2.80" not in team.zone_file()


def test_with_no_approval_required_the_author_applies_after_confirming_the_plan(team: Team) -> None:  # noqa: F811
    _no_approval(team)
    created = team.create([WEB])

    # without the plan hash, or with an old one, nothing is applied
    missing = team.post(team.author, f"/changes/{created['id']}/apply")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "plan_hash"
    wrong = team.post(team.author, f"/changes/{created['id']}/apply", {"plan_hash": "0" * 64})
    assert wrong.status_code == 409
    assert "is not the current plan" in wrong.json()["detail"]
    assert team.show(created["id"])["state"] == "pending_review"

    applied = team.post(team.author, f"/changes/{created['id']}/apply", _confirm(created))
    assert applied.status_code == 202, applied.text
    team.run_jobs()
    assert team.show(created["id"])["state"] == "verified"
    assert "192.0.2.80" in team.zone_file()

    trail = team.get(team.owner, "/audit").json()
    events = trail.get("items", trail.get("events"))
    confirm = next(event for event in events if event["action"] == "change.confirm")
    assert confirm["actor"].startswith("author@example.com")
    assert confirm["details"]["plan_hash"] == created["current_revision"]["plan_hash"]


def test_every_risk_must_be_acknowledged_by_the_author_as_by_a_reviewer(team: Team) -> None:  # noqa: F811
    _no_approval(team)
    created = team.create([APEX_NS])
    risks = [reason["id"] for reason in created["current_revision"]["risk_reasons"]]
    assert risks, "deleting the apex NS is a risk"

    refused = team.post(team.author, f"/changes/{created['id']}/apply", _confirm(created, risks=False))
    assert refused.status_code == 422
    assert {error["field"] for error in refused.json()["errors"]} == {"acknowledge"}
    assert team.show(created["id"])["state"] == "pending_review"


def test_a_viewer_cannot_apply_even_when_no_approval_is_needed(team: Team) -> None:  # noqa: F811
    _no_approval(team)
    created = team.create([WEB])
    refused = team.post(team.viewer, f"/changes/{created['id']}/apply", _confirm(created))
    assert refused.status_code == 403
    assert team.show(created["id"])["state"] == "pending_review"


def test_a_zone_override_can_still_demand_review_in_a_workspace_that_needs_none(team: Team) -> None:  # noqa: F811
    _no_approval(team)
    override = team.client.patch(POLICY, json={"zone": ZONE, "approvals_required": 1}, headers=team.owner)
    assert override.status_code == 200, override.text
    created = team.create([WEB])
    refused = team.post(team.author, f"/changes/{created['id']}/apply", _confirm(created))
    assert refused.status_code == 409
    assert f"the policy of {ZONE} needs 1 approval(s)" in refused.json()["detail"]
