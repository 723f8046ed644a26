"""Approvals are judged again at apply (and when the policy changes) against today's members and policy:
an approval whose approver left, was demoted or suspended, or no longer meets the policy does not count,
and the request goes back to review instead of being applied or stuck."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dunops.storage.models import (
    ApprovalPolicy,
    AuditEvent,
    Membership,
    Role,
    User,
    UserStatus,
)
from tests.workflow.support import SLUG, ZONE, Team, team  # noqa: F401

WEB = {"action": "upsert", "name": "web", "type": "A", "ttl": 300, "values": ["192.0.2.80"]}
POLICY = f"/api/v1/workspaces/{SLUG}/policy"


def _reviewer(db: Session) -> tuple[User, Membership]:
    user = db.scalars(select(User).where(User.email == "reviewer@example.com")).one()
    membership = db.scalars(select(Membership).where(Membership.user_id == user.id)).one()
    return user, membership


def _removed(db: Session) -> None:
    db.delete(_reviewer(db)[1])


def _demoted(db: Session) -> None:
    _reviewer(db)[1].role = Role.VIEWER


def _suspended(db: Session) -> None:
    _reviewer(db)[0].status = UserStatus.SUSPENDED


def _min_role_raised(db: Session) -> None:
    workspace_id = _reviewer(db)[1].workspace_id
    db.add(ApprovalPolicy(workspace_id=workspace_id, zone_id=None, min_role=Role.ADMIN))


def _more_approvals(db: Session) -> None:
    workspace_id = _reviewer(db)[1].workspace_id
    db.add(ApprovalPolicy(workspace_id=workspace_id, zone_id=None, approvals_required=2))


@pytest.mark.parametrize(
    ("alteration", "reason"),
    [
        (_removed, "no longer a member"),
        (_demoted, "role is now viewer"),
        (_suspended, "not active"),
        (_min_role_raised, "needs the admin role"),
        (_more_approvals, "2 needed"),
    ],
)
def test_apply_refuses_approvals_that_no_longer_count_and_reopens_review(
    team: Team,  # noqa: F811
    db: Session,
    alteration: Callable[[Session], None],
    reason: str,
) -> None:
    created = team.create([WEB])
    assert team.approve(created).json()["state"] == "approved"
    alteration(db)
    db.commit()

    refused = team.post(team.owner, f"/changes/{created['id']}/apply")
    assert refused.status_code == 409, refused.text
    assert reason in refused.json()["detail"]
    assert "back in review" in refused.json()["detail"]
    team.run_jobs()
    assert "192.0.2.80" not in team.zone_file()
    shown = team.show(created["id"])
    assert shown["state"] == "pending_review"
    assert shown["deployments"] == []
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "change.approvals_lapsed")).all()
    assert [e.target for e in events] == [f"change:{created['id']}"]
    db.rollback()  # end the read so the app can write

    # the request can be reviewed again: the owner's approval counts, and the apply writes the change
    assert team.approve(created, team.owner).json()["state"] == "approved"
    assert team.post(team.owner, f"/changes/{created['id']}/apply").status_code == 202
    team.run_jobs()
    assert "192.0.2.80" in team.zone_file()


def test_a_protected_name_added_after_approval_needs_an_admin_again(team: Team) -> None:  # noqa: F811
    created = team.create([WEB])
    assert team.approve(created).json()["state"] == "approved"  # an editor approved

    patched = team.client.patch(POLICY, json={"protected_names": ["web"]}, headers=team.owner)
    assert patched.status_code == 200, patched.text
    assert team.show(created["id"])["state"] == "pending_review"
    refused = team.post(team.owner, f"/changes/{created['id']}/apply")
    assert refused.status_code == 409
    assert team.approve(created, team.owner).json()["state"] == "approved"


def test_raising_approvals_required_reopens_review_so_more_reviewers_can_approve(
    team: Team,  # noqa: F811
    db: Session,
) -> None:
    created = team.create([WEB])
    other = team.create([{**WEB, "name": "other"}], title="Other zone-wide change")
    assert team.approve(created).json()["state"] == "approved"
    assert team.approve(other).json()["state"] == "approved"

    patched = team.client.patch(POLICY, json={"zone": ZONE, "approvals_required": 2}, headers=team.owner)
    assert patched.status_code == 200, patched.text
    assert team.show(created["id"])["state"] == "pending_review"
    assert team.show(other["id"])["state"] == "pending_review"
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "change.approvals_lapsed")).all()
    assert len(events) == 2
    db.rollback()

    second = team.approve(created, team.owner)
    assert second.status_code == 200, second.text
    assert second.json()["state"] == "approved"
    assert second.json()["valid_approvals"] == 2
    assert team.post(team.owner, f"/changes/{created['id']}/apply").status_code == 202
    team.run_jobs()
    assert "192.0.2.80" in team.zone_file()


def test_a_policy_change_that_still_admits_leaves_approved_requests_alone(team: Team) -> None:  # noqa: F811
    created = team.create([WEB])
    assert team.approve(created).json()["state"] == "approved"
    patched = team.client.patch(POLICY, json={"protected_names": ["mail"]}, headers=team.owner)
    assert patched.status_code == 200
    assert team.show(created["id"])["state"] == "approved"
